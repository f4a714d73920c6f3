package normalize

import (
	"strings"

	"github.com/otelcol-genai/otelcol-genai/internal/jsonscan"
	"github.com/otelcol-genai/otelcol-genai/pkg/spancommit"
)

// fastGenAIMessages reads a GenAI ≥1.37 message list (role, parts of type
// text / tool_call / tool_call_response, finish_reason, name) straight
// from its JSON text, as normMessages(parseJSON(s), role) would read it but
// without building maps of every message and part first: this is the
// format of most OTLP GenAI traffic. ok is false for anything outside that
// plain shape (other keys or part types, values of other types, duplicate
// keys, invalid JSON); the caller then takes the general path, so the
// result is always the general path's (fastgenai_test.go checks it
// differentially).
func fastGenAIMessages(s, role string) (out []msg, finish []string, ok bool) {
	s = strings.TrimSpace(s)
	if len(s) < 2 || s[0] != '[' || !jsonscan.ValidString(s) {
		return nil, nil, false
	}
	ok = jsonscan.EachElem(s, func(e string) bool {
		ms, f, ok := fastGenAIMessage(e, role)
		if !ok {
			return false
		}
		out = append(out, ms...)
		if f != "" {
			finish = append(finish, f)
		}
		return true
	})
	return out, finish, ok
}

func fastGenAIMessage(e, defaultRole string) ([]msg, string, bool) {
	var role, name, finish, partsJSON string
	var seen jsonscan.Seen
	ok := jsonscan.EachMember(e, func(k, val string) bool {
		var ok bool
		switch k {
		case "role":
			role, ok = jsonscan.StringValue(val)
			return ok && seen.First(1)
		case "name":
			name, ok = jsonscan.StringValue(val)
			return ok && seen.First(2)
		case "finish_reason":
			finish, ok = jsonscan.StringValue(val)
			return ok && seen.First(4)
		case "parts":
			partsJSON = val
			return val[0] == '[' && seen.First(8)
		}
		return false
	})
	if !ok {
		return nil, "", false
	}
	out := msg{Role: normRole(role, defaultRole), Name: name}
	var parts []spancommit.Part
	var results []toolResult
	if partsJSON != "" {
		ok = jsonscan.EachElem(partsJSON, func(p string) bool {
			pp, tc, tr, ok := fastGenAIPart(p)
			if pp != nil {
				parts = append(parts, *pp)
			}
			if tc != nil {
				out.ToolCalls = append(out.ToolCalls, *tc)
			}
			if tr != nil {
				results = append(results, *tr)
			}
			return ok
		})
		if !ok {
			return nil, "", false
		}
	}
	// From here on as normMessage.
	var ms []msg
	if out.Role == "tool" && len(results) > 0 && len(parts) == 0 {
		for _, r := range results {
			ms = append(ms, msg{Role: "tool", Content: r.content, ToolCallID: r.id})
		}
		return ms, finish, true
	}
	out.Content = finalizeContent(parts, len(out.ToolCalls) > 0)
	if out.Content != nil && out.Content != "" || len(out.ToolCalls) > 0 || len(results) == 0 {
		ms = append(ms, out)
	}
	for _, r := range results {
		ms = append(ms, msg{Role: "tool", Content: r.content, ToolCallID: r.id})
	}
	return ms, finish, true
}

// fastGenAIPart reads one part as onePart does, for the plain shapes only.
func fastGenAIPart(p string) (*spancommit.Part, *spancommit.ToolCall, *toolResult, bool) {
	var typ, content, id, name, args, response string
	var seen jsonscan.Seen
	ok := jsonscan.EachMember(p, func(k, val string) bool {
		var ok bool
		switch k {
		case "type":
			typ, ok = jsonscan.StringValue(val)
			return ok && seen.First(1)
		case "content":
			content, ok = jsonscan.StringValue(val)
			return ok && seen.First(2)
		case "id":
			id, ok = jsonscan.StringValue(val)
			return ok && seen.First(4)
		case "name":
			name, ok = jsonscan.StringValue(val)
			return ok && seen.First(8)
		case "arguments":
			args = val
			return seen.First(16)
		case "response":
			response = val
			return seen.First(32)
		}
		return false
	})
	if !ok {
		return nil, nil, nil, false
	}
	switch {
	case typ == "text" && seen == 1|2:
		return &spancommit.Part{Type: "text", Text: content}, nil, nil, true
	case typ == "tool_call" && seen&^(4|8|16) == 1:
		if name == "" && id == "" {
			// Dropped, but the general path decodes the whole document
			// first, and fails on what decodeSub fails on (a number out
			// of float64's range).
			if args != "" {
				if _, ok := decodeSub(args); !ok {
					return nil, nil, nil, false
				}
			}
			return nil, nil, nil, true
		}
		if args != "" && (args[0] == '{' || args[0] == '[') {
			// argsText(decodeSub(args)), read straight from the text.
			if text, ok := recode(args); ok {
				return nil, &spancommit.ToolCall{ID: id, Type: "function", Function: spancommit.ToolFunction{Name: name, Arguments: text}}, nil, true
			}
		}
		var a any
		if args != "" {
			if a, ok = decodeSub(args); !ok {
				return nil, nil, nil, false
			}
		}
		tc := mkToolCall(id, name, a)
		return nil, &tc, nil, true
	case typ == "tool_call_response" && seen&^(4|32) == 1:
		if response != "" && response[0] == '{' && !typedValue(response) {
			// resultText(decodeSub(response)) of an object, read straight
			// from the text.
			if text, ok := recode(response); ok {
				return nil, nil, &toolResult{id: id, content: text}, true
			}
		}
		var out any
		if response != "" {
			if out, ok = decodeSub(response); !ok {
				return nil, nil, nil, false
			}
		}
		if o, ok := out.(map[string]any); ok {
			if val, ok := o["value"]; ok && o["type"] != nil {
				out = val
			}
		}
		return nil, nil, &toolResult{id: id, content: resultText(out)}, true
	}
	return nil, nil, nil, false
}

// typedValue reports whether the object v is a {"type": …, "value": …}
// wrapper, whose value the general path takes as the result.
func typedValue(v string) bool {
	var typ, value bool
	jsonscan.EachMember(v, func(k, val string) bool {
		switch k {
		case "type":
			typ = val != "null"
		case "value":
			value = true
		}
		return true
	})
	return typ && value
}

// decodeSub decodes a value of the document as parseJSON decoded it as
// part of the whole.
func decodeSub(v string) (any, bool) {
	x, ok := jsonscan.DecodeAny(v)
	if !ok {
		return nil, false
	}
	return fixNumbers(x), true
}
