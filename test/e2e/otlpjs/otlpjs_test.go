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
type node = harness.Node

// waitTree waits until ok accepts the trace (harness.WaitTrace).
func waitTree(t *testing.T, queryURL, id string, ok func(*node) error) *node {
	t.Helper()
	return harness.WaitTrace(t, queryURL, repoID, apiKey, id, ok)
}

// getJSON GETs a query API URL with the test's API key (harness.GetJSON).
func getJSON(ctx context.Context, u string, v any) (int, error) {
	return harness.GetJSON(ctx, u, apiKey, v)
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
			if len(n.All("generation")) != 2 || len(n.All("tool_call")) != 1 || n.Name != "ai-sdk-turn" {
				return fmt.Errorf("tree incomplete: %d generations, %d tool calls, name %q",
					len(n.All("generation")), len(n.All("tool_call")), n.Name)
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
		gens := root.All("generation")
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
		tool := root.All("tool_call")[0]
		if tool.Name != "get_weather" || !strings.Contains(string(tool.Args), "Paris") || !strings.Contains(string(tool.Output), "tempC") {
			t.Errorf("tool call: name %q args %s output %s", tool.Name, tool.Args, tool.Output)
		}
		wrappers := 0
		for _, s := range root.All("span") {
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
			if len(n.All("generation")) != 2 {
				return fmt.Errorf("%d generations", len(n.All("generation")))
			}
			return nil
		})
		if root.Name != "oi-turn" || !strings.Contains(string(root.Output), "18C") {
			t.Errorf("trace name %q output %s", root.Name, root.Output)
		}
		var toolTurn, answer *node
		for _, g := range root.All("generation") {
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
