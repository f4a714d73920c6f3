package normalize

import (
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/otelcol-genai/otelcol-genai/pkg/spancommit"
)

type msg = spancommit.Message

// Every dialect's message ends up in one shape (spancommit.Message, the
// OpenAI chat shape the Maxim SDKs use). The converters below read GenAI
// `parts`, OpenInference flattened `message.*` (with its `message`,
// `message_content` and `tool_call` wrappers), AI SDK content parts,
// OpenLLMetry `gen_ai.prompt.{i}.*`, Anthropic and OpenAI Responses blocks.

// toolResult is a tool output carried inside a message; it becomes its own
// `tool` message because the canonical shape has one result per message.
type toolResult struct {
	id      string
	content string
}

// normMessages converts a list (or a single object) of message-like values.
// finish collects per-message finish reasons (GenAI output messages carry
// them).
func normMessages(x any, defaultRole string) (out []msg, finish []string) {
	switch t := x.(type) {
	case []any:
		for _, it := range t {
			ms, f := normMessage(it, defaultRole)
			out = append(out, ms...)
			if f != "" {
				finish = append(finish, f)
			}
		}
	case map[string]any:
		if inner, ok := t["messages"].([]any); ok {
			return normMessages(inner, defaultRole)
		}
		ms, f := normMessage(t, defaultRole)
		out = append(out, ms...)
		if f != "" {
			finish = append(finish, f)
		}
	case string:
		if strings.TrimSpace(t) != "" {
			out = append(out, msg{Role: defaultRole, Content: t})
		}
	}
	return out, finish
}

var roleMap = map[string]string{
	"developer": "system", "model": "assistant", "human": "user", "ai": "assistant", "function": "tool",
}

func normRole(r string, def string) string {
	r = strings.ToLower(strings.TrimSpace(r))
	if r == "" {
		return def
	}
	if m, ok := roleMap[r]; ok {
		return m
	}
	return r
}

func normMessage(x any, defaultRole string) ([]msg, string) {
	m, ok := x.(map[string]any)
	if !ok {
		if s, ok := x.(string); ok && strings.TrimSpace(s) != "" {
			if p, ok := parseJSON(s); ok {
				if _, isStr := p.(string); !isStr {
					return normMessage(p, defaultRole)
				}
			}
			return []msg{{Role: defaultRole, Content: s}}, ""
		}
		return nil, ""
	}
	// OpenInference wraps every message: {message:{role,content,...}}.
	if inner, ok := m["message"].(map[string]any); ok && len(m) == 1 {
		m = inner
	}
	// OpenAI choice objects wrap the message too.
	if inner, ok := m["message"].(map[string]any); ok {
		if _, hasRole := m["role"]; !hasRole {
			f := asString(m["finish_reason"])
			ms, _ := normMessage(inner, defaultRole)
			return ms, f
		}
	}
	out := msg{Role: normRole(asString(m["role"]), defaultRole), Name: asString(m["name"])}
	var parts []spancommit.Part
	var results []toolResult
	var reasoning []string
	addContent := func(c any) {
		p, tc, tr, rs := contentParts(c)
		parts = append(parts, p...)
		out.ToolCalls = append(out.ToolCalls, tc...)
		results = append(results, tr...)
		reasoning = append(reasoning, rs...)
	}
	if c, ok := m["content"]; ok {
		if s, isStr := c.(string); isStr && strings.HasPrefix(strings.TrimSpace(s), "[") {
			// OpenLLMetry puts OpenAI content-part lists in as JSON text.
			if p, ok := parseJSON(s); ok {
				if l, ok := p.([]any); ok && partsList(l) {
					c = l
				}
			}
		}
		addContent(c)
	}
	if c, ok := m["parts"]; ok {
		addContent(c)
	}
	if c, ok := m["contents"]; ok {
		addContent(c)
	}
	if tcs, ok := m["tool_calls"]; ok {
		if s, isStr := tcs.(string); isStr {
			tcs, _ = parseJSON(s)
		}
		if l, ok := tcs.([]any); ok {
			for _, t := range l {
				if tc, ok := toolCallOf(t); ok {
					out.ToolCalls = append(out.ToolCalls, tc)
				}
			}
		}
	}
	if fc, ok := m["function_call"].(map[string]any); ok {
		out.ToolCalls = append(out.ToolCalls, mkToolCall("", asString(fc["name"]), fc["arguments"]))
	}
	for _, k := range []string{"reasoning", "reasoning_content", "thinking"} {
		if s, ok := m[k].(string); ok && s != "" {
			reasoning = append(reasoning, s)
		}
	}
	out.Reasoning = strings.Join(reasoning, "\n")
	out.ToolCallID = asString(m["tool_call_id"])
	if out.ToolCallID == "" {
		out.ToolCallID = asString(m["id"]) // GenAI tool message events carry `id`
		if out.Role != "tool" {
			out.ToolCallID = ""
		}
	}
	finish := asString(m["finish_reason"])
	var ms []msg
	if out.Role == "tool" && out.ToolCallID == "" && len(results) > 0 && len(parts) == 0 {
		// A tool message made only of results: one message per result.
		for _, r := range results {
			ms = append(ms, msg{Role: "tool", Content: r.content, ToolCallID: r.id})
		}
		return ms, finish
	}
	out.Content = finalizeContent(parts, len(out.ToolCalls) > 0)
	keep := out.Content != nil && out.Content != "" || len(out.ToolCalls) > 0 || out.Reasoning != "" || len(results) == 0
	if keep {
		ms = append(ms, out)
	}
	for _, r := range results {
		ms = append(ms, msg{Role: "tool", Content: r.content, ToolCallID: r.id})
	}
	return ms, finish
}

// partsList reports whether a parsed list looks like content parts.
func partsList(l []any) bool {
	for _, it := range l {
		if m, ok := it.(map[string]any); ok {
			if _, ok := m["type"]; ok {
				return true
			}
		}
	}
	return false
}

// finalizeContent collapses parts: one text part becomes a plain string
// (as the SDKs send it); an assistant turn with only tool calls has null
// content, as in OpenAI's shape.
func finalizeContent(parts []spancommit.Part, hasToolCalls bool) any {
	switch {
	case len(parts) == 0 && hasToolCalls:
		return nil
	case len(parts) == 0:
		return ""
	case len(parts) == 1 && parts[0].Type == "text":
		return parts[0].Text
	}
	return parts
}

// contentParts reads a content value of any dialect.
func contentParts(c any) (parts []spancommit.Part, calls []spancommit.ToolCall, results []toolResult, reasoning []string) {
	switch t := c.(type) {
	case nil:
		return
	case string:
		if t != "" {
			parts = append(parts, spancommit.Part{Type: "text", Text: t})
		}
		return
	case map[string]any:
		return contentParts([]any{t})
	case []any:
		for _, it := range t {
			switch p := it.(type) {
			case string:
				if p != "" {
					parts = append(parts, spancommit.Part{Type: "text", Text: p})
				}
			case map[string]any:
				if inner, ok := p["message_content"].(map[string]any); ok {
					p = inner
				}
				pp, tc, tr, rs := onePart(p)
				if pp != nil {
					parts = append(parts, *pp)
				}
				if tc != nil {
					calls = append(calls, *tc)
				}
				if tr != nil {
					results = append(results, *tr)
				}
				if rs != "" {
					reasoning = append(reasoning, rs)
				}
			}
		}
	default:
		parts = append(parts, spancommit.Part{Type: "text", Text: asString(t)})
	}
	return
}

func onePart(p map[string]any) (*spancommit.Part, *spancommit.ToolCall, *toolResult, string) {
	typ := strings.ToLower(asString(p["type"]))
	text := func() string {
		for _, k := range []string{"text", "content"} {
			if s, ok := p[k].(string); ok {
				return s
			}
		}
		return ""
	}
	switch typ {
	case "text", "input_text", "output_text":
		return &spancommit.Part{Type: "text", Text: text()}, nil, nil, ""
	case "refusal":
		return &spancommit.Part{Type: "text", Text: asString(p["refusal"])}, nil, nil, ""
	case "reasoning", "thinking":
		s := text()
		if s == "" {
			s = asString(p["thinking"])
		}
		return nil, nil, nil, s
	case "redacted_thinking":
		return nil, nil, nil, ""
	case "image_url":
		switch u := p["image_url"].(type) {
		case string:
			return imagePart(u, ""), nil, nil, ""
		case map[string]any:
			ip := imagePart(asString(u["url"]), "")
			ip.ImageURL.Detail = asString(u["detail"])
			return ip, nil, nil, ""
		}
	case "image":
		// OpenInference: {image:{image:{url}}} or {image:{url}}; AI SDK v4:
		// {image, mimeType}; Anthropic: {source:{type,media_type,data|url}}.
		if im, ok := p["image"].(map[string]any); ok {
			if in, ok := im["image"].(map[string]any); ok {
				im = in
			}
			return imagePart(asString(im["url"]), ""), nil, nil, ""
		}
		if s, ok := p["image"].(string); ok {
			return imagePart(s, asString(p["mimeType"])), nil, nil, ""
		}
		if src, ok := p["source"].(map[string]any); ok {
			if u := asString(src["url"]); u != "" {
				return imagePart(u, ""), nil, nil, ""
			}
			return imagePart(asString(src["data"]), asString(src["media_type"])), nil, nil, ""
		}
	case "blob", "uri", "file", "input_audio", "audio", "media", "document":
		return mediaPart(p), nil, nil, ""
	case "tool_call", "tool-call", "tool_use", "function_call", "server_tool_call":
		if tc, ok := toolCallOf(p); ok {
			return nil, &tc, nil, ""
		}
	case "tool_call_response", "tool-result", "tool_result", "function_call_output", "server_tool_call_response":
		r := toolResult{id: firstStr(p, "id", "toolCallId", "tool_use_id", "call_id", "tool_call_id")}
		var out any
		for _, k := range []string{"response", "result", "output", "content"} {
			if x, ok := p[k]; ok {
				out = x
				break
			}
		}
		// AI SDK v5+: output {type:"text"|"json"|..., value}.
		if o, ok := out.(map[string]any); ok {
			if val, ok := o["value"]; ok && o["type"] != nil {
				out = val
			}
		}
		r.content = resultText(out)
		return nil, nil, &r, ""
	case "":
		// Gemini inline data has no type.
		for _, k := range []string{"inline_data", "inlineData"} {
			if d, ok := p[k].(map[string]any); ok {
				mt := firstStr(d, "mime_type", "mimeType")
				return mediaPart(map[string]any{"type": "blob", "mime_type": mt, "content": d["data"]}), nil, nil, ""
			}
		}
		if s := text(); s != "" {
			return &spancommit.Part{Type: "text", Text: s}, nil, nil, ""
		}
	default:
		if s := text(); s != "" {
			return &spancommit.Part{Type: "text", Text: s}, nil, nil, ""
		}
	}
	return nil, nil, nil, ""
}

func firstStr(m map[string]any, keys ...string) string {
	for _, k := range keys {
		if s := asString(m[k]); s != "" {
			return s
		}
	}
	return ""
}

// resultText renders a tool result: strings as they are (a JSON string
// literal is unwrapped), anything else as compact JSON.
func resultText(x any) string {
	switch t := x.(type) {
	case nil:
		return ""
	case string:
		return unquote(t)
	case []any:
		// Anthropic tool_result content blocks: join their text.
		var b []string
		for _, it := range t {
			if m, ok := it.(map[string]any); ok && asString(m["type"]) == "text" {
				b = append(b, asString(m["text"]))
			}
		}
		if len(b) == len(t) && len(b) > 0 {
			return strings.Join(b, "\n")
		}
	}
	return compactJSON(x)
}

// unquote unwraps a JSON string literal (`"\"value\""` → `value`).
func unquote(s string) string {
	t := strings.TrimSpace(s)
	if len(t) >= 2 && t[0] == '"' && t[len(t)-1] == '"' {
		if u, err := strconv.Unquote(t); err == nil {
			return u
		}
	}
	return s
}

func imagePart(src, mime string) *spancommit.Part {
	u := src
	if u != "" && !strings.Contains(u[:min(len(u), 16)], ":") {
		// Bare base64 data: make it a data URI so it stays self-describing.
		if mime == "" {
			mime = "image/png"
		}
		u = "data:" + mime + ";base64," + u
	}
	return &spancommit.Part{Type: "image_url", ImageURL: &spancommit.ImageURL{URL: u}}
}

// mediaPart maps GenAI blob/uri/file, AI SDK file and OpenAI file/audio
// parts. Images become image_url parts (what the SDKs send for images).
func mediaPart(p map[string]any) *spancommit.Part {
	typ := asString(p["type"])
	mime := firstStr(p, "mime_type", "mimeType", "mediaType", "media_type", "format")
	modality := asString(p["modality"])
	if f, ok := p["file"].(map[string]any); ok { // OpenAI {type:file, file:{file_data|file_id, filename}}
		return &spancommit.Part{Type: "file", File: &spancommit.Media{Data: asString(f["file_data"]), FileID: asString(f["file_id"]), Filename: asString(f["filename"])}}
	}
	if a, ok := p["input_audio"].(map[string]any); ok {
		return &spancommit.Part{Type: "input_audio", InputAudio: &spancommit.Media{Data: asString(a["data"]), Format: asString(a["format"])}}
	}
	data := firstStr(p, "content", "data")
	uri := firstStr(p, "uri", "url")
	if typ == "file" && data != "" && strings.Contains(data[:min(len(data), 12)], "://") {
		uri, data = data, ""
	}
	isImage := modality == "image" || strings.HasPrefix(mime, "image/")
	isAudio := modality == "audio" || strings.HasPrefix(mime, "audio/")
	switch {
	case isImage && uri != "":
		return imagePart(uri, mime)
	case isImage && data != "":
		if strings.HasPrefix(data, "data:") {
			return imagePart(data, mime)
		}
		return imagePart(data, mime)
	case isAudio && data != "":
		return &spancommit.Part{Type: "input_audio", InputAudio: &spancommit.Media{Data: data, Format: mime}}
	}
	return &spancommit.Part{Type: "file", File: &spancommit.Media{Data: data, URL: uri, Format: mime, FileID: asString(p["file_id"])}}
}

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

// hasSystem reports whether the messages already hold a system message.
func hasSystem(ms []msg) bool {
	for _, m := range ms {
		if m.Role == "system" {
			return true
		}
	}
	return false
}

// systemText reads system instructions: a bare string, a JSON string, or a
// parts list.
func systemText(x any) string {
	switch t := x.(type) {
	case string:
		if p, ok := parseJSON(t); ok {
			if _, isStr := p.(string); !isStr {
				return systemText(p)
			}
		}
		return t
	case []any, map[string]any:
		parts, _, _, _ := contentParts(t)
		var b []string
		for _, p := range parts {
			if p.Type == "text" {
				b = append(b, p.Text)
			}
		}
		return strings.Join(b, "\n")
	}
	return asString(x)
}

var rolePrefix = regexp.MustCompile(`^(system|user|assistant|tool|human|ai):\s*`)

// inputMessages finds the input conversation, in the precedence order of
// the reference (structured GenAI first, raw request JSON last).
func inputMessages(v *view, isGeneration bool) []msg {
	var ms []msg
	found := false
	take := func(x any) {
		if found || !meaningful(x) {
			return
		}
		if out, _ := normMessages(x, "user"); len(out) > 0 {
			ms, found = out, true
		}
	}
	details := v.eventsNamed("gen_ai.client.inference.operation.details")
	// Langfuse's explicit observation input, when it is a conversation
	// (Langfuse's own ingestion reads it before any convention key).
	if lm, _, ok := lfMessages(v, lfInput, "user"); ok {
		ms, found = lm, true
	}
	if x, ok := v.structured("gen_ai.input.messages"); ok {
		take(x)
	}
	for _, e := range details {
		if x, ok := v.structuredFrom(e.attrs, "gen_ai.input.messages"); ok {
			take(x)
		}
	}
	take(v.flat("llm.input_messages"))
	if s, ok := v.attrs["gen_ai.prompt"].(string); ok && meaningful(s) {
		take(s)
	} else {
		take(v.flatList("gen_ai.prompt"))
	}
	if x, ok := v.structured("ai.prompt.messages"); ok {
		take(x)
	}
	if !found {
		var evs []any
		for _, e := range v.events {
			role := ""
			switch e.name {
			case "gen_ai.system.message":
				role = "system"
			case "gen_ai.user.message":
				role = "user"
			case "gen_ai.assistant.message":
				role = "assistant"
			case "gen_ai.tool.message":
				role = "tool"
			default:
				continue
			}
			m := map[string]any{"role": role}
			for k, x := range e.attrs {
				if k == "gen_ai.system" || k == "gen_ai.provider.name" {
					continue
				}
				m[k] = x
			}
			if r := asString(e.attrs["role"]); r != "" {
				m["role"] = r
			}
			evs = append(evs, m)
		}
		take(evs)
	}
	if !found {
		for _, e := range v.eventsNamed("gen_ai.content.prompt") {
			if s := asString(e.attrs["gen_ai.prompt"]); s != "" {
				if looksJSON(s) {
					take(s)
				} else if loc := rolePrefix.FindStringSubmatchIndex(s); loc != nil {
					take([]any{map[string]any{"role": s[loc[2]:loc[3]], "content": s[loc[1]:]}})
				} else {
					take(s)
				}
			}
		}
	}
	if !found {
		// OpenInference-style `llm.prompt` events and AI SDK prompt events
		// (Maxim's docs): the value sits in `content` (JSON {"content":…}
		// or text) or under the event's own name.
		var l []any
		for _, e := range v.events {
			role := ""
			switch e.name {
			case "llm.prompt", "ai.prompt.prompt":
				role = "user"
			case "ai.prompt.system":
				role = "system"
			case "ai.prompt.messages":
				if x, ok := v.structuredFrom(e.attrs, e.name); ok {
					take(x)
				} else if x, ok := v.structuredFrom(e.attrs, "content"); ok {
					take(x)
				}
				continue
			default:
				continue
			}
			if m := eventMessage(v, e, role); m != nil {
				l = append(l, m)
			}
		}
		take(l)
	}
	if !found {
		if x, ok := v.structured("ai.prompt"); ok {
			if m, ok := x.(map[string]any); ok {
				var l []any
				if s := asString(m["system"]); s != "" {
					l = append(l, map[string]any{"role": "system", "content": s})
				}
				if msgs, ok := m["messages"].([]any); ok {
					l = append(l, msgs...)
				}
				if p, ok := m["prompt"]; ok && meaningful(p) {
					if pl, ok := p.([]any); ok {
						l = append(l, pl...)
					} else {
						l = append(l, map[string]any{"role": "user", "content": p})
					}
				}
				take(l)
			} else {
				take(x)
			}
		}
	}
	if !found {
		if l, ok := v.flatList("llm.prompts").([]any); ok {
			var conv []any
			for _, it := range l {
				if m, ok := it.(map[string]any); ok {
					if p, ok := m["prompt"].(map[string]any); ok {
						conv = append(conv, map[string]any{"role": "user", "content": p["text"]})
					}
				}
			}
			take(conv)
		} else if l, ok := v.attrs["llm.prompts"].([]any); ok {
			take(l)
		}
	}
	if !found && isGeneration {
		if x, ok := v.structured("input.value"); ok {
			if m, ok := x.(map[string]any); ok {
				if msgs, ok := m["messages"]; ok {
					take(msgs)
				} else if p, ok := m["prompt"]; ok {
					take(p)
				}
			}
		}
	}
	// System instructions travel apart from the messages in GenAI ≥1.37.
	sys := ""
	if x, ok := v.attrs["gen_ai.system_instructions"]; ok && meaningful(x) {
		sys = systemText(x)
	}
	for _, e := range details {
		if x, ok := e.attrs["gen_ai.system_instructions"]; ok && sys == "" && meaningful(x) {
			sys = systemText(x)
		}
	}
	if sys != "" && !hasSystem(ms) {
		ms = append([]msg{{Role: "system", Content: sys}}, ms...)
	}
	if !found && sys == "" {
		return nil
	}
	return ms
}

// outputMessages finds the model's answer; finish collects per-choice
// finish reasons seen on the way.
func outputMessages(v *view, isGeneration bool) (ms []msg, finish []string) {
	found := false
	take := func(x any) {
		if found || !meaningful(x) {
			return
		}
		out, f := normMessages(x, "assistant")
		if len(out) > 0 {
			ms, finish, found = out, f, true
		}
	}
	if lm, lf, ok := lfMessages(v, lfOutput, "assistant"); ok {
		ms, finish, found = lm, lf, true
	}
	if x, ok := v.structured("gen_ai.output.messages"); ok {
		take(x)
	}
	for _, e := range v.eventsNamed("gen_ai.client.inference.operation.details") {
		if x, ok := v.structuredFrom(e.attrs, "gen_ai.output.messages"); ok {
			take(x)
		}
	}
	take(v.flat("llm.output_messages"))
	if s, ok := v.attrs["gen_ai.completion"].(string); ok && meaningful(s) {
		if p, ok := parseJSON(s); ok {
			if m, ok := p.(map[string]any); ok && m["text"] != nil && m["role"] == nil {
				// Deprecated OpenInference-genai form {"text":…, "finish_reason":…}.
				take(map[string]any{"role": "assistant", "content": m["text"], "finish_reason": m["finish_reason"]})
			}
			take(p)
		}
		take(s)
	} else {
		take(v.flatList("gen_ai.completion"))
	}
	if !found {
		// AI SDK: text, tool calls and reasoning make one assistant turn.
		m := map[string]any{"role": "assistant"}
		var content []any
		if t := v.str("ai.response.text", "ai.result.text"); t != "" {
			content = append(content, map[string]any{"type": "text", "text": t})
		}
		if t := v.str("ai.response.reasoning", "ai.response.reasoningText"); t != "" {
			m["reasoning"] = t
		}
		for _, k := range []string{"ai.response.toolCalls", "ai.result.toolCalls"} {
			if x, ok := v.structured(k); ok {
				if l, ok := x.([]any); ok {
					for _, it := range l {
						if tm, ok := it.(map[string]any); ok {
							c := map[string]any{"type": "tool-call"}
							for kk, vv := range tm {
								c[kk] = vv
							}
							c["type"] = "tool-call"
							content = append(content, c)
						}
					}
				}
				break
			}
		}
		if len(content) == 0 {
			if x, k := v.get("ai.response.object", "ai.result.object"); k != "" {
				content = append(content, map[string]any{"type": "text", "text": asString(x)})
			}
		}
		if len(content) > 0 || m["reasoning"] != nil {
			m["content"] = content
			take([]any{m})
		}
	}
	if !found {
		var choices []any
		for _, e := range v.eventsNamed("gen_ai.choice") {
			c := map[string]any{"role": "assistant"}
			switch mm := e.attrs["message"].(type) {
			case map[string]any:
				for k, x := range mm {
					c[k] = x
				}
			case string:
				if p, ok := parseJSON(mm); ok {
					if pm, ok := p.(map[string]any); ok {
						for k, x := range pm {
							c[k] = x
						}
					}
				} else {
					c["content"] = mm
				}
			}
			if tc, ok := e.attrs["tool_calls"]; ok {
				c["tool_calls"] = tc
			}
			if f := asString(e.attrs["finish_reason"]); f != "" {
				c["finish_reason"] = f
			}
			choices = append(choices, c)
		}
		take(choices)
	}
	if !found {
		var l []any
		for _, e := range v.events {
			if e.name == "llm.completion" || e.name == "ai.response.text" {
				if m := eventMessage(v, e, "assistant"); m != nil {
					l = append(l, m)
				}
			}
		}
		take(l)
	}
	if !found {
		for _, e := range v.eventsNamed("gen_ai.content.completion") {
			take(e.attrs["gen_ai.completion"])
		}
	}
	if !found {
		if l, ok := v.flatList("llm.choices").([]any); ok {
			var conv []any
			for _, it := range l {
				if m, ok := it.(map[string]any); ok {
					if p, ok := m["completion"].(map[string]any); ok {
						conv = append(conv, map[string]any{"role": "assistant", "content": p["text"]})
					}
				}
			}
			take(conv)
		}
	}
	if !found && isGeneration {
		if x, ok := v.structured("output.value"); ok {
			if m, ok := x.(map[string]any); ok {
				if ch, ok := m["choices"].([]any); ok {
					take(ch)
				}
			} else if s, ok := x.(string); ok {
				take(s)
			}
		}
	}
	return ms, finish
}

// flatList rebuilds only the numerically indexed keys under prefix, so a
// sibling like `gen_ai.prompt.name` (v1.39 prompt name) is not a message.
func (v *view) flatList(prefix string) any {
	if !v.hasPrefix(prefix) {
		return nil
	}
	p := prefix + "."
	i := sort.SearchStrings(v.keys, p)
	var keys []string
	for ; i < len(v.keys) && strings.HasPrefix(v.keys[i], p); i++ {
		rest := v.keys[i][len(p):]
		seg := rest
		if j := strings.IndexByte(rest, '.'); j >= 0 {
			seg = rest[:j]
		}
		if _, err := atoi(seg); err == nil {
			keys = append(keys, v.keys[i])
		}
	}
	if len(keys) == 0 {
		return nil
	}
	out, dropped := unflatten(v.attrs, keys, prefix)
	v.dropped += dropped
	return out
}

// eventMessage reads a message carried by an event: attribute `content`
// (a JSON message object, {"content":…}, or plain text), else the
// attribute named like the event, else `value`.
func eventMessage(v *view, e event, role string) any {
	for _, k := range []string{"content", e.name, "value", "text"} {
		x, ok := v.structuredFrom(e.attrs, k)
		if !ok {
			if s, isStr := x.(string); isStr && s != "" {
				return map[string]any{"role": role, "content": s}
			}
			continue
		}
		switch t := x.(type) {
		case map[string]any:
			m := map[string]any{"role": role}
			for kk, vv := range t {
				m[kk] = vv
			}
			return m
		case string:
			return map[string]any{"role": role, "content": t}
		default:
			return map[string]any{"role": role, "content": t}
		}
	}
	return nil
}
