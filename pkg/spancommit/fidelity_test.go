package spancommit_test

import (
	"context"
	"encoding/json"
	"testing"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/otelcol-genai/otelcol-genai/internal/store/memstore"
	"github.com/otelcol-genai/otelcol-genai/internal/tree"
	"github.com/otelcol-genai/otelcol-genai/pkg/commit"
	"github.com/otelcol-genai/otelcol-genai/pkg/spancommit"
)

// fidelityTree normalizes spans (name → attributes, all children of one
// root), folds their commits and returns the nodes by name.
func fidelityTree(t *testing.T, status map[string]ptrace.StatusCode, spans ...map[string]any) map[string]*tree.TreeNode {
	t.Helper()
	td := ptrace.NewTraces()
	ss := td.ResourceSpans().AppendEmpty().ScopeSpans().AppendEmpty()
	for i, attrs := range spans {
		sp := ss.Spans().AppendEmpty()
		sp.SetTraceID(otlpTrace)
		sp.SetSpanID(sid(byte(i + 1)))
		if i > 0 {
			sp.SetParentSpanID(sid(1))
		}
		name := attrs["_name"].(string)
		delete(attrs, "_name")
		sp.SetName(name)
		sp.Status().SetCode(status[name])
		sp.SetStartTimestamp(pcommon.NewTimestampFromTime(at(i * 10)))
		sp.SetEndTimestamp(pcommon.NewTimestampFromTime(at(i*10 + 5)))
		if err := sp.Attributes().FromRaw(attrs); err != nil {
			t.Fatal(err)
		}
	}
	cs, err := spancommit.FromTraces(normalize(t, td), commit.NewVersioner())
	if err != nil {
		t.Fatal(err)
	}
	s := memstore.New()
	storeCommits(t, s, cs)
	tr, err := tree.AssembleTrace(context.Background(), s, commit.NodeRef{Repo: "default", Kind: commit.EntityTrace, ID: otlpTrace.String()})
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]*tree.TreeNode{}
	var walk func(n *tree.TreeNode)
	walk = func(n *tree.TreeNode) {
		out[n.Node.Name] = n
		for _, c := range n.Children {
			walk(c)
		}
	}
	walk(tr.Root)
	return out
}

// MCP semantic conventions (semconv v1.39,
// https://github.com/open-telemetry/semantic-conventions/blob/v1.39.0/docs/gen-ai/mcp.md): a
// `tools/call` server span carries mcp.method.name, gen_ai.tool.name,
// mcp.session.id, jsonrpc.request.id, and on failure error.type
// `tool_error`. A tool failure is a successful JSON-RPC response whose
// CallToolResult has isError: true, so instrumentations that only record
// the result (no status, no error.type) must still show an error.
func TestMCPToolCalls(t *testing.T) {
	nodes := fidelityTree(t, map[string]ptrace.StatusCode{"tools/call get_weather": ptrace.StatusCodeError},
		map[string]any{"_name": "agent"},
		map[string]any{"_name": "tools/call get_weather", "mcp.method.name": "tools/call", "gen_ai.operation.name": "execute_tool",
			"gen_ai.tool.name": "get_weather", "mcp.session.id": "mcp-s-1", "mcp.protocol.version": "2025-06-18",
			"jsonrpc.request.id": "7", "error.type": "tool_error"},
		// No operation name, result recorded, status unset: the failure is
		// only in the result.
		map[string]any{"_name": "tools/call search_docs", "mcp.method.name": "tools/call", "jsonrpc.request.id": int64(8),
			"gen_ai.tool.call.arguments": `{"q":"refunds"}`,
			"gen_ai.tool.call.result":    `{"content":[{"type":"text","text":"index unavailable"}],"isError":true}`},
		map[string]any{"_name": "tools/call add", "mcp.method.name": "tools/call", "gen_ai.tool.name": "add",
			"gen_ai.tool.call.result": `{"content":[{"type":"text","text":"5"}],"isError":false}`},
	)
	w := nodes["get_weather"]
	if w == nil || w.Node.Kind != commit.EntityToolCall || len(w.Node.Errors) == 0 || w.Node.Errors[0].Type != "tool_error" {
		t.Fatalf("status ERROR + error.type: %+v", w)
	}
	if string(w.Node.Metadata["mcp.session.id"]) != `"mcp-s-1"` || string(w.Node.Metadata["jsonrpc.request.id"]) != `"7"` || w.Node.SessionID != "" {
		t.Errorf("MCP ids belong in metadata, not the session: %v / %q", w.Node.Metadata, w.Node.SessionID)
	}
	s := nodes["search_docs"]
	if s == nil || s.Node.Kind != commit.EntityToolCall || len(s.Node.Errors) == 0 || s.Node.Errors[0].Message != "index unavailable" {
		t.Fatalf("isError result must be an error: %+v", s)
	}
	if string(s.Node.Metadata["jsonrpc.request.id"]) != "8" {
		t.Errorf("request id keeps its type: %s", s.Node.Metadata["jsonrpc.request.id"])
	}
	a := nodes["add"]
	if a == nil || len(a.Node.Errors) != 0 || string(a.Node.Output) != `"5"` {
		t.Errorf("successful MCP result unwrapped to its text: %+v", a)
	}
}

// Smaller fidelity gaps of the issue, checked on the folded tree.
func TestFidelityGaps(t *testing.T) {
	nodes := fidelityTree(t, nil,
		map[string]any{"_name": "chain"},
		// Requested vs served model: add-generation carries the request
		// model, result.model the response model; the tool call the model
		// made has no id.
		map[string]any{"_name": "chat gpt-4o", "gen_ai.operation.name": "chat", "gen_ai.request.model": "gpt-4o",
			"gen_ai.response.model":  "gpt-4o-2024-08-06",
			"gen_ai.output.messages": `[{"role":"assistant","parts":[{"type":"tool_call","name":"lookup","arguments":{"k":1}}],"finish_reason":"tool_call"}]`},
		// OpenInference LangChain LLM span: no model attribute, LangSmith
		// hints and typed values in `metadata`.
		map[string]any{"_name": "ChatOpenAI", "openinference.span.kind": "LLM",
			"metadata": `{"ls_provider":"openai","ls_model_name":"gpt-4o-mini","ls_temperature":0.1,"retries":3,"ctx":{"team":"a"}}`},
		// OpenInference LangChain TOOL span: output.value is the ToolMessage.
		map[string]any{"_name": "lookup", "openinference.span.kind": "TOOL", "input.value": `{"k": 1}`,
			"output.value": `{"content": "42", "additional_kwargs": {}, "response_metadata": {}, "type": "tool", "name": "lookup", "id": null, "tool_call_id": "call_9", "artifact": null, "status": "success"}`},
	)
	g := nodes["chat gpt-4o"]
	if g == nil || g.Node.Model != "gpt-4o" || g.Node.Completion == nil || g.Node.Completion.Model != "gpt-4o-2024-08-06" {
		t.Fatalf("model %q / result model %+v", g.Node.Model, g.Node.Completion)
	}
	if len(g.Node.Completion.ToolCalls) != 1 {
		t.Fatalf("tool calls = %v", g.Node.Completion.ToolCalls)
	}
	var call map[string]any
	_ = json.Unmarshal(g.Node.Completion.ToolCalls[0], &call)
	if _, has := call["id"]; has {
		t.Errorf("a tool call without id must have no id key: %s", g.Node.Completion.ToolCalls[0])
	}
	oi := nodes["ChatOpenAI"]
	if oi == nil || oi.Node.Provider != "openai" || oi.Node.Model != "gpt-4o-mini" {
		t.Errorf("ls_* hints: provider %q model %q", oi.Node.Provider, oi.Node.Model)
	}
	if got := string(oi.Node.Metadata["retries"]); got != "3" {
		t.Errorf("metadata number stringified: %s", got)
	}
	if got := string(oi.Node.Metadata["ctx"]); got != `{"team":"a"}` {
		t.Errorf("metadata object stringified: %s", got)
	}
	tool := nodes["lookup"]
	if tool == nil || string(tool.Node.Output) != `"42"` || len(tool.Node.Errors) != 0 {
		t.Errorf("ToolMessage not unwrapped: %+v", tool)
	}
}
