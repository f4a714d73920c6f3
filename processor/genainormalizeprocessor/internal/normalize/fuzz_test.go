package normalize

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"strings"
	"testing"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/otelcol-genai/otelcol-genai/pkg/commit"
	"github.com/otelcol-genai/otelcol-genai/pkg/spancommit"
)

// FuzzNormalize normalizes arbitrary spans, including ones that arrive
// already marked normalized with any subset of the canonical attributes in
// any value type, and converts the result with spancommit.FromTraces. For
// any input: no panic; the output is a span the normalizer would pass
// through (marker and a known kind); a second pass leaves it alone with the
// same kind; FromTraces keeps the span (a commit for it, valid JSON data).
//
// attrs is a JSON object of span attributes: integers become Int, other
// numbers Double, "b64:…" strings Bytes, null an empty value, arrays and
// objects Slice and Map. Bits of opts pick the options and whether the span
// has a parent. Seed corpus: testdata/fuzz/FuzzNormalize (golden inputs and
// their normalized attributes, and broken pre-normalized sets).
func FuzzNormalize(f *testing.F) {
	f.Add(uint8(0), `{"maxim.normalized":true}`)
	f.Add(uint8(1), `{"maxim.normalized":true,"maxim.entity.kind":5}`)
	f.Add(uint8(2), `{"maxim.normalized":"true","maxim.entity.kind":"generation","maxim.repo.id":"other"}`)
	f.Add(uint8(3), `{"maxim.normalized":true,"maxim.entity.kind":"generation","maxim.usage.input_tokens":1e300,"maxim.input.messages":[1]}`)
	f.Add(uint8(4), `{"gen_ai.operation.name":"chat","gen_ai.input.messages":"[{\"role\":\"user\",\"parts\":[{\"type\":\"text\",\"content\":\"hi\"}]}]"}`)
	f.Fuzz(func(t *testing.T, opts uint8, attrs string) {
		td := ptrace.NewTraces()
		rs := td.ResourceSpans().AppendEmpty()
		ss := rs.ScopeSpans().AppendEmpty()
		sp := ss.Spans().AppendEmpty()
		if !fuzzAttrs(sp.Attributes(), attrs) {
			return
		}
		sp.SetName("fuzz")
		sp.SetTraceID(pcommon.TraceID{1})
		sp.SetSpanID(pcommon.SpanID{2})
		sp.SetStartTimestamp(1)
		sp.SetEndTimestamp(2)
		if opts&16 != 0 {
			sp.SetParentSpanID(pcommon.SpanID{3})
		}
		opt := Options{Repo: "r", KeepRawAttributes: opts&1 != 0, GenAIAttributes: opts&4 != 0}
		if opts&2 != 0 {
			opt.MaxAttributeBytes = 1024
		}
		if opts&8 != 0 {
			opt.MayKeepRepo = func(string) bool { return true }
		}
		res := Span(sp, ss.Scope(), opt)
		kind, ok := spancommit.NormalizedKind(sp.Attributes())
		if !ok {
			t.Fatalf("output is not a normalized span: %v", sp.Attributes().AsRaw())
		}
		if res.Kind != kind {
			t.Fatalf("result kind %q, span kind %q", res.Kind, kind)
		}
		again := Span(sp, ss.Scope(), opt)
		if !again.Skipped || again.Kind != kind {
			t.Fatalf("second pass %+v, want skipped %q", again, kind)
		}
		commits, err := spancommit.FromTraces(td, commit.NewVersioner())
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range commits {
			if !json.Valid(c.Data) {
				t.Fatalf("commit data is not JSON: %q", c.Data)
			}
		}
		if kind != spancommit.KindSessionEnd {
			found := false
			for _, c := range commits {
				if c.EntityID == sp.SpanID().String() || strings.Contains(string(c.Data), sp.SpanID().String()) {
					found = true
				}
			}
			if !found {
				t.Fatalf("span lost: %d commits, none for it", len(commits))
			}
		}
	})
}

// fuzzAttrs fills m from a JSON object; false when attrs is not one.
func fuzzAttrs(m pcommon.Map, attrs string) bool {
	dec := json.NewDecoder(bytes.NewReader([]byte(attrs)))
	dec.UseNumber()
	var obj map[string]any
	if dec.Decode(&obj) != nil || obj == nil {
		return false
	}
	for k, v := range obj {
		fuzzValue(m.PutEmpty(k), v)
	}
	return true
}

func fuzzValue(dst pcommon.Value, v any) {
	switch t := v.(type) {
	case nil:
	case bool:
		dst.SetBool(t)
	case json.Number:
		if n, err := t.Int64(); err == nil {
			dst.SetInt(n)
		} else if f, err := t.Float64(); err == nil {
			dst.SetDouble(f)
		} else {
			dst.SetStr(t.String())
		}
	case string:
		if b, ok := strings.CutPrefix(t, "b64:"); ok {
			if raw, err := base64.StdEncoding.DecodeString(b); err == nil {
				dst.SetEmptyBytes().FromRaw(raw)
				return
			}
		}
		dst.SetStr(t)
	case []any:
		s := dst.SetEmptySlice()
		for _, x := range t {
			fuzzValue(s.AppendEmpty(), x)
		}
	case map[string]any:
		mm := dst.SetEmptyMap()
		for k, x := range t {
			fuzzValue(mm.PutEmpty(k), x)
		}
	}
}
