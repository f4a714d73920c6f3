package spancommit_test

import (
	"context"
	"encoding/json"
	"strings"
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

// LangChain.js traced by OpenInference
// (@arizeai/openinference-instrumentation-langchain 4.x, the keys as it
// writes them): its flattened messages carry no tool call ids, no tool
// message tool_call_id, no response id or response model; LangChain's own
// serialized run inputs and LLMResult in input.value / output.value do. A
// tool run's output.value is {output: <serialized ToolMessage>}.
func TestLangChainJSThroughOpenInference(t *testing.T) {
	const aiMsg = `{"lc":1,"type":"constructor","id":["langchain_core","messages","AIMessage"],"kwargs":{"id":"chatcmpl-1","content":"",` +
		`"additional_kwargs":{"tool_calls":[{"id":"call_1","type":"function","function":{"name":"get_weather","arguments":"{\"city\":\"Paris\"}"}}]},` +
		`"response_metadata":{"finish_reason":"tool_calls","model_name":"gpt-4o-mini-2024-07-18"},"type":"ai",` +
		`"tool_calls":[{"name":"get_weather","args":{"city":"Paris"},"type":"tool_call","id":"call_1"}]}}`
	const toolMsg = `{"lc":1,"type":"constructor","id":["langchain_core","messages","ToolMessage"],"kwargs":{"status":"success",` +
		`"content":"{\"city\":\"Paris\",\"tempC\":18}","tool_call_id":"call_1","name":"get_weather"}}`
	const userMsg = `{"lc":1,"type":"constructor","id":["langchain_core","messages","HumanMessage"],"kwargs":{"content":"Weather in Paris?"}}`
	nodes := fidelityTree(t, nil,
		map[string]any{"_name": "weather-agent", "openinference.span.kind": "CHAIN", "input.value": "Weather in Paris?"},
		map[string]any{"_name": "call-tool", "openinference.span.kind": "LLM", "llm.model_name": "gpt-4o-mini",
			"llm.invocation_parameters":         `{"model":"gpt-4o-mini","temperature":0.2,"stream":false}`,
			"metadata":                          `{"ls_provider":"openai","ls_model_name":"gpt-4o-mini","attempt":2}`,
			"llm.input_messages.0.message.role": "user", "llm.input_messages.0.message.content": "Weather in Paris?",
			"llm.output_messages.0.message.role": "assistant", "llm.output_messages.0.message.content": "",
			"llm.output_messages.0.message.tool_calls.0.tool_call.function.name":      "get_weather",
			"llm.output_messages.0.message.tool_calls.0.tool_call.function.arguments": `{"city":"Paris"}`,
			"llm.token_count.prompt": int64(50), "llm.token_count.completion": int64(14), "llm.finish_reason": "tool_calls",
			"input.value":  `{"messages":[[` + userMsg + `]]}`,
			"output.value": `{"generations":[[{"text":"","message":` + aiMsg + `,"generationInfo":{"finish_reason":"tool_calls"}}]]}`},
		map[string]any{"_name": "get_weather", "openinference.span.kind": "TOOL", "tool.name": "get_weather", "input.value": "Paris",
			"output.value": `{"output":` + toolMsg + `}`},
		map[string]any{"_name": "answer", "openinference.span.kind": "LLM", "llm.model_name": "gpt-4o-mini",
			"llm.invocation_parameters": `{"model":"gpt-4o-mini","stream":false}`, "metadata": `{"ls_provider":"openai"}`,
			"llm.input_messages.0.message.role": "user", "llm.input_messages.0.message.content": "Weather in Paris?",
			"llm.input_messages.1.message.role": "assistant", "llm.input_messages.1.message.content": "",
			"llm.input_messages.1.message.tool_calls.0.tool_call.function.name":      "get_weather",
			"llm.input_messages.1.message.tool_calls.0.tool_call.function.arguments": `{"city":"Paris"}`,
			"llm.input_messages.2.message.role":                                      "tool", "llm.input_messages.2.message.content": `{"city":"Paris","tempC":18}`,
			"llm.output_messages.0.message.role": "assistant", "llm.output_messages.0.message.content": "It is 18C.",
			"llm.token_count.prompt": int64(61), "llm.token_count.completion": int64(9),
			"input.value": `{"messages":[[` + userMsg + `,` + aiMsg + `,` + toolMsg + `]]}`,
			// Streamed: LangChain assembles an AIMessageChunk.
			"output.value": `{"generations":[[{"text":"It is 18C.","message":{"lc":1,"type":"constructor","id":["langchain_core","messages","AIMessageChunk"],` +
				`"kwargs":{"id":"chatcmpl-stream","content":"It is 18C.","response_metadata":{"model_name":"gpt-4o-mini-2024-07-18"}}}}]]}`},
	)
	call := nodes["call-tool"]
	if call == nil || call.Node.Completion == nil || len(call.Node.Completion.ToolCalls) != 1 {
		t.Fatalf("tool-calling generation: %+v", call)
	}
	if tc := string(call.Node.Completion.ToolCalls[0]); !strings.Contains(tc, `"id":"call_1"`) || !strings.Contains(tc, `"name":"get_weather"`) {
		t.Errorf("tool call id not taken from LangChain's output: %s", tc)
	}
	if call.Node.Model != "gpt-4o-mini" || call.Node.Completion.Model != "gpt-4o-mini-2024-07-18" || call.Node.Completion.ID != "chatcmpl-1" {
		t.Errorf("requested model %q, response model %q, response id %q", call.Node.Model, call.Node.Completion.Model, call.Node.Completion.ID)
	}
	if call.Node.Provider != "openai" || string(call.Node.Metadata["attempt"]) != "2" {
		t.Errorf("provider %q (ls_provider), metadata %v", call.Node.Provider, call.Node.Metadata)
	}
	ans := nodes["answer"]
	if ans == nil || len(ans.Node.Messages) != 3 {
		t.Fatalf("answer messages: %+v", ans)
	}
	if m := string(ans.Node.Messages[1]); !strings.Contains(m, `"id":"call_1"`) {
		t.Errorf("assistant tool call in the history has no id: %s", m)
	}
	if m := string(ans.Node.Messages[2]); !strings.Contains(m, `"tool_call_id":"call_1"`) || !strings.Contains(m, `"role":"tool"`) {
		t.Errorf("tool result in the history not linked to its call: %s", m)
	}
	if string(ans.Node.Metadata["maxim.stream"]) != `"true"` {
		t.Errorf("an answer assembled from chunks is streamed: %v", ans.Node.Metadata)
	}
	tool := nodes["get_weather"]
	if tool == nil || string(tool.Node.Output) != `"{\"city\":\"Paris\",\"tempC\":18}"` || len(tool.Node.Errors) != 0 {
		t.Errorf("ToolMessage inside {output} not unwrapped: %+v", tool)
	}
	if tool != nil && string(tool.Node.Metadata["maxim.tool.call_id"]) != `"call_1"` {
		t.Errorf("tool call id from the ToolMessage: %v", tool.Node.Metadata)
	}
}

// The canonical facts FromTraces keeps as node metadata (finish reason,
// stream flag, tool call id) reach the node whether or not the span also
// carried user metadata: with none, they were written into a map the kind
// builders never saw.
func TestCanonicalMetadataWithoutUserMetadata(t *testing.T) {
	nodes := fidelityTree(t, nil,
		map[string]any{"_name": "root"},
		map[string]any{"_name": "chat", "gen_ai.operation.name": "chat", "gen_ai.request.model": "gpt-4o",
			"gen_ai.response.finish_reasons": []any{"stop"}, "gen_ai.request.stream": true},
		map[string]any{"_name": "lookup", "gen_ai.operation.name": "execute_tool", "gen_ai.tool.name": "lookup",
			"gen_ai.tool.call.id": "call_7"},
	)
	g := nodes["chat"]
	if g == nil || string(g.Node.Metadata["maxim.finish_reason"]) != `"stop"` || string(g.Node.Metadata["maxim.stream"]) != `"true"` {
		t.Errorf("generation metadata: %+v", g)
	}
	tool := nodes["lookup"]
	if tool == nil || string(tool.Node.Metadata["maxim.tool.call_id"]) != `"call_7"` {
		t.Errorf("tool call metadata: %+v", tool)
	}
}
