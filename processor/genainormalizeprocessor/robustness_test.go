package genainormalizeprocessor

import (
	"path/filepath"
	"sort"
	"testing"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/otelcol-genai/otelcol-genai/pkg/commit"
	"github.com/otelcol-genai/otelcol-genai/pkg/spancommit"
)

// weirdValues are shapes real instrumentations send by mistake (or on
// purpose): wrong types, empty containers, broken JSON, deep nesting.
var weirdValues = []func(pcommon.Value){
	func(v pcommon.Value) { v.SetStr("") },
	func(v pcommon.Value) { v.SetStr("{") },
	func(v pcommon.Value) { v.SetStr(`[{"role":5,"parts":"x","content":{"a":[1,{"b":null}]}}]`) },
	func(v pcommon.Value) { v.SetStr(`"\"[\\\"a\\\"]\""`) },
	func(v pcommon.Value) { v.SetStr("NaN") },
	func(v pcommon.Value) { v.SetInt(-1) },
	func(v pcommon.Value) { v.SetDouble(1e308) },
	func(v pcommon.Value) { v.SetBool(true) },
	func(v pcommon.Value) { v.SetEmptyBytes().FromRaw([]byte{0xff, 0x00}) },
	func(v pcommon.Value) {
		v.SetEmptyMap().PutEmptySlice("parts").AppendEmpty().SetEmptyMap().PutStr("type", "tool_call")
	},
	func(v pcommon.Value) {
		s := v.SetEmptySlice()
		s.AppendEmpty().SetEmptySlice().AppendEmpty().SetInt(3)
		s.AppendEmpty().SetEmptyMap().PutEmptyMap("message").PutStr("role", "tool")
	},
}

// TestNoPanicOnAnyValueShape puts every weird value under every attribute
// key the golden inputs use (and the message events), and checks the
// processor and FromTraces neither panic nor drop the span.
func TestNoPanicOnAnyValueShape(t *testing.T) {
	files, _ := filepath.Glob("testdata/golden/*.json")
	keySet := map[string]bool{"maxim.session.end": true, "maxim.metadata": true, "metadata": true}
	for _, f := range files {
		td := loadTraces(t, f)
		rss := td.ResourceSpans()
		for i := 0; i < rss.Len(); i++ {
			sss := rss.At(i).ScopeSpans()
			for j := 0; j < sss.Len(); j++ {
				sps := sss.At(j).Spans()
				for k := 0; k < sps.Len(); k++ {
					sps.At(k).Attributes().Range(func(key string, _ pcommon.Value) bool {
						keySet[key] = true
						return true
					})
				}
			}
		}
	}
	keys := make([]string, 0, len(keySet))
	for k := range keySet {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	if len(keys) < 100 {
		t.Fatalf("only %d keys collected from goldens", len(keys))
	}
	cfg := createDefaultConfig().(*Config)
	cfg.MaxAttributeBytes = 2048
	for wi, set := range weirdValues {
		td := ptrace.NewTraces()
		spans := td.ResourceSpans().AppendEmpty().ScopeSpans().AppendEmpty().Spans()
		for ki, key := range keys {
			// One span per key with the weird value, plus an operation that
			// routes it through each kind's code path.
			for _, op := range []string{"chat", "execute_tool", "retrieval", "invoke_agent"} {
				sp := spans.AppendEmpty()
				sp.SetTraceID(pcommon.TraceID{byte(wi + 1)})
				sp.SetSpanID(pcommon.SpanID{byte(ki >> 8), byte(ki), byte(len(op))})
				sp.Attributes().PutStr("gen_ai.operation.name", op)
				set(sp.Attributes().PutEmpty(key))
				ev := sp.Events().AppendEmpty()
				ev.SetName("gen_ai.choice")
				set(ev.Attributes().PutEmpty("message"))
			}
		}
		n := td.SpanCount()
		var out ptrace.Traces
		func() {
			defer func() {
				if r := recover(); r != nil {
					t.Fatalf("weird value #%d: processor panicked: %v", wi, r)
				}
			}()
			out = runProcessor(t, cfg, td)
		}()
		if out.SpanCount() != n {
			t.Fatalf("weird value #%d: %d spans in, %d out", wi, n, out.SpanCount())
		}
		func() {
			defer func() {
				if r := recover(); r != nil {
					t.Fatalf("weird value #%d: FromTraces panicked: %v", wi, r)
				}
			}()
			cs, err := spancommit.FromTraces(out, commit.NewVersioner())
			if err != nil {
				t.Fatalf("weird value #%d: FromTraces: %v", wi, err)
			}
			if len(cs) < n {
				t.Fatalf("weird value #%d: %d commits for %d spans", wi, len(cs), n)
			}
		}()
	}
	t.Logf("%d keys × %d value shapes × 4 operations", len(keys), len(weirdValues))
}
