package normalize

import (
	"encoding/json"
	"testing"

	"github.com/otelcol-genai/otelcol-genai/pkg/spancommit"
)

func lcJSON(t *testing.T, s string) any {
	t.Helper()
	x, ok := parseJSON(s)
	if !ok {
		t.Fatalf("bad JSON %s", s)
	}
	return x
}

// LangChain's serialized messages read as messages of every role, with
// LangChain's parsed tool calls (ids included) and a tool result's call id.
func TestLangChainSerializedMessages(t *testing.T) {
	in := lcJSON(t, `[
	 {"lc":1,"type":"constructor","id":["langchain_core","messages","SystemMessage"],"kwargs":{"content":"Be brief."}},
	 {"lc":1,"type":"constructor","id":["langchain","schema","messages","HumanMessage"],"kwargs":{"content":"Weather?"}},
	 {"lc":1,"type":"constructor","id":["langchain_core","messages","AIMessage"],"kwargs":{"content":"",
	   "tool_calls":[{"name":"get_weather","args":{"city":"Paris"},"type":"tool_call","id":"call_1"}],
	   "additional_kwargs":{"tool_calls":[{"id":"call_other","type":"function","function":{"name":"get_weather","arguments":"{}"}}]}}},
	 {"lc":1,"type":"constructor","id":["langchain_core","messages","ToolMessage"],"kwargs":{"content":"18C","tool_call_id":"call_1","status":"success"}},
	 {"lc":1,"type":"constructor","id":["langchain_core","messages","ChatMessage"],"kwargs":{"content":"note","role":"critic"}}
	]`)
	ms, _ := normMessages(in, "user")
	got, _ := json.Marshal(ms)
	want := `[{"role":"system","content":"Be brief."},{"role":"user","content":"Weather?"},` +
		`{"role":"assistant","content":null,"tool_calls":[{"id":"call_1","type":"function","function":{"name":"get_weather","arguments":"{\"city\":\"Paris\"}"}}]},` +
		`{"role":"tool","content":"18C","tool_call_id":"call_1"},{"role":"critic","content":"note"}]`
	if string(got) != want {
		t.Errorf("messages\n got %s\nwant %s", got, want)
	}
	// Without LangChain's parsed tool_calls, the provider's in
	// additional_kwargs.
	ai := lcJSON(t, `{"lc":1,"type":"constructor","id":["langchain_core","messages","AIMessage"],"kwargs":{"content":"",
	  "additional_kwargs":{"tool_calls":[{"id":"call_9","type":"function","function":{"name":"f","arguments":"{\"a\":1}"}}]}}}`)
	ms, _ = normMessages(ai, "assistant")
	if len(ms) != 1 || len(ms[0].ToolCalls) != 1 || ms[0].ToolCalls[0].ID != "call_9" {
		t.Errorf("additional_kwargs tool calls: %+v", ms)
	}
	// Not a serialized message: a class LangChain does not have, or not
	// a constructor.
	for _, s := range []string{
		`{"lc":1,"type":"constructor","id":["x","Document"],"kwargs":{"content":"doc"}}`,
		`{"lc":1,"type":"secret","id":["OPENAI_API_KEY"]}`,
	} {
		if _, ok := lcMessage(lcJSON(t, s).(map[string]any)); ok {
			t.Errorf("%s read as a LangChain message", s)
		}
	}
}

// An LLMResult's generations: message (finish reason from
// generationInfo) or text; the response id, the model that answered, and
// whether it came from a stream.
func TestLangChainLLMResult(t *testing.T) {
	x := lcJSON(t, `{"generations":[[{"text":"Hi","generationInfo":{"finish_reason":"stop","model_name":"m-info"},
	  "message":{"lc":1,"type":"constructor","id":["langchain_core","messages","AIMessageChunk"],
	    "kwargs":{"id":"chatcmpl-7","content":"Hi","response_metadata":{"model_name":"m-2024"}}}},
	  {"text":"Hello"}]],"llmOutput":{}}`)
	out, ok := lcOutputMessages(x)
	if !ok {
		t.Fatal("LLMResult not read")
	}
	ms, finish := normMessages(out, "assistant")
	if len(ms) != 2 || ms[0].Content != "Hi" || ms[1].Content != "Hello" || len(finish) != 1 || finish[0] != "stop" {
		t.Errorf("generations: %+v finish %v", ms, finish)
	}
	r, ok := lcResponse(x)
	if !ok || r.id != "chatcmpl-7" || r.model != "m-2024" || !r.streamed {
		t.Errorf("response %+v", r)
	}
	if _, ok := lcResponse(lcJSON(t, `{"choices":[]}`)); ok {
		t.Error("an OpenAI response is not an LLMResult")
	}
}

// Ids are copied only between lists that describe the same messages.
func TestFillToolCallIDs(t *testing.T) {
	call := func(id, name string) []spancommit.ToolCall {
		return []spancommit.ToolCall{{ID: id, Type: "function", Function: spancommit.ToolFunction{Name: name}}}
	}
	from := []msg{{Role: "user"}, {Role: "assistant", ToolCalls: call("call_1", "f")}, {Role: "tool", ToolCallID: "call_1"}}
	fresh := func() []msg {
		return []msg{{Role: "user"}, {Role: "assistant", ToolCalls: call("", "f")}, {Role: "tool"}}
	}
	ms := fresh()
	fillToolCallIDs(ms, from)
	if ms[1].ToolCalls[0].ID != "call_1" || ms[2].ToolCallID != "call_1" || missingToolCallIDs(ms) {
		t.Errorf("aligned lists: %+v", ms)
	}
	// An id already there is kept.
	ms = fresh()
	ms[1].ToolCalls[0].ID = "own"
	fillToolCallIDs(ms, from)
	if ms[1].ToolCalls[0].ID != "own" {
		t.Errorf("existing id overwritten: %+v", ms)
	}
	for name, other := range map[string][]msg{
		"shorter":      from[:2],
		"role differs": {{Role: "system"}, from[1], from[2]},
		"tool name":    {{Role: "user"}, {Role: "assistant", ToolCalls: call("call_1", "g")}, from[2]},
		"call count":   {{Role: "user"}, {Role: "assistant"}, from[2]},
	} {
		ms := fresh()
		fillToolCallIDs(ms, other)
		if !missingToolCallIDs(ms) || ms[2].ToolCallID != "" {
			t.Errorf("%s: ids copied between different lists: %+v", name, ms)
		}
	}
}

// Tool results: a LangChain ToolMessage as Python OpenInference sends it,
// serialized, and inside a JS tool run's outputs {output: …}; its status
// "error" is an error; any other single `output` object stays as sent.
func TestUnwrapLangChainToolResults(t *testing.T) {
	const kw = `{"content":"18C","tool_call_id":"call_1","status":"success","type":"tool"}`
	const ser = `{"lc":1,"type":"constructor","id":["langchain_core","messages","ToolMessage"],"kwargs":` + kw + `}`
	for _, s := range []string{kw, ser, `{"output":` + ser + `}`} {
		r, ok := unwrapToolResult(s)
		if !ok || r.text != "18C" || r.callID != "call_1" || r.isErr {
			t.Errorf("%s: %+v %v", s, r, ok)
		}
	}
	r, ok := unwrapToolResult(`{"output":{"lc":1,"type":"constructor","id":["langchain_core","messages","ToolMessage"],"kwargs":{"content":"boom","tool_call_id":"c","status":"error"}}}`)
	if !ok || !r.isErr || r.text != "boom" {
		t.Errorf("error ToolMessage: %+v %v", r, ok)
	}
	if _, ok := unwrapToolResult(`{"output":{"tempC":18}}`); ok {
		t.Error("a plain {output} object is a result as it is")
	}
}
