// Package langfusejs drives Langfuse's OpenTelemetry SDK from npm
// (@langfuse/otel's LangfuseSpanProcessor and @langfuse/tracing) against the
// built distribution running configs/default.yaml: through Langfuse's own
// OTLP route on mxin (/api/public/otel/v1/traces, configured only by
// LANGFUSE_BASE_URL and the key pair), and through the standard otlp
// receiver over OTLP/HTTP and OTLP/gRPC (the processor given an exporter).
// The stored tree, read through the query API, must hold what the SDK
// recorded: usage details and exact totals, input/output, model parameters,
// the ERROR level with its status message, trace metadata, tags, user and
// session, tool call, retrieval, nested spans and a child of a generation.
package langfusejs

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/otelcol-genai/otelcol-genai/test/e2e/harness"
)

const (
	repoID = "langfusejs-repo"
	apiKey = "langfusejs-key"
)

// node is a tree node as the query API returns it.
type node = harness.Node

// one returns the only node named name under parent, or fails.
func one(t *testing.T, parent *node, name, kind string) *node {
	t.Helper()
	for _, c := range parent.Children {
		if c.Name == name {
			if c.Kind != kind {
				t.Fatalf("%s is a %s, want a %s", name, c.Kind, kind)
			}
			return c
		}
	}
	t.Fatalf("%s is not a child of %s %q", name, parent.Kind, parent.Name)
	return nil
}

func TestLangfuseSDK(t *testing.T) {
	nodeBin := harness.NPMInstall(t, "@langfuse/otel/package.json", "Langfuse's OpenTelemetry SDK")
	c := harness.NewCollector(t, "default.yaml", map[string]string{"GENAI_API_KEY": apiKey})
	c.Start()
	queryURL := "http://" + c.Env["GENAI_QUERY_ENDPOINT"]
	otlpHeaders := "x-maxim-api-key=" + apiKey + ",x-maxim-repo-id=" + repoID

	runs := []struct {
		mode string
		env  []string
	}{
		// What a Langfuse user changes: the base URL, and our repository and
		// API key as the public and secret key.
		{"langfuse", []string{"LANGFUSE_BASE_URL=http://" + c.Env["GENAI_MXIN_ENDPOINT"],
			"LANGFUSE_PUBLIC_KEY=" + repoID, "LANGFUSE_SECRET_KEY=" + apiKey}},
		{"http", []string{"OTEL_EXPORTER_OTLP_ENDPOINT=http://" + c.Env["GENAI_OTLP_HTTP_ENDPOINT"], "OTEL_EXPORTER_OTLP_HEADERS=" + otlpHeaders}},
		{"grpc", []string{"OTEL_EXPORTER_OTLP_ENDPOINT=http://" + c.Env["GENAI_OTLP_GRPC_ENDPOINT"], "OTEL_EXPORTER_OTLP_HEADERS=" + otlpHeaders}},
	}
	for _, run := range runs {
		t.Run(run.mode, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
			defer cancel()
			session := "lf-session-" + run.mode
			cmd := exec.CommandContext(ctx, nodeBin, "drive.js", run.mode, session)
			cmd.Env = append(os.Environ(), run.env...)
			var stderr strings.Builder
			cmd.Stderr = &stderr
			out, err := cmd.Output()
			if err != nil {
				t.Fatalf("drive.js %s: %v\n%s", run.mode, err, stderr.String())
			}
			var ids struct{ TraceID string }
			if err := json.Unmarshal(out, &ids); err != nil || ids.TraceID == "" {
				t.Fatalf("drive.js output %q: %v\n%s", out, err, stderr.String())
			}
			root := waitTrace(t, queryURL, ids.TraceID)
			checkTrace(t, root, session)
			checkSession(t, queryURL, session, ids.TraceID)
		})
	}
}

// waitTrace waits until all 9 nodes of the trace (trace and 8
// observations) are in it and the failed generation's error has arrived
// (spans arrive in separate requests, children first).
func waitTrace(t *testing.T, queryURL, id string) *node {
	t.Helper()
	return harness.WaitTrace(t, queryURL, repoID, apiKey, id, func(root *node) error {
		n := 0
		for _, v := range root.Totals.Counts {
			n += v
		}
		if n != 1+8 || !root.Totals.Error || root.Name != "support-turn" {
			return fmt.Errorf("trace incomplete: name %q, counts %v", root.Name, root.Totals.Counts)
		}
		return nil
	})
}

func checkTrace(t *testing.T, root *node, session string) {
	defer func() {
		if t.Failed() {
			b, _ := json.MarshalIndent(root, "", " ")
			t.Logf("tree:\n%s", b)
		}
	}()
	// Trace: propagated name, session, user, tags and metadata.
	if root.SessionID != session {
		t.Errorf("trace sessionId %q, want %q", root.SessionID, session)
	}
	if root.Tags["userId"] != "user-42" {
		t.Errorf("trace tags %v: want userId user-42", root.Tags)
	}
	if string(root.Metadata["tenant"]) != `"acme"` || string(root.Metadata["plan"]) != `"pro"` {
		t.Errorf("trace metadata %v", root.Metadata)
	}
	// Exact totals: plan 50/14 and answer 61/9, the refused call none.
	if root.Totals.InputTokens != 111 || root.Totals.OutputTokens != 23 || root.Totals.TotalTokens != 134 {
		t.Errorf("totals %+v, want 111/23/134", root.Totals)
	}
	want := map[string]int{"trace": 1, "span": 3, "generation": 3, "tool_call": 1, "retrieval": 1}
	for k, v := range want {
		if root.Totals.Counts[k] != v {
			t.Errorf("counts %v, want %v", root.Totals.Counts, want)
			break
		}
	}
	if len(root.Children) != 1 {
		t.Fatalf("trace children: %d, want the agent span", len(root.Children))
	}
	agent := root.Children[0]
	if agent.Kind != "span" || agent.Name != "support-agent" {
		t.Fatalf("root observation %s %q", agent.Kind, agent.Name)
	}
	if s := string(root.Input) + string(agent.Input); !strings.Contains(s, "What is the weather in Paris?") {
		t.Errorf("agent input: trace %s, node %s", root.Input, agent.Input)
	}
	if s := string(root.Output) + string(agent.Output); !strings.Contains(s, "It is 18C and cloudy in Paris.") {
		t.Errorf("agent output: trace %s, node %s", root.Output, agent.Output)
	}

	plan := one(t, agent, "plan", "generation")
	if plan.Model != "gpt-4o-mini" || plan.ModelParameters["temperature"] != 0.2 || plan.ModelParameters["max_tokens"] != float64(256) {
		t.Errorf("plan model %q parameters %v", plan.Model, plan.ModelParameters)
	}
	if len(plan.Messages) != 2 || !strings.Contains(string(plan.Messages[0]), "You are a weather assistant.") ||
		!strings.Contains(string(plan.Messages[1]), `"role":"user"`) {
		t.Errorf("plan messages %s", plan.Messages)
	}
	if plan.Completion == nil || len(plan.Completion.ToolCalls) != 1 || !strings.Contains(string(plan.Completion.ToolCalls[0]), "get_weather") {
		t.Errorf("plan completion %+v", plan.Completion)
	}
	if plan.Usage == nil || plan.Usage.InputTokens != 50 || plan.Usage.OutputTokens != 14 || plan.Usage.TotalTokens != 64 {
		t.Errorf("plan usage %+v", plan.Usage)
	}
	if string(plan.Metadata["step"]) != `"plan"` {
		t.Errorf("plan metadata %v", plan.Metadata)
	}
	// A child of a generation, exported before it (in its own request in
	// the http and grpc runs), hangs under it.
	guard := one(t, plan, "input-moderation", "span")
	if !strings.Contains(string(guard.Output), "flagged") {
		t.Errorf("guardrail output %s", guard.Output)
	}

	tool := one(t, agent, "get_weather", "tool_call")
	if !strings.Contains(string(tool.Args)+string(tool.Input), "Paris") || !strings.Contains(string(tool.Output), "tempC") {
		t.Errorf("tool call args %s input %s output %s", tool.Args, tool.Input, tool.Output)
	}
	kb := one(t, agent, "kb-search", "retrieval")
	if !strings.Contains(string(kb.Input), "Paris weather advisories") || !strings.Contains(string(kb.Output), "No weather advisories") {
		t.Errorf("retrieval input %s output %s", kb.Input, kb.Output)
	}

	chain := one(t, agent, "compose-answer", "span")
	answer := one(t, chain, "answer", "generation")
	if answer.Completion == nil || answer.Completion.Text != "It is 18C and cloudy in Paris." {
		t.Errorf("answer completion %+v", answer.Completion)
	}
	if len(answer.Messages) != 4 || !strings.Contains(string(answer.Messages[3]), `"role":"tool"`) {
		t.Errorf("answer messages %s", answer.Messages)
	}
	if answer.Usage == nil || answer.Usage.InputTokens != 61 || answer.Usage.OutputTokens != 9 {
		t.Errorf("answer usage %+v", answer.Usage)
	}
	if answer.Cost == nil || answer.Cost.Source != "sent" || answer.Cost.Total != 0.00075 || answer.Cost.Input != 0.0005 || answer.Cost.Output != 0.00025 {
		t.Errorf("answer cost %+v, want the costDetails sent", answer.Cost)
	}
	if v, ok := answer.ModelParameters["temperature"]; !ok || v != float64(0) {
		t.Errorf("answer parameters %v", answer.ModelParameters)
	}

	fallback := one(t, agent, "fallback", "generation")
	if len(fallback.Errors) != 1 || !strings.Contains(fallback.Errors[0].Message, "broken-model") {
		t.Errorf("fallback errors %+v", fallback.Errors)
	}
	if fallback.Usage != nil {
		t.Errorf("fallback usage %+v", fallback.Usage)
	}
	if !root.Totals.Error || root.Totals.Errors != 1 {
		t.Errorf("trace error %v errors %d, want the one failed generation", root.Totals.Error, root.Totals.Errors)
	}
}

// checkSession reads the session the trace was propagated into.
func checkSession(t *testing.T, queryURL, session, traceID string) {
	var s struct {
		Root *node `json:"session"`
	}
	if _, err := harness.GetJSON(context.Background(), queryURL+"/api/v1/sessions/"+session+"?repo="+repoID, apiKey, &s); err != nil {
		t.Fatal(err)
	}
	if s.Root == nil || len(s.Root.Children) != 1 || s.Root.Children[0].ID != traceID {
		t.Fatalf("session %s: %+v", session, s.Root)
	}
	if s.Root.Totals.TotalTokens != 134 {
		t.Errorf("session totals %+v", s.Root.Totals)
	}
}
