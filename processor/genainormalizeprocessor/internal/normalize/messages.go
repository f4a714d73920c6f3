package normalize

import (
	"strings"

	"github.com/otelcol-genai/otelcol-genai/pkg/spancommit"
)

type msg = spancommit.Message

// Every dialect's message ends up in one shape (spancommit.Message, the
// OpenAI chat shape the Maxim SDKs use). The converters here (with the
// content parts in parts.go and tool calls in toolcalls.go) read GenAI
// `parts`, OpenInference flattened `message.*` (with its `message`,
// `message_content` and `tool_call` wrappers), AI SDK content parts,
// OpenLLMetry `gen_ai.prompt.{i}.*`, Anthropic and OpenAI Responses blocks.
// Where each convention keeps its messages, and which wins, is
// precedence.go.

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
	if lm, ok := lcMessage(m); ok {
		m = lm // LangChain's serialized form (conv_langchain.go)
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
