package tree

import (
	"encoding/json"
	"strings"

	"github.com/otelcol-genai/otelcol-genai/internal/jsonscan"
	"github.com/otelcol-genai/otelcol-genai/pkg/commit"
)

// Parsing of `result` commits: chat.completion, text_completion and the
// Responses API for generations; any other node's result is its output.

// result folds a `result` commit: generation results are parsed
// (chat.completion, text_completion, Responses API, error form); anything
// else (tool_call's string result) is the node's output.
func (f *folder) result(raw json.RawMessage, ok bool, version int64) {
	if !ok {
		return
	}
	n := f.n
	n.Result = clone(raw)
	if n.Kind != commit.EntityGeneration {
		n.Output = clone(raw)
		return
	}
	r := f.ar.subObject(raw)
	if !r.OK {
		return
	}
	// A generation's completion, usage and first finish reason in one
	// allocation: every generation of a tree has them.
	parts := &struct {
		comp   Completion
		usage  Usage
		finish [1]string
	}{}
	comp := &parts.comp
	*comp = Completion{Object: f.ar.word(r.Get("object")), ID: str(r.Get("id")), Model: f.ar.word(r.Get("model")), FinishReasons: parts.finish[:0]}
	if e := r.Get("error"); e != nil && !isNull(e) {
		f.errorFrom(e, "result", version)
		if comp.Object == "" {
			comp.Object = "error"
		}
	}
	choices := f.ar.decodeChoices(r.Get("choices"))
	var textBuf [4]string // most results have one text
	texts := textBuf[:0]
	for _, ch := range choices {
		if fr := f.ar.word(ch.FinishReason); fr != "" {
			comp.FinishReasons = append(comp.FinishReasons, fr)
		}
		if ch.Text != nil {
			texts = append(texts, *ch.Text)
		}
		if ch.Message != nil {
			if t := contentText(ch.Message.Content); t != "" {
				texts = append(texts, t)
			}
			for _, tc := range ch.Message.ToolCalls {
				comp.ToolCalls = append(comp.ToolCalls, clone(tc))
			}
		}
	}
	// Responses API: output[] items of type message with output_text parts,
	// function_call items as tool calls.
	if comp.Object == "response" {
		// Declared here: taking its address for Unmarshal puts it on the
		// heap, for every result if it were declared outside.
		var output []map[string]json.RawMessage
		if json.Unmarshal(r.Get("output"), &output) == nil {
			for _, item := range output {
				switch str(item["type"]) {
				case "message":
					if t := contentText(item["content"]); t != "" {
						texts = append(texts, t)
					}
				case "function_call":
					b, _ := json.Marshal(item)
					comp.ToolCalls = append(comp.ToolCalls, b)
				}
			}
			if s := str(r.Get("status")); s != "" {
				comp.FinishReasons = append(comp.FinishReasons, s)
			}
		}
	}
	comp.Text = strings.Join(texts, "\n")
	if len(comp.FinishReasons) == 0 {
		comp.FinishReasons = nil // absent, as before the buffer
	}
	n.Completion = comp
	if f.ar.parseUsage(r.Get("usage"), &parts.usage) {
		n.Usage = &parts.usage
	}
	if c := f.ar.parseCost(r.Get("cost")); c != nil {
		f.setCost(c, version)
	}
}

// contentText extracts text from an OpenAI content value: a string, or an
// array of parts with `text`.
func contentText(raw json.RawMessage) string {
	if len(raw) == 0 || isNull(raw) {
		return ""
	}
	if s, ok := strOrNull(raw); ok {
		return s
	}
	var parts []struct {
		Text *string `json:"text"`
	}
	if json.Unmarshal(raw, &parts) != nil {
		return ""
	}
	var out []string
	for _, p := range parts {
		if p.Text != nil {
			out = append(out, *p.Text)
		}
	}
	return strings.Join(out, "")
}

// choice is the part of a chat/text completion choice the fold reads.
type choice struct {
	Text         *string         `json:"text"`
	FinishReason json.RawMessage `json:"finish_reason"`
	Message      *choiceMessage  `json:"message"`
	// msg is where the fast path keeps Message (one allocation less per
	// generation), hasMsg whether it did; encoding/json sees neither.
	msg    choiceMessage
	hasMsg bool
}

type choiceMessage struct {
	Content   json.RawMessage   `json:"content"`
	ToolCalls []json.RawMessage `json:"tool_calls"`
}

// decodeChoices is `_ = json.Unmarshal(raw, &choices)` for a validated
// value. The common shape (an array of objects whose fields have the
// expected types, each named once and in lower case) is read directly;
// anything else — a type mismatch, a repeated or differently cased field
// name, where encoding/json's partial-decode rules apply — goes to
// encoding/json itself, so the result is always the same.
func (a *arena) decodeChoices(raw json.RawMessage) []choice {
	if out, ok := a.fastChoices(raw); ok {
		return out
	}
	var out []choice
	_ = json.Unmarshal(raw, &out)
	return out
}

// fastChoices decodes into the arena's choice buffer: the choices are
// dead once the fold has read them (result), like the arena's members.
func (a *arena) fastChoices(raw json.RawMessage) ([]choice, bool) {
	if len(raw) == 0 || isNull(raw) {
		return nil, true
	}
	elems, ok := jsonscan.NewArray(raw)
	if !ok {
		return nil, false
	}
	var out []choice
	if a != nil {
		out = a.choices[:0]
	}
	for el, more := elems.Next(); more; el, more = elems.Next() {
		out = append(out, choice{})
		if isNull(el) {
			continue
		}
		ms := a.rawMembers(el)
		if ms == nil {
			return nil, false
		}
		var seenText, seenFinish, seenMsg bool
		ch := &out[len(out)-1]
		for _, m := range ms {
			switch m.Key {
			case "text":
				if seenText {
					return nil, false
				}
				seenText = true
				if isNull(m.Val) {
					continue
				}
				if m.Val[0] != '"' {
					return nil, false
				}
				s, ok := jsonscan.Unquote(m.Val)
				if !ok {
					return nil, false
				}
				ch.Text = &s
			case "finish_reason":
				if seenFinish {
					return nil, false
				}
				seenFinish = true
				ch.FinishReason = m.Val
			case "message":
				if seenMsg {
					return nil, false
				}
				seenMsg = true
				if isNull(m.Val) {
					continue
				}
				if !a.fastChoiceMessage(&ch.msg, m.Val) {
					return nil, false
				}
				ch.hasMsg = true
			default:
				if strings.EqualFold(m.Key, "text") || strings.EqualFold(m.Key, "finish_reason") || strings.EqualFold(m.Key, "message") {
					return nil, false
				}
			}
		}
	}
	if a != nil {
		a.choices = out // the grown buffer, for the next fold
	}
	// Message points into its element only now that out no longer grows.
	for i := range out {
		if out[i].hasMsg {
			out[i].Message = &out[i].msg
		}
	}
	if out == nil {
		out = []choice{} // [] decodes to an empty, non-nil slice
	}
	return out, true
}

func (a *arena) fastChoiceMessage(msg *choiceMessage, v json.RawMessage) bool {
	ms := a.rawMembers(v)
	if ms == nil {
		return false
	}
	var seenContent, seenCalls bool
	for _, m := range ms {
		switch m.Key {
		case "content":
			if seenContent {
				return false
			}
			seenContent = true
			msg.Content = m.Val
		case "tool_calls":
			if seenCalls {
				return false
			}
			seenCalls = true
			if isNull(m.Val) {
				continue
			}
			calls, ok := jsonscan.ArrayElems(m.Val)
			if !ok {
				return false
			}
			msg.ToolCalls = calls
		default:
			if strings.EqualFold(m.Key, "content") || strings.EqualFold(m.Key, "tool_calls") {
				return false
			}
		}
	}
	return true
}
