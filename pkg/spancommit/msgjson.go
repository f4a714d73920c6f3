package spancommit

import (
	"encoding/json"
	"unicode/utf8"

	"github.com/otelcol-genai/otelcol-genai/internal/jsonenc"
	"github.com/otelcol-genai/otelcol-genai/internal/jsonscan"
)

// Messages are most of the bytes of a GenAI span: the normalizer writes them
// as maxim.input/output.messages and FromTraces reads them back into commit
// data. encoding/json's reflection on them was a third of the OTLP path's
// CPU, so they are encoded and decoded here by hand. Both directions give
// byte for byte what encoding/json gives (msgjson_test.go checks it
// differentially, fuzzed): anything off the plain path goes to encoding/json.

// appendMessages appends json.Marshal(ms).
func appendMessages(b []byte, ms []Message) ([]byte, error) {
	if ms == nil {
		return append(b, "null"...), nil
	}
	b = append(b, '[')
	for i := range ms {
		if i > 0 {
			b = append(b, ',')
		}
		var err error
		if b, err = appendMessage(b, &ms[i]); err != nil {
			return nil, err
		}
	}
	return append(b, ']'), nil
}

// appendMessage appends json.Marshal(m).
func appendMessage(b []byte, m *Message) ([]byte, error) {
	b = append(b, `{"role":`...)
	b = appendString(b, m.Role)
	b = append(b, `,"content":`...)
	switch c := m.Content.(type) {
	case nil:
		b = append(b, "null"...)
	case string:
		b = appendString(b, c)
	case []Part:
		if c == nil {
			b = append(b, "null"...)
			break
		}
		b = append(b, '[')
		for i := range c {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendPart(b, &c[i])
		}
		b = append(b, ']')
	default:
		raw, err := json.Marshal(c)
		if err != nil {
			return nil, err
		}
		b = append(b, raw...)
	}
	if m.Name != "" {
		b = append(b, `,"name":`...)
		b = appendString(b, m.Name)
	}
	if len(m.ToolCalls) > 0 {
		b = append(b, `,"tool_calls":[`...)
		for i := range m.ToolCalls {
			tc := &m.ToolCalls[i]
			if i > 0 {
				b = append(b, ',')
			}
			b = append(b, '{')
			if tc.ID != "" {
				b = append(b, `"id":`...)
				b = appendString(b, tc.ID)
				b = append(b, ',')
			}
			b = append(b, `"type":`...)
			b = appendString(b, tc.Type)
			b = append(b, `,"function":{"name":`...)
			b = appendString(b, tc.Function.Name)
			b = append(b, `,"arguments":`...)
			b = appendString(b, tc.Function.Arguments)
			b = append(b, "}}"...)
		}
		b = append(b, ']')
	}
	if m.ToolCallID != "" {
		b = append(b, `,"tool_call_id":`...)
		b = appendString(b, m.ToolCallID)
	}
	if m.Reasoning != "" {
		b = append(b, `,"reasoning":`...)
		b = appendString(b, m.Reasoning)
	}
	return append(b, '}'), nil
}

func appendPart(b []byte, p *Part) []byte {
	b = append(b, `{"type":`...)
	b = appendString(b, p.Type)
	if p.Text != "" {
		b = append(b, `,"text":`...)
		b = appendString(b, p.Text)
	}
	if p.ImageURL != nil {
		b = append(b, `,"image_url":{"url":`...)
		b = appendString(b, p.ImageURL.URL)
		if p.ImageURL.Detail != "" {
			b = append(b, `,"detail":`...)
			b = appendString(b, p.ImageURL.Detail)
		}
		b = append(b, '}')
	}
	if p.InputAudio != nil {
		b = append(b, `,"input_audio":`...)
		b = appendMedia(b, p.InputAudio)
	}
	if p.File != nil {
		b = append(b, `,"file":`...)
		b = appendMedia(b, p.File)
	}
	return append(b, '}')
}

func appendMedia(b []byte, m *Media) []byte {
	b = append(b, '{')
	sep := false
	field := func(k, v string) {
		if v == "" {
			return
		}
		if sep {
			b = append(b, ',')
		}
		sep = true
		b = append(b, k...)
		b = appendString(b, v)
	}
	field(`"data":`, m.Data)
	field(`"format":`, m.Format)
	field(`"url":`, m.URL)
	field(`"file_id":`, m.FileID)
	field(`"filename":`, m.Filename)
	return append(b, '}')
}

// appendString appends s as encoding/json quotes it (internal/jsonenc).
func appendString(b []byte, s string) []byte { return jsonenc.AppendString(b, s) }

// decodeMessages is `json.Unmarshal([]byte(s), &ms)` (ok = err == nil) for
// the canonical form appendMessages writes: keys exactly as the struct tags
// spell them, strings where strings go. Anything else (another key or
// spelling, null or a number for a string, duplicate keys, invalid JSON) is
// left to encoding/json, whose case-insensitive matching and partial
// results on type errors are then exactly what they were.
func decodeMessages(s string) ([]Message, bool) {
	if ms, ok := fastMessages(s); ok {
		return ms, true
	}
	var ms []Message
	if json.Unmarshal([]byte(s), &ms) != nil {
		return ms, false
	}
	return ms, true
}

func fastMessages(s string) ([]Message, bool) {
	if !jsonscan.ValidString(s) {
		return nil, false
	}
	var ms []Message
	ok := jsonscan.EachElem(s, func(v string) bool {
		var m Message
		if !decodeMessage(v, &m) {
			return false
		}
		ms = append(ms, m)
		return true
	})
	if ok && ms == nil {
		ms = []Message{} // "[]" decodes to an empty, non-nil slice
	}
	return ms, ok
}

func decodeMessage(v string, m *Message) bool {
	var seen jsonscan.Seen
	return jsonscan.EachMember(v, func(k, val string) bool {
		var ok bool
		switch k {
		case "role":
			m.Role, ok = jsonscan.StringValue(val)
			return ok && seen.First(1)
		case "content":
			switch val[0] {
			case '"':
				var s string
				s, ok = jsonscan.StringValue(val)
				m.Content = s
			case 'n':
				m.Content, ok = nil, true
			default:
				m.Content, ok = jsonscan.DecodeAny(val)
			}
			return ok && seen.First(2)
		case "name":
			m.Name, ok = jsonscan.StringValue(val)
			return ok && seen.First(4)
		case "tool_call_id":
			m.ToolCallID, ok = jsonscan.StringValue(val)
			return ok && seen.First(8)
		case "reasoning":
			m.Reasoning, ok = jsonscan.StringValue(val)
			return ok && seen.First(16)
		case "tool_calls":
			if !seen.First(32) {
				return false
			}
			m.ToolCalls = []ToolCall{}
			return jsonscan.EachElem(val, func(e string) bool {
				var tc ToolCall
				if !decodeToolCall(e, &tc) {
					return false
				}
				m.ToolCalls = append(m.ToolCalls, tc)
				return true
			})
		}
		return false
	})
}

func decodeToolCall(v string, tc *ToolCall) bool {
	var seen jsonscan.Seen
	return jsonscan.EachMember(v, func(k, val string) bool {
		var ok bool
		switch k {
		case "id":
			tc.ID, ok = jsonscan.StringValue(val)
			return ok && seen.First(1)
		case "type":
			tc.Type, ok = jsonscan.StringValue(val)
			return ok && seen.First(2)
		case "function":
			if !seen.First(4) {
				return false
			}
			var fs uint8
			return jsonscan.EachMember(val, func(k, val string) bool {
				var ok bool
				switch k {
				case "name":
					tc.Function.Name, ok = jsonscan.StringValue(val)
					ok = ok && fs&1 == 0
					fs |= 1
				case "arguments":
					tc.Function.Arguments, ok = jsonscan.StringValue(val)
					ok = ok && fs&2 == 0
					fs |= 2
				}
				return ok
			})
		}
		return false
	})
}

// canonicalMessages reports whether s is exactly what appendMessages writes
// for the messages s decodes to (decodeMessages), so s can be copied into
// commit data as it is instead of being decoded and encoded again. Only the
// plain shape qualifies: string or null content, keys in struct order,
// omitempty fields absent when empty, compact, strings escaped as
// appendString escapes them. Content parts do not (encoding/json decodes
// them into maps, which encode with sorted keys).
func canonicalMessages(s string) bool {
	c := canonScanner{s: s}
	if !c.lit("[") {
		return false
	}
	if c.lit("]") {
		return c.i == len(s)
	}
	for {
		if !c.message() {
			return false
		}
		if c.lit("]") {
			return c.i == len(s)
		}
		if !c.lit(",") {
			return false
		}
	}
}

type canonScanner struct {
	s string
	i int
}

func (c *canonScanner) lit(l string) bool {
	if len(c.s)-c.i >= len(l) && c.s[c.i:c.i+len(l)] == l {
		c.i += len(l)
		return true
	}
	return false
}

func (c *canonScanner) message() bool {
	if !c.lit(`{"role":`) || !c.str(false) || !c.lit(`,"content":`) {
		return false
	}
	if !c.lit("null") && !c.str(false) {
		return false
	}
	if c.lit(`,"name":`) && !c.str(true) {
		return false
	}
	if c.lit(`,"tool_calls":[`) {
		for {
			if !c.toolCall() {
				return false
			}
			if c.lit("]") {
				break
			}
			if !c.lit(",") {
				return false
			}
		}
	}
	if c.lit(`,"tool_call_id":`) && !c.str(true) {
		return false
	}
	if c.lit(`,"reasoning":`) && !c.str(true) {
		return false
	}
	return c.lit("}")
}

func (c *canonScanner) toolCall() bool {
	if !c.lit("{") {
		return false
	}
	if c.lit(`"id":`) && (!c.str(true) || !c.lit(",")) {
		return false
	}
	return c.lit(`"type":`) && c.str(false) && c.lit(`,"function":{"name":`) && c.str(false) &&
		c.lit(`,"arguments":`) && c.str(false) && c.lit("}}")
}

// str reads a string literal escaped exactly as appendString escapes; with
// nonEmpty, "" does not qualify (omitempty would have left the key out).
func (c *canonScanner) str(nonEmpty bool) bool {
	s := c.s
	if c.i >= len(s) || s[c.i] != '"' {
		return false
	}
	i := c.i + 1
	if nonEmpty && i < len(s) && s[i] == '"' {
		return false
	}
	for i < len(s) {
		ch := s[i]
		switch {
		case ch == '"':
			c.i = i + 1
			return true
		case ch == '\\':
			if i+1 >= len(s) {
				return false
			}
			switch s[i+1] {
			case '"', '\\', 'b', 'f', 'n', 'r', 't':
				i += 2
			case 'u':
				if i+6 > len(s) {
					return false
				}
				switch u := s[i+2 : i+6]; u {
				case "003c", "003e", "0026", "2028", "2029":
				default:
					// \u00XX only for control characters without a
					// short escape, in lowercase hex.
					if u[:2] != "00" || u[2] != '0' && u[2] != '1' || !isLowerHex(u[3]) {
						return false
					}
					switch u[2:] {
					case "08", "0c", "0a", "0d", "09":
						return false
					}
				}
				i += 6
			default:
				return false
			}
		case ch < 0x20 || ch == '<' || ch == '>' || ch == '&':
			return false
		case ch < utf8.RuneSelf:
			i++
		default:
			r, size := utf8.DecodeRuneInString(s[i:])
			if r == utf8.RuneError && size == 1 || r == '\u2028' || r == '\u2029' {
				return false
			}
			i += size
		}
	}
	return false
}

func isLowerHex(b byte) bool { return b >= '0' && b <= '9' || b >= 'a' && b <= 'f' }
