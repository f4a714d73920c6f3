package normalize

// LangChain's own serialized forms, which OpenInference's LangChain
// instrumentations (JS @arizeai/openinference-instrumentation-langchain,
// Python openinference-instrumentation-langchain) put in input.value and
// output.value beside their flattened llm.*_messages:
//
//   - a message serialized by LangChain (`dumpd` / toJSON):
//     {lc:1, type:"constructor", id:[…,"AIMessage"], kwargs:{content,
//     tool_calls:[{name,args,id}], additional_kwargs:{tool_calls}, tool_call_id,
//     id, response_metadata}};
//   - a chat model run's inputs {messages:[[message, …]]} (one list per
//     prompt of the batch);
//   - its outputs, an LLMResult {generations:[[{text, message,
//     generationInfo}]], llmOutput}.
//
// They are richer than the flattened keys: OpenInference's LangChain.js
// instrumentation leaves the tool call ids and a tool message's
// tool_call_id out of llm.input_messages / llm.output_messages, and has no
// key for the response id or the model that answered.

// lcRoles maps LangChain message classes to roles; "" means the message
// names its role (ChatMessage).
var lcRoles = map[string]string{
	"SystemMessage": "system", "SystemMessageChunk": "system",
	"HumanMessage": "user", "HumanMessageChunk": "user",
	"AIMessage": "assistant", "AIMessageChunk": "assistant",
	"ToolMessage": "tool", "ToolMessageChunk": "tool",
	"FunctionMessage": "tool", "FunctionMessageChunk": "tool",
	"ChatMessage": "", "ChatMessageChunk": "",
}

// lcKwargs returns the kwargs of a LangChain-serialized object and its class
// name (the last element of its id path); ok is false for anything else.
func lcKwargs(m map[string]any) (kwargs map[string]any, class string, ok bool) {
	if m["lc"] == nil || asString(m["type"]) != "constructor" {
		return nil, "", false
	}
	kw, isMap := m["kwargs"].(map[string]any)
	path, isList := m["id"].([]any)
	if !isMap || !isList || len(path) == 0 {
		return nil, "", false
	}
	return kw, asString(path[len(path)-1]), true
}

// lcMessage turns a LangChain-serialized message into the plain message
// shape normMessage reads: role from its class, LangChain's parsed
// tool_calls (else the provider's in additional_kwargs). ok is false when m
// is not a serialized message.
func lcMessage(m map[string]any) (map[string]any, bool) {
	kw, class, ok := lcKwargs(m)
	if !ok {
		return nil, false
	}
	role, known := lcRoles[class]
	if !known {
		return nil, false
	}
	if role == "" {
		role = asString(kw["role"])
	}
	out := map[string]any{"role": role}
	for _, k := range []string{"content", "tool_call_id", "name"} {
		if x, ok := kw[k]; ok {
			out[k] = x
		}
	}
	if tcs, ok := kw["tool_calls"].([]any); ok && len(tcs) > 0 {
		out["tool_calls"] = tcs
	} else if ak, ok := kw["additional_kwargs"].(map[string]any); ok {
		if tcs, ok := ak["tool_calls"]; ok {
			out["tool_calls"] = tcs
		}
		if fc, ok := ak["function_call"]; ok {
			out["function_call"] = fc
		}
	}
	return out, true
}

// lcInputMessages reads a chat model run's inputs {messages:[[…]]}: the
// first prompt of the batch (a run traces one call).
func lcInputMessages(x any) (any, bool) {
	m, ok := x.(map[string]any)
	if !ok {
		return nil, false
	}
	batch, ok := m["messages"].([]any)
	if !ok || len(batch) == 0 {
		return nil, false
	}
	first, ok := batch[0].([]any)
	if !ok {
		return nil, false
	}
	return first, true
}

// lcGenerations returns the first prompt's generations of an LLMResult.
func lcGenerations(x any) ([]any, bool) {
	m, ok := x.(map[string]any)
	if !ok {
		return nil, false
	}
	gens, ok := m["generations"].([]any)
	if !ok || len(gens) == 0 {
		return nil, false
	}
	first, ok := gens[0].([]any)
	return first, ok
}

// lcOutputMessages reads an LLMResult's generations as answer messages:
// each generation's message (its finish reason from generationInfo), else
// its text.
func lcOutputMessages(x any) (any, bool) {
	gens, ok := lcGenerations(x)
	if !ok {
		return nil, false
	}
	var out []any
	for _, g := range gens {
		gm, ok := g.(map[string]any)
		if !ok {
			continue
		}
		info, _ := gm["generationInfo"].(map[string]any)
		if info == nil {
			info, _ = gm["generation_info"].(map[string]any)
		}
		var msg map[string]any
		if mm, ok := gm["message"].(map[string]any); ok {
			if lm, ok := lcMessage(mm); ok {
				msg = lm
			}
		}
		if msg == nil {
			t := asString(gm["text"])
			if t == "" {
				continue
			}
			msg = map[string]any{"role": "assistant", "content": t}
		}
		if f := asString(info["finish_reason"]); f != "" {
			msg["finish_reason"] = f
		}
		out = append(out, msg)
	}
	return out, len(out) > 0
}

// response is what a raw response says about the call.
type response struct {
	id, model string
	// streamed: the answer was put together from stream chunks.
	streamed bool
}

// lcResponse reads an LLMResult: the first generation's message id, the
// model that answered (its response_metadata model_name, else
// generationInfo's), and whether the message was assembled from stream
// chunks (an AIMessageChunk: LangChain's invocation parameters say
// `stream: false` even for .stream()). ok is false for anything else.
func lcResponse(x any) (r response, ok bool) {
	gens, ok := lcGenerations(x)
	if !ok || len(gens) == 0 {
		return r, false
	}
	gm, ok := gens[0].(map[string]any)
	if !ok {
		return r, false
	}
	if mm, ok := gm["message"].(map[string]any); ok {
		if kw, class, ok := lcKwargs(mm); ok {
			r.id = asString(kw["id"])
			r.streamed = class == "AIMessageChunk"
			if rm, ok := kw["response_metadata"].(map[string]any); ok {
				r.model = firstStr(rm, "model_name", "model")
			}
		}
	}
	if r.model == "" {
		if info, ok := gm["generationInfo"].(map[string]any); ok {
			r.model = firstStr(info, "model_name", "model")
		}
	}
	return r, true
}

// fillToolCallIDs copies tool call ids and tool results' tool_call_id from
// from into ms where ms lacks them, when both describe the same messages:
// as many, with the same roles, and per message the same tool calls by
// name. Anything else leaves ms as it is.
func fillToolCallIDs(ms, from []msg) {
	if len(ms) != len(from) {
		return
	}
	for i := range ms {
		if ms[i].Role != from[i].Role || len(ms[i].ToolCalls) != len(from[i].ToolCalls) {
			return
		}
		for j := range ms[i].ToolCalls {
			if ms[i].ToolCalls[j].Function.Name != from[i].ToolCalls[j].Function.Name {
				return
			}
		}
	}
	for i := range ms {
		if ms[i].Role == "tool" && ms[i].ToolCallID == "" {
			ms[i].ToolCallID = from[i].ToolCallID
		}
		for j := range ms[i].ToolCalls {
			if ms[i].ToolCalls[j].ID == "" {
				ms[i].ToolCalls[j].ID = from[i].ToolCalls[j].ID
			}
		}
	}
}

// missingToolCallIDs reports whether a tool call or a tool result in ms has
// no id.
func missingToolCallIDs(ms []msg) bool {
	for _, m := range ms {
		if m.Role == "tool" && m.ToolCallID == "" {
			return true
		}
		for _, tc := range m.ToolCalls {
			if tc.ID == "" {
				return true
			}
		}
	}
	return false
}
