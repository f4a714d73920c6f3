package spancommit

import (
	"encoding/json"

	"github.com/otelcol-genai/otelcol-genai/internal/jsonenc"
)

// The data of the commits FromTraces writes most is encoded by hand, member
// by member, in the order encoding/json writes the structs below (field
// order, omitempty as tagged): the bytes must stay json.Marshal's, because
// commit ids hash them. commitjson_test.go compares each appendJSON with
// json.Marshal of the same value; TestCommitBytesAreStable pins the whole.

// jsonAppender is data that encodes itself; ok false leaves it to
// json.Marshal.
type jsonAppender interface {
	appendJSON(b []byte) ([]byte, bool)
}

// object appends one JSON object.
type object struct {
	b  []byte
	n  int
	ok bool
}

func newObject(b []byte) object { return object{b: b, ok: true} }

// key opens a member; k is a Go identifier-like ASCII name that needs no
// quoting.
func (o *object) key(k string) {
	if o.n == 0 {
		o.b = append(o.b, '{')
	} else {
		o.b = append(o.b, ',')
	}
	o.n++
	o.b = append(o.b, '"')
	o.b = append(o.b, k...)
	o.b = append(o.b, '"', ':')
}

func (o *object) str(k, v string) {
	o.key(k)
	o.b = jsonenc.AppendString(o.b, v)
}

func (o *object) strOmitEmpty(k, v string) {
	if v != "" {
		o.str(k, v)
	}
}

func (o *object) value(k string, v any) {
	o.key(k)
	var ok bool
	if o.b, ok = jsonenc.AppendValue(o.b, v); !ok {
		o.ok = false
	}
}

func (o *object) raw(k string, raw []byte) {
	o.key(k)
	o.b = append(o.b, raw...)
}

func (o *object) end() ([]byte, bool) {
	if o.n == 0 {
		o.b = append(o.b, '{')
	}
	return append(o.b, '}'), o.ok
}

type spanAdd struct {
	ID             string            `json:"id"`
	Name           string            `json:"name,omitempty"`
	Tags           map[string]string `json:"tags"`
	StartTimestamp string            `json:"startTimestamp,omitempty"`
}

func (a spanAdd) appendJSON(b []byte) ([]byte, bool) {
	o := newObject(b)
	o.str("id", a.ID)
	o.strOmitEmpty("name", a.Name)
	o.value("tags", a.Tags)
	o.strOmitEmpty("startTimestamp", a.StartTimestamp)
	return o.end()
}

// generationAdd carries its messages as canonical JSON (appendMessages'
// output or a canonical list), written as they are.
type generationAdd struct {
	ID              string            `json:"id"`
	Messages        json.RawMessage   `json:"messages"`
	Name            string            `json:"name,omitempty"`
	Tags            map[string]string `json:"tags"`
	StartTimestamp  string            `json:"startTimestamp,omitempty"`
	Provider        string            `json:"provider,omitempty"`
	Model           string            `json:"model,omitempty"`
	ModelParameters map[string]any    `json:"modelParameters"`
}

func (a generationAdd) appendJSON(b []byte) ([]byte, bool) {
	o := newObject(b)
	o.str("id", a.ID)
	o.raw("messages", a.Messages)
	o.strOmitEmpty("name", a.Name)
	o.value("tags", a.Tags)
	o.strOmitEmpty("startTimestamp", a.StartTimestamp)
	o.strOmitEmpty("provider", a.Provider)
	o.strOmitEmpty("model", a.Model)
	o.value("modelParameters", a.ModelParameters)
	return o.end()
}

type toolCallAdd struct {
	ID             string            `json:"id"`
	Name           string            `json:"name"`
	Description    string            `json:"description"`
	Args           string            `json:"args"`
	Tags           map[string]string `json:"tags"`
	StartTimestamp string            `json:"startTimestamp,omitempty"`
}

func (a toolCallAdd) appendJSON(b []byte) ([]byte, bool) {
	o := newObject(b)
	o.str("id", a.ID)
	o.str("name", a.Name)
	o.str("description", a.Description)
	o.str("args", a.Args)
	o.value("tags", a.Tags)
	o.strOmitEmpty("startTimestamp", a.StartTimestamp)
	return o.end()
}

type traceCreate struct {
	Name           string            `json:"name,omitempty"`
	Tags           map[string]string `json:"tags"`
	StartTimestamp string            `json:"startTimestamp,omitempty"`
	SessionID      string            `json:"sessionId,omitempty"`
}

func (c traceCreate) appendJSON(b []byte) ([]byte, bool) {
	o := newObject(b)
	o.strOmitEmpty("name", c.Name)
	o.value("tags", c.Tags)
	o.strOmitEmpty("startTimestamp", c.StartTimestamp)
	o.strOmitEmpty("sessionId", c.SessionID)
	return o.end()
}

// spanIdentity is a span's OTel identity (see builder.identity).
type spanIdentity struct {
	SpanKind     string `json:"spanKind,omitempty"`
	ParentSpanID string `json:"parentSpanId,omitempty"`
	Links        []link `json:"links,omitempty"`
}

type link struct {
	TraceID    string         `json:"traceId"`
	SpanID     string         `json:"spanId,omitempty"`
	Attributes map[string]any `json:"attributes,omitempty"`
}

func (s spanIdentity) appendJSON(b []byte) ([]byte, bool) {
	o := newObject(b)
	o.strOmitEmpty("spanKind", s.SpanKind)
	o.strOmitEmpty("parentSpanId", s.ParentSpanID)
	if len(s.Links) > 0 {
		o.key("links")
		o.b = append(o.b, '[')
		for i, l := range s.Links {
			if i > 0 {
				o.b = append(o.b, ',')
			}
			lo := newObject(o.b)
			lo.str("traceId", l.TraceID)
			lo.strOmitEmpty("spanId", l.SpanID)
			if len(l.Attributes) > 0 {
				lo.value("attributes", l.Attributes)
			}
			var ok bool
			if o.b, ok = lo.end(); !ok {
				o.ok = false
			}
		}
		o.b = append(o.b, ']')
	}
	return o.end()
}

// generationResult is the SDK's generation result: an OpenAI
// chat.completion whose choices' messages are canonical JSON.
type generationResult struct {
	Result completion `json:"result"`
}

type completion struct {
	ID      string         `json:"id"`
	Object  string         `json:"object"`
	Created int64          `json:"created"`
	Model   string         `json:"model,omitempty"`
	Choices []choice       `json:"choices"`
	Usage   map[string]any `json:"usage,omitempty"`
	Cost    *Cost          `json:"cost,omitempty"`
}

type choice struct {
	Index        int             `json:"index"`
	Message      json.RawMessage `json:"message"`
	Logprobs     any             `json:"logprobs"`
	FinishReason any             `json:"finish_reason"`
}

func (r generationResult) appendJSON(b []byte) ([]byte, bool) {
	c := r.Result
	b = append(b, `{"result":`...)
	o := newObject(b)
	o.str("id", c.ID)
	o.str("object", c.Object)
	o.value("created", c.Created)
	o.strOmitEmpty("model", c.Model)
	o.key("choices")
	if c.Choices == nil {
		o.b = append(o.b, "null"...)
	} else {
		o.b = append(o.b, '[')
		for i, ch := range c.Choices {
			if i > 0 {
				o.b = append(o.b, ',')
			}
			co := newObject(o.b)
			co.value("index", ch.Index)
			co.raw("message", ch.Message)
			co.value("logprobs", ch.Logprobs)
			co.value("finish_reason", ch.FinishReason)
			var ok bool
			if o.b, ok = co.end(); !ok {
				o.ok = false
			}
		}
		o.b = append(o.b, ']')
	}
	if len(c.Usage) > 0 {
		o.value("usage", c.Usage)
	}
	if c.Cost != nil {
		o.key("cost")
		co := newObject(o.b)
		for _, m := range []struct {
			k string
			v *float64
		}{{"input", c.Cost.Input}, {"output", c.Cost.Output}, {"total", c.Cost.Total}} {
			if m.v != nil {
				co.value(m.k, *m.v)
			}
		}
		var ok bool
		if o.b, ok = co.end(); !ok {
			o.ok = false
		}
	}
	b, ok := o.end()
	return append(b, '}'), ok
}
