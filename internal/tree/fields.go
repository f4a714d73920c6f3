package tree

import (
	"encoding/json"
	"strconv"
	"strings"

	"github.com/otelcol-genai/otelcol-genai/internal/jsonscan"
)

// The fold's field rules: how the keys of a create/update/end payload
// (or of a seed, the parent's add-* that creates the node) land on a Node.

// fields applies the keys of a create/update/end/seed payload.
func (f *folder) fields(obj object, version int64) {
	n := f.n
	for _, m := range obj.Members {
		k, v := m.Key, m.Val
		switch k {
		case "id", "spanId", "traceId", "parentId":
			// identity and parent pointers: edges, not state
		case "name":
			n.Name = str(v)
		case "startTimestamp":
			n.StartTimestamp, n.start = normTime(v)
		case "endTimestamp":
			n.EndTimestamp, n.end = normTime(v)
		case "sessionId":
			n.SessionID = str(v)
		case "origin":
			n.Origin = f.ar.word(v)
		case "spanKind":
			n.SpanKind = f.ar.word(v)
		case "parentSpanId":
			n.ParentSpanID = str(v)
		case "links":
			if links, ok := parseLinks(v); ok {
				n.Links = links
			} else {
				f.extra(k, v)
			}
		case "input":
			n.Input = f.ar.unwrapText(v)
		case "output":
			n.Output = clone(v)
		case "docs":
			// retrieval output() sends the documents; they are its output.
			n.Output = clone(v)
		case "model":
			n.Model = f.ar.word(v)
		case "provider":
			n.Provider = f.ar.word(v)
		case "modelParameters":
			n.ModelParameters = f.ar.modelParams(v)
		case "maximPromptId":
			n.MaximPromptID = str(v)
		case "maximPromptVersionId":
			n.MaximPromptVersionID = str(v)
		case "messages":
			if msgs, ok := jsonscan.NewArray(v); ok {
				for m, more := msgs.Next(); more; m, more = msgs.Next() {
					f.addMessage(clone(m))
				}
			} else if !isNull(v) {
				// A single message object (not an array): keep it.
				f.addMessage(clone(v))
			}
		case "description":
			n.Description = str(v)
		case "args":
			n.Args = clone(v)
		case "message":
			n.Message = str(v)
		case "code":
			n.Code = str(v)
		case "errorType":
			n.ErrorType = str(v)
		case "tags":
			n.Tags = f.ar.mergeTags(n.Tags, v)
		case "metadata":
			n.Metadata = f.ar.mergeRaw(n.Metadata, v)
		case "metrics":
			n.Metrics = f.ar.mergeMetrics(n.Metrics, v)
		case "error":
			f.errorFrom(v, "update", version)
		case "cost":
			if cost := f.ar.parseCost(v); cost != nil {
				f.setCost(cost, version)
			} else {
				f.extra(k, v)
			}
		case "result":
			f.result(v, true, version)
		default:
			f.extra(k, v)
		}
	}
}

// parseLinks reads an OTLP links list [{traceId, spanId, attributes}];
// anything else is not links (kept as extra data by the caller).
func parseLinks(v json.RawMessage) ([]Link, bool) {
	var links []Link
	if json.Unmarshal(v, &links) != nil {
		return nil, false
	}
	out := links[:0]
	for _, l := range links {
		if l.TraceID != "" {
			out = append(out, l)
		}
	}
	return out, true
}

func (f *folder) extra(k string, v json.RawMessage) {
	if f.n.Extra == nil {
		f.n.Extra = map[string]json.RawMessage{}
	}
	f.n.Extra[k] = clone(v)
}

// unwrapText turns Python's span input {type:"text", value:"…"} into the
// plain string, so inputs look the same whatever SDK sent them.
func (a *arena) unwrapText(v json.RawMessage) json.RawMessage {
	var tv struct {
		Type  string          `json:"type"`
		Value json.RawMessage `json:"value"`
	}
	// Only an object of exactly two keys can be the wrapper: the common
	// case (any other input) is decided without decoding.
	if len(v) > 0 && v[0] == '{' && len(a.subObject(v).Members) == 2 && json.Unmarshal(v, &tv) == nil && tv.Type == "text" && len(tv.Value) > 0 {
		var probe map[string]json.RawMessage
		if json.Unmarshal(v, &probe) == nil && len(probe) == 2 {
			return clone(tv.Value)
		}
	}
	return clone(v)
}

func (a *arena) mergeTags(dst map[string]string, v json.RawMessage) map[string]string {
	m := a.subObject(v)
	if len(m.Members) == 0 {
		return dst
	}
	if dst == nil {
		dst = make(map[string]string, len(m.Members))
	}
	for _, x := range m.Members {
		dst[x.Key] = str(x.Val)
	}
	return dst
}

func (a *arena) mergeRaw(dst map[string]json.RawMessage, v json.RawMessage) map[string]json.RawMessage {
	m := a.subObject(v)
	if len(m.Members) == 0 {
		return dst
	}
	if dst == nil {
		dst = make(map[string]json.RawMessage, len(m.Members))
	}
	for _, x := range m.Members {
		dst[x.Key] = clone(x.Val)
	}
	return dst
}

// mergeMetrics merges {name: number} per key, and Python's single-metric
// shape {name: "<metric>", value: <number>}.
func (a *arena) mergeMetrics(dst map[string]float64, v json.RawMessage) map[string]float64 {
	m := a.subObject(v)
	if len(m.Members) == 0 {
		return dst
	}
	if dst == nil {
		dst = make(map[string]float64, len(m.Members))
	}
	if name := m.Get("name"); name != nil && len(m.Members) == 2 {
		if val := m.Get("value"); val != nil {
			if s, ok := strOrNull(name); ok {
				if f, ok := amount(val); ok {
					dst[s] = f
					return dst
				}
			}
		}
	}
	for _, x := range m.Members {
		if f, ok := amount(x.Val); ok { // null: not sent, not 0
			dst[x.Key] = f
		}
	}
	return dst
}

// modelParams decodes model parameters; Python sends every non-string
// value json.dumps-ed into a string ("0.1", "true", "[\"a\"]"), which is
// parsed back. A string that is not JSON stays a string.
func (a *arena) modelParams(v json.RawMessage) map[string]any {
	if isNull(v) {
		return map[string]any{} // what decoding null into a map gave
	}
	m := a.subObject(v)
	if !m.OK {
		return nil
	}
	out := make(map[string]any, len(m.Members))
	for _, mx := range m.Members {
		k, x := mx.Key, mx.Val
		if s, ok := strOrNull(x); ok {
			t := strings.TrimSpace(s)
			var parsed any
			if t != "" && !strings.HasPrefix(t, `"`) && json.Unmarshal([]byte(t), &parsed) == nil {
				out[k] = parsed
				continue
			}
			out[k] = s
			continue
		}
		if jsonscan.IsNumber(x) {
			if f, err := strconv.ParseFloat(string(x), 64); err == nil {
				out[k] = f
				continue
			}
		}
		var anyv any
		if json.Unmarshal(x, &anyv) == nil {
			out[k] = anyv
		}
	}
	return out
}
