package normalize

import (
	"sort"
	"strings"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/otelcol-genai/otelcol-genai/pkg/spancommit"
)

// view is a decoded, read-only look at one span: attributes as Go values,
// events, and the bits of scope/resource the rules need.
type view struct {
	attrs  map[string]any
	keys   []string // sorted attribute keys, for prefix scans
	events []event
	name   string
	scope  string
	isRoot bool
	span   ptrace.Span

	malformed []string
	dropped   int // flattened keys dropped by the index-bomb guard
}

type event struct {
	name  string
	attrs map[string]any
}

func newView(span ptrace.Span, scope pcommon.InstrumentationScope) *view {
	v := &view{
		attrs:  make(map[string]any, span.Attributes().Len()),
		name:   span.Name(),
		scope:  scope.Name(),
		isRoot: spancommit.IsLocalRoot(span),
		span:   span,
	}
	span.Attributes().Range(func(k string, x pcommon.Value) bool {
		v.attrs[k] = toAny(x)
		v.keys = append(v.keys, k)
		return true
	})
	sort.Strings(v.keys)
	evs := span.Events()
	for i := 0; i < evs.Len(); i++ {
		e := evs.At(i)
		ev := event{name: e.Name(), attrs: make(map[string]any, e.Attributes().Len())}
		e.Attributes().Range(func(k string, x pcommon.Value) bool {
			ev.attrs[k] = toAny(x)
			return true
		})
		v.events = append(v.events, ev)
	}
	return v
}

// get returns the first meaningful value among keys, and the key it came from.
func (v *view) get(keys ...string) (any, string) {
	for _, k := range keys {
		if x, ok := v.attrs[k]; ok && meaningful(x) {
			return x, k
		}
	}
	return nil, ""
}

func (v *view) has(keys ...string) bool {
	_, k := v.get(keys...)
	return k != ""
}

// str returns the first meaningful value as trimmed text.
func (v *view) str(keys ...string) string {
	x, _ := v.get(keys...)
	return strings.TrimSpace(asString(x))
}

// count returns the first key that holds a valid non-negative integer; a
// negative value means "unset" (OpenLit sends -1) and is skipped.
func (v *view) count(keys ...string) *int64 {
	for _, k := range keys {
		x, ok := v.attrs[k]
		if !ok {
			continue
		}
		if n, ok := asInt(x); ok && n >= 0 {
			return &n
		}
	}
	return nil
}

// number returns the first key that holds a finite number.
func (v *view) number(keys ...string) *float64 {
	for _, k := range keys {
		if x, ok := v.attrs[k]; ok {
			if f, ok := asFloat(x); ok {
				return &f
			}
		}
	}
	return nil
}

// structured returns the value of key as parsed JSON: structured OTLP values
// as they are, strings parsed with the lenient parser. A string that is
// meant to be JSON but does not parse is flagged malformed and returned as
// the raw string with ok=false.
func (v *view) structured(key string) (any, bool) {
	return v.structuredFrom(v.attrs, key)
}

func (v *view) structuredFrom(attrs map[string]any, key string) (any, bool) {
	x, ok := attrs[key]
	if !ok || !meaningful(x) {
		return nil, false
	}
	s, isStr := x.(string)
	if !isStr {
		return x, true
	}
	if p, ok := parseJSON(s); ok {
		return p, true
	}
	if looksJSON(s) {
		v.flag(key)
	}
	return s, false
}

func (v *view) flag(key string) {
	for _, k := range v.malformed {
		if k == key {
			return
		}
	}
	v.malformed = append(v.malformed, key)
}

// hasPrefix reports whether any attribute key starts with prefix + ".".
func (v *view) hasPrefix(prefix string) bool {
	p := prefix + "."
	i := sort.SearchStrings(v.keys, p)
	return i < len(v.keys) && strings.HasPrefix(v.keys[i], p)
}

// flat rebuilds the flattened keys under prefix.
func (v *view) flat(prefix string) any {
	if !v.hasPrefix(prefix) {
		return nil
	}
	p := prefix + "."
	i := sort.SearchStrings(v.keys, p)
	j := i
	for j < len(v.keys) && strings.HasPrefix(v.keys[j], p) {
		j++
	}
	out, dropped := unflatten(v.attrs, v.keys[i:j], prefix)
	v.dropped += dropped
	return out
}

// eventsNamed returns the events with the given name, in span order.
func (v *view) eventsNamed(name string) []event {
	var out []event
	for _, e := range v.events {
		if e.name == name {
			out = append(out, e)
		}
	}
	return out
}

// operationID is the AI SDK operation: `ai.operationId`, or the first word
// of `operation.name` (which has " <functionId>" appended).
func (v *view) operationID() string {
	if s := v.str("ai.operationId"); s != "" {
		return s
	}
	s := v.str("operation.name")
	if i := strings.IndexByte(s, ' '); i >= 0 {
		s = s[:i]
	}
	if strings.HasPrefix(s, "ai.") {
		return s
	}
	return ""
}
