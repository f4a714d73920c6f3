package evaluate

import "strings"

// part is one named text of a subject.
type part struct {
	where string // input, output or messages
	text  string
}

// parts returns the texts field selects, each named, for evaluators that
// report where they found something.
func parts(s *Subject, field string) []part {
	switch field {
	case FieldInput:
		return []part{{FieldInput, s.Input}}
	case FieldOutput:
		return []part{{FieldOutput, s.Output}}
	case FieldMessages:
		return []part{{FieldMessages, renderMessages(s.Messages)}}
	}
	return []part{{FieldInput, s.Input}, {FieldOutput, s.Output}, {FieldMessages, renderMessages(s.Messages)}}
}

// text returns the text field selects; for all, the parts joined by
// newlines.
func text(s *Subject, field string) string {
	ps := parts(s, field)
	if len(ps) == 1 {
		return ps[0].text
	}
	var b strings.Builder
	for _, p := range ps {
		if p.text == "" {
			continue
		}
		if b.Len() > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(p.text)
	}
	return b.String()
}

// renderMessages renders messages "role: content", one per line, as the
// Subject renders Input.
func renderMessages(ms []Message) string {
	var b strings.Builder
	for i, m := range ms {
		if i > 0 {
			b.WriteByte('\n')
		}
		if m.Role != "" {
			b.WriteString(m.Role)
			b.WriteString(": ")
		}
		b.WriteString(m.Content)
	}
	return b.String()
}

// label names a field in a reason: "all" reads as "text".
func label(field string) string {
	if field == FieldAll {
		return "text"
	}
	return field
}

// clip shortens s for a reason, on a rune boundary.
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}

func utf8RuneStart(b byte) bool { return b&0xC0 != 0x80 }
