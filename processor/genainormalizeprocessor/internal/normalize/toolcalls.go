package normalize

import (
	"github.com/otelcol-genai/otelcol-genai/pkg/spancommit"
)

// toolCallOf reads one tool call of any dialect: OpenAI
// {id,type,function:{name,arguments}}, OpenInference {tool_call:{...}},
// GenAI/OpenLLMetry {id,name,arguments}, AI SDK {toolCallId,toolName,input|args},
// Anthropic {id,name,input}, Responses {call_id,name,arguments}.
func toolCallOf(x any) (spancommit.ToolCall, bool) {
	m, ok := x.(map[string]any)
	if !ok {
		return spancommit.ToolCall{}, false
	}
	if inner, ok := m["tool_call"].(map[string]any); ok {
		m = inner
	}
	id := firstStr(m, "id", "toolCallId", "call_id", "tool_call_id")
	if c := asString(m["call_id"]); c != "" {
		id = c
	}
	name := firstStr(m, "name", "toolName")
	var args any
	found := false
	for _, k := range []string{"arguments", "input", "args", "parameters"} {
		if a, ok := m[k]; ok {
			args, found = a, true
			break
		}
	}
	if f, ok := m["function"].(map[string]any); ok {
		if n := asString(f["name"]); n != "" {
			name = n
		}
		if a, ok := f["arguments"]; ok {
			args, found = a, true
		}
	}
	if name == "" && id == "" {
		return spancommit.ToolCall{}, false
	}
	if !found {
		args = nil
	}
	return mkToolCall(id, name, args), true
}

// mkToolCall builds a canonical call: arguments become compact JSON text, so
// a pretty-printed string and an object give the same call.
func mkToolCall(id, name string, args any) spancommit.ToolCall {
	return spancommit.ToolCall{ID: id, Type: "function", Function: spancommit.ToolFunction{Name: name, Arguments: argsText(args)}}
}

func argsText(args any) string {
	switch a := args.(type) {
	case nil:
		return "{}"
	case string:
		if p, ok := parseJSON(a); ok {
			return compactJSON(p)
		}
		return a
	}
	return compactJSON(args)
}
