package normalize

import (
	"strings"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"

	"github.com/otelcol-genai/otelcol-genai/pkg/spancommit"
)

// GenAI content events sent as OTLP log records (semconv ≥1.28: the event
// name in the LogRecord EventName field or the `event.name` attribute, the
// content in the body as an AnyValue map, or in attributes for
// gen_ai.client.inference.operation.details). A record is read with the
// same extractors as the span events of the same name (conv_genai.go): it
// is put into a view as the one event of an empty span.

// logEventReaders maps each GenAI event name to the extractor that reads
// it, with the side (input or output) it fills.
var logEventReaders = map[string]struct {
	input, output func(v *view, t *taker)
}{
	"gen_ai.system.message":                     {input: genaiMessageEvents},
	"gen_ai.user.message":                       {input: genaiMessageEvents},
	"gen_ai.assistant.message":                  {input: genaiMessageEvents},
	"gen_ai.tool.message":                       {input: genaiMessageEvents},
	"gen_ai.choice":                             {output: genaiChoiceEvents},
	"gen_ai.client.inference.operation.details": {input: genaiDetailsInput, output: genaiDetailsOutput},
	"gen_ai.content.prompt":                     {input: genaiContentPrompt},
	"gen_ai.content.completion":                 {output: genaiContentCompletion},
}

// IsGenAIEvent reports whether name is a GenAI content event the
// normalizer turns into messages.
func IsGenAIEvent(name string) bool {
	_, ok := logEventReaders[name]
	return ok
}

// LogEventName is a record's event name: the EventName field (semconv
// ≥1.31 SDKs), else the `event.name` attribute (1.28–1.30, and SDKs that
// still write it).
func LogEventName(lr plog.LogRecord) string {
	if n := lr.EventName(); n != "" {
		return n
	}
	if v, ok := lr.Attributes().Get("event.name"); ok && v.Type() == pcommon.ValueTypeStr {
		return v.Str()
	}
	return ""
}

// LogRecord reads one log record. ok is false when the record names no span
// (no trace id or no span id): it cannot be joined to anything. malformed
// counts content values that did not parse.
func LogRecord(lr plog.LogRecord) (ev spancommit.LogEvent, malformed int, ok bool) {
	if lr.TraceID().IsEmpty() || lr.SpanID().IsEmpty() {
		return ev, 0, false
	}
	ev = spancommit.LogEvent{TraceID: lr.TraceID(), SpanID: lr.SpanID(), Name: LogEventName(lr), Time: lr.Timestamp()}
	if ev.Time == 0 {
		ev.Time = lr.ObservedTimestamp()
	}
	if r, isGenAI := logEventReaders[ev.Name]; isGenAI {
		ev.GenAI = true
		v := &view{attrs: map[string]any{}, events: []event{{name: ev.Name, attrs: eventAttrs(lr)}}}
		if r.input != nil {
			t := taker{role: "user"}
			r.input(v, &t)
			ev.Input = t.ms
			ev.System = genaiSystemInstructions(v)
		}
		if r.output != nil {
			t := taker{role: "assistant"}
			r.output(v, &t)
			ev.Output = t.ms
			for _, f := range t.finish {
				ev.FinishReasons = append(ev.FinishReasons, normFinish(f))
			}
		}
		return ev, len(v.malformed), true
	}
	if ev.Name == "" {
		ev.Name = "log"
	}
	ev.Severity = lr.SeverityText()
	if ev.Severity == "" && lr.SeverityNumber() != plog.SeverityNumberUnspecified {
		ev.Severity = lr.SeverityNumber().String()
	}
	if lr.Attributes().Len() > 0 {
		ev.Attributes = make(map[string]any, lr.Attributes().Len())
		lr.Attributes().Range(func(k string, x pcommon.Value) bool {
			if k != "event.name" {
				ev.Attributes[k] = toAny(x)
			}
			return true
		})
	}
	ev.Body = toAny(lr.Body())
	return ev, 0, true
}

// eventAttrs is the record's content as one event's attributes: its
// attributes, overlaid with the body's fields (semconv 1.28–1.36 put the
// message in the body). A string body that holds a JSON object is read as
// that object; other text is the content.
func eventAttrs(lr plog.LogRecord) map[string]any {
	attrs := make(map[string]any, lr.Attributes().Len()+4)
	lr.Attributes().Range(func(k string, x pcommon.Value) bool {
		attrs[k] = toAny(x)
		return true
	})
	body := toAny(lr.Body())
	if s, isStr := body.(string); isStr {
		if p, ok := parseJSON(s); ok {
			if _, isMap := p.(map[string]any); isMap {
				body = p
			}
		}
	}
	switch b := body.(type) {
	case map[string]any:
		for k, x := range b {
			attrs[k] = x
		}
	case string:
		if strings.TrimSpace(b) != "" {
			if _, has := attrs["content"]; !has {
				attrs["content"] = b
			}
		}
	}
	return attrs
}
