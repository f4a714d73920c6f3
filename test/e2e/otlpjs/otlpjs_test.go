// Package otlpjs drives real OpenTelemetry JS clients from npm (the Vercel AI
// SDK with its mock model and telemetry on, and the OpenInference
// instrumentation of the `openai` client pointed at a fake OpenAI server)
// into the built distribution (otlp → genai_normalize → tracetree →
// tracetree_store) and asserts the stored trees through the query API
// GET /api/v1/traces/{id}.
package otlpjs

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/otelcol-genai/otelcol-genai/test/e2e/harness"
)

const (
	repoID = "otlpjs-repo"
	apiKey = "otlpjs-key"
)

// node is a tree node as the query API returns it.
type node struct {
	Kind            string            `json:"kind"`
	ID              string            `json:"id"`
	Name            string            `json:"name"`
	SessionID       string            `json:"sessionId"`
	Model           string            `json:"model"`
	Provider        string            `json:"provider"`
	ModelParameters map[string]any    `json:"modelParameters"`
	Messages        []json.RawMessage `json:"messages"`
	Completion      *struct {
		Text          string            `json:"text"`
		FinishReasons []string          `json:"finishReasons"`
		ToolCalls     []json.RawMessage `json:"toolCalls"`
	} `json:"completion"`
	Usage *struct {
		InputTokens  int64 `json:"inputTokens"`
		OutputTokens int64 `json:"outputTokens"`
		TotalTokens  int64 `json:"totalTokens"`
	} `json:"usage"`
	Args     json.RawMessage            `json:"args"`
	Output   json.RawMessage            `json:"output"`
	Tags     map[string]string          `json:"tags"`
	Metadata map[string]json.RawMessage `json:"metadata"`
	Totals   struct {
		InputTokens  int64          `json:"inputTokens"`
		OutputTokens int64          `json:"outputTokens"`
		Counts       map[string]int `json:"counts"`
	} `json:"totals"`
	Children []*node `json:"children"`
}

func (n *node) all(kind string) []*node {
	var out []*node
	if n.Kind == kind {
		out = append(out, n)
	}
	for _, c := range n.Children {
		out = append(out, c.all(kind)...)
	}
	return out
}

func getJSON(ctx context.Context, u string, v any) (int, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return 0, err
	}
	req.Header.Set("x-maxim-api-key", apiKey)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		return resp.StatusCode, fmt.Errorf("GET %s: %d %.300s", u, resp.StatusCode, b)
	}
	return resp.StatusCode, json.Unmarshal(b, v)
}

// waitTree polls the trace until ok accepts it (spans of one trace arrive
// in several exports).
func waitTree(t *testing.T, queryURL, id string, ok func(*node) error) *node {
	t.Helper()
	var root *node
	err := harness.Eventually(context.Background(), 30*time.Second, func() error {
		var tr struct {
			Root *node `json:"trace"`
		}
		if _, err := getJSON(context.Background(), queryURL+"/api/v1/traces/"+id+"?repo="+repoID, &tr); err != nil {
			return err
		}
		if tr.Root == nil {
			return fmt.Errorf("empty trace")
		}
		root = tr.Root
		return ok(root)
	})
	if err != nil {
		b, _ := json.MarshalIndent(root, "", " ")
		t.Fatalf("trace %s: %v\n%s", id, err, b)
	}
	return root
}

func TestOTLPJSClientsEndToEnd(t *testing.T) {
	nodeBin := harness.NPMInstall(t, "ai/package.json", "the OpenTelemetry JS clients")
	c := harness.NewCollector(t, "default.yaml", map[string]string{"GENAI_API_KEY": apiKey})
	c.Start()
	otlpURL := "http://" + c.Env["GENAI_OTLP_HTTP_ENDPOINT"]
	queryURL := "http://" + c.Env["GENAI_QUERY_ENDPOINT"]

	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, nodeBin, "drive.js", otlpURL, repoID, apiKey)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("drive.js: %v\n%s", err, stderr.String())
	}
	var ids struct {
		AISDK         string `json:"aiSdkTrace"`
		OpenInference string `json:"openInferenceTrace"`
	}
	if err := json.Unmarshal(out, &ids); err != nil || ids.AISDK == "" || ids.OpenInference == "" {
		t.Fatalf("drive.js output %q: %v", out, err)
	}

	t.Run("ai-sdk", func(t *testing.T) {
		root := waitTree(t, queryURL, ids.AISDK, func(n *node) error {
			if len(n.all("generation")) != 2 || len(n.all("tool_call")) != 1 || n.Name != "ai-sdk-turn" {
				return fmt.Errorf("tree incomplete: %d generations, %d tool calls, name %q",
					len(n.all("generation")), len(n.all("tool_call")), n.Name)
			}
			return nil
		})
		if root.SessionID != "sess-otlpjs" || root.Tags["userId"] != "u-7" {
			t.Errorf("trace session %q tags %v; want sess-otlpjs and userId u-7", root.SessionID, root.Tags)
		}
		// The AI SDK's telemetry metadata sessionId links the trace to a session.
		var sess struct {
			Root *node `json:"session"`
		}
		if _, err := getJSON(context.Background(), queryURL+"/api/v1/sessions/sess-otlpjs?repo="+repoID, &sess); err != nil {
			t.Errorf("session: %v", err)
		} else if sess.Root == nil || len(sess.Root.Children) != 1 || sess.Root.Children[0].ID != ids.AISDK {
			t.Errorf("session sess-otlpjs should hold exactly trace %s: %+v", ids.AISDK, sess.Root)
		}
		// Tokens counted once: the two provider calls, not the ai.generateText wrapper.
		if root.Totals.InputTokens != 40+72 || root.Totals.OutputTokens != 11+10 {
			t.Errorf("totals %d/%d, want 112/21 (wrapper usage must not be counted)", root.Totals.InputTokens, root.Totals.OutputTokens)
		}
		gens := root.all("generation")
		first, second := gens[0], gens[1]
		if first.Usage == nil || first.Usage.InputTokens+second.Usage.InputTokens != 112 {
			t.Errorf("generation usage missing: %+v %+v", first.Usage, second.Usage)
		}
		for _, g := range gens {
			if g.Model != "gpt-4o-mini" || g.Provider != "openai" || g.ModelParameters["temperature"] != 0.3 {
				t.Errorf("generation %s: model %q provider %q params %v", g.ID, g.Model, g.Provider, g.ModelParameters)
			}
			if len(g.Messages) < 2 || !strings.Contains(string(g.Messages[0]), "You are a weather assistant.") ||
				!strings.Contains(string(g.Messages[1]), "What is the weather in Paris?") {
				t.Errorf("generation %s messages: %s", g.ID, g.Messages)
			}
		}
		var sawCall, sawAnswer bool
		for _, g := range gens {
			if g.Completion == nil {
				continue
			}
			for _, tc := range g.Completion.ToolCalls {
				if strings.Contains(string(tc), `"get_weather"`) && strings.Contains(string(tc), `{\"city\":\"Paris\"}`) {
					sawCall = true
				}
			}
			if g.Completion.Text == "It is 18C and cloudy in Paris." {
				sawAnswer = true
			}
		}
		if !sawCall || !sawAnswer {
			t.Errorf("completions: tool call seen %v, answer seen %v", sawCall, sawAnswer)
		}
		tool := root.all("tool_call")[0]
		if tool.Name != "get_weather" || !strings.Contains(string(tool.Args), "Paris") || !strings.Contains(string(tool.Output), "tempC") {
			t.Errorf("tool call: name %q args %s output %s", tool.Name, tool.Args, tool.Output)
		}
		wrappers := 0
		for _, s := range root.all("span") {
			if s.Name == "ai.generateText" {
				wrappers++
				if _, ok := s.Metadata["maxim.usage.aggregate"]; !ok {
					t.Errorf("wrapper span lost its aggregate usage metadata: %v", s.Metadata)
				}
			}
		}
		if wrappers != 1 {
			t.Errorf("want one ai.generateText wrapper span, got %d", wrappers)
		}
	})

	t.Run("openinference-openai", func(t *testing.T) {
		root := waitTree(t, queryURL, ids.OpenInference, func(n *node) error {
			if len(n.all("generation")) != 2 {
				return fmt.Errorf("%d generations", len(n.all("generation")))
			}
			return nil
		})
		if root.Name != "oi-turn" || !strings.Contains(string(root.mustOutput()), "18C") {
			t.Errorf("trace name %q output %s", root.Name, root.Output)
		}
		var toolTurn, answer *node
		for _, g := range root.all("generation") {
			if g.Completion != nil && len(g.Completion.ToolCalls) > 0 {
				toolTurn = g
			} else {
				answer = g
			}
		}
		if toolTurn == nil || answer == nil {
			t.Fatalf("want one tool-calling and one answering generation")
		}
		if toolTurn.Usage == nil || toolTurn.Usage.InputTokens != 50 || toolTurn.Usage.OutputTokens != 14 || toolTurn.Provider != "openai" {
			t.Errorf("tool turn usage %+v provider %q", toolTurn.Usage, toolTurn.Provider)
		}
		if !strings.Contains(string(toolTurn.Completion.ToolCalls[0]), "call_oi_1") || toolTurn.Completion.FinishReasons[0] != "tool_calls" {
			t.Errorf("tool turn completion %+v", toolTurn.Completion)
		}
		if answer.Completion == nil || answer.Completion.Text != "It is 18C and cloudy in Paris." {
			t.Errorf("streamed answer %+v", answer.Completion)
		}
		var sawToolMsg bool
		for _, m := range answer.Messages {
			if strings.Contains(string(m), `"role":"tool"`) && strings.Contains(string(m), "call_oi_1") {
				sawToolMsg = true
			}
		}
		if !sawToolMsg || len(answer.Messages) != 4 {
			t.Errorf("answer input messages (want system, user, assistant tool call, tool result): %s", answer.Messages)
		}
	})
}

func (n *node) mustOutput() json.RawMessage { return n.Output }
