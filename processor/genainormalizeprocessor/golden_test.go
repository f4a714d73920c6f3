package genainormalizeprocessor

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"

	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.opentelemetry.io/collector/processor/processortest"

	"github.com/otelcol-genai/otelcol-genai/processor/genainormalizeprocessor/internal/metadata"
)

var repeatRe = regexp.MustCompile(`\$repeat:([a-z]+):([0-9]+)`)

var update = flag.Bool("update", false, "rewrite testdata/golden/*.golden from the current output")

// loadTraces reads an OTLP/JSON file. The reference's attribute-map
// fixtures (a bare JSON array of span objects without ids) are wrapped in
// one resource/scope with generated ids; a span's "parent" field (index
// into the array) sets its parent.
func loadTraces(t testing.TB, path string) ptrace.Traces {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	raw = bytes.TrimSpace(raw)
	if raw[0] == '[' {
		var spans []map[string]any
		if err := json.Unmarshal(raw, &spans); err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		scope := "ai"
		for i, s := range spans {
			if _, ok := s["traceId"]; !ok {
				s["traceId"] = "0af7651916cd43dd8448eb211c80319c"
			}
			if _, ok := s["spanId"]; !ok {
				s["spanId"] = fmt.Sprintf("%016x", i+1)
			}
			if p, ok := s["parent"].(float64); ok {
				s["parentSpanId"] = fmt.Sprintf("%016x", int(p)+1)
				delete(s, "parent")
			}
			if sc, ok := s["scope"].(string); ok {
				scope = sc
				delete(s, "scope")
			}
			if _, ok := s["startTimeUnixNano"]; !ok {
				s["startTimeUnixNano"] = fmt.Sprint(1746026930219515904 + int64(i)*1000000)
				s["endTimeUnixNano"] = fmt.Sprint(1746026930219515904 + int64(i)*1000000 + 500000)
			}
		}
		wrapped := map[string]any{"resourceSpans": []any{map[string]any{
			"resource":   map[string]any{},
			"scopeSpans": []any{map[string]any{"scope": map[string]any{"name": scope}, "spans": spans}},
		}}}
		raw, _ = json.Marshal(wrapped)
	}
	// "$repeat:<s>:<n>" expands to s repeated n times, so oversized
	// payloads need not be committed.
	raw = repeatRe.ReplaceAllFunc(raw, func(m []byte) []byte {
		sub := repeatRe.FindSubmatch(m)
		n, _ := strconv.Atoi(string(sub[2]))
		return []byte(strings.Repeat(string(sub[1]), n))
	})
	td, err := (&ptrace.JSONUnmarshaler{}).UnmarshalTraces(raw)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return td
}

// canonicalView renders the processor output for eye-checking: per span,
// its maxim.* attributes (JSON-valued ones decoded), the raw attribute keys
// that were kept, and the events that remain.
func canonicalView(td ptrace.Traces) []map[string]any {
	var out []map[string]any
	rss := td.ResourceSpans()
	for i := 0; i < rss.Len(); i++ {
		sss := rss.At(i).ScopeSpans()
		for j := 0; j < sss.Len(); j++ {
			spans := sss.At(j).Spans()
			for k := 0; k < spans.Len(); k++ {
				sp := spans.At(k)
				maxim := map[string]any{}
				var kept []string
				sp.Attributes().Range(func(key string, v pcommon.Value) bool {
					if !strings.HasPrefix(key, "maxim.") || key == "maxim.metadata" {
						kept = append(kept, key)
						return true
					}
					val := v.AsRaw()
					if s, ok := val.(string); ok && (strings.HasPrefix(s, "{") || strings.HasPrefix(s, "[")) {
						var p any
						if json.Unmarshal([]byte(s), &p) == nil {
							val = p
						}
					}
					maxim[key] = abbreviate(val)
					return true
				})
				sort.Strings(kept)
				var evs []string
				for e := 0; e < sp.Events().Len(); e++ {
					evs = append(evs, sp.Events().At(e).Name())
				}
				row := map[string]any{"span": sp.Name(), "maxim": maxim, "kept_raw": kept}
				if len(evs) > 0 {
					row["events"] = evs
				}
				out = append(out, row)
			}
		}
	}
	return out
}

func runProcessor(t testing.TB, cfg *Config, td ptrace.Traces) ptrace.Traces {
	t.Helper()
	sink := new(consumertest.TracesSink)
	set := processortest.NewNopSettings(metadata.Type)
	p, err := NewFactory().CreateTraces(context.Background(), set, cfg, sink)
	if err != nil {
		t.Fatal(err)
	}
	if err := p.ConsumeTraces(context.Background(), td); err != nil {
		t.Fatal(err)
	}
	all := sink.AllTraces()
	if len(all) != 1 {
		t.Fatalf("sink got %d batches, want 1", len(all))
	}
	return all[0]
}

// TestGolden runs every testdata/golden/*.json through the processor and
// compares the canonical view with the .golden file next to it (rewrite
// with -update, then review the diff by eye).
func TestGolden(t *testing.T) {
	files, err := filepath.Glob("testdata/golden/*.json")
	if err != nil || len(files) == 0 {
		t.Fatalf("no golden inputs: %v", err)
	}
	for _, f := range files {
		name := strings.TrimSuffix(filepath.Base(f), ".json")
		t.Run(name, func(t *testing.T) {
			td := loadTraces(t, f)
			in := td.SpanCount()
			// The goldens document the canonical mapping; the derived
			// gen_ai.* view is tested in TestGenAIAttributesForVendors.
			cfg := createDefaultConfig().(*Config)
			cfg.GenAIAttributes = false
			out := runProcessor(t, cfg, td)
			if out.SpanCount() != in {
				t.Fatalf("span count %d → %d: the normalizer must never drop a span", in, out.SpanCount())
			}
			var buf bytes.Buffer
			enc := json.NewEncoder(&buf)
			enc.SetEscapeHTML(false)
			enc.SetIndent("", "  ")
			if err := enc.Encode(canonicalView(out)); err != nil {
				t.Fatal(err)
			}
			got := buf.Bytes()
			gf := strings.TrimSuffix(f, ".json") + ".golden"
			if *update {
				if err := os.WriteFile(gf, got, 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(gf)
			if err != nil {
				t.Fatalf("%v (run with -update to create it)", err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("%s differs from golden; got:\n%s", gf, got)
			}
		})
	}
}

// abbreviate keeps goldens readable: long strings, also inside decoded
// JSON, show their size and both ends.
func abbreviate(v any) any {
	switch t := v.(type) {
	case string:
		if len(t) > 300 {
			return fmt.Sprintf("<%d bytes: %s…%s>", len(t), t[:40], t[len(t)-40:])
		}
	case []any:
		for i := range t {
			t[i] = abbreviate(t[i])
		}
	case map[string]any:
		for k := range t {
			t[k] = abbreviate(t[k])
		}
	}
	return v
}
