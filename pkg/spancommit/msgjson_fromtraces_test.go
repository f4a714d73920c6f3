package spancommit_test

import (
	"bytes"
	"math/rand"
	"testing"

	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/otelcol-genai/otelcol-genai/pkg/commit"
	"github.com/otelcol-genai/otelcol-genai/pkg/spancommit"
)

// TestFromTracesMessagesTakenAsIs checks that commit data is the same
// whether FromTraces copies canonical message lists as they are or decodes
// and encodes them: the same spans with every message list padded by a
// space (which makes it non-canonical, decoding to the same messages) give
// the same commits.
func TestFromTracesMessagesTakenAsIs(t *testing.T) {
	td := genaiLoadBatch(rand.New(rand.NewSource(3)), 60)
	// Strings encoding/json escapes specially, and content parts.
	sp := td.ResourceSpans().At(0).ScopeSpans().At(1).Spans().AppendEmpty()
	td.ResourceSpans().At(0).ScopeSpans().At(1).Spans().At(0).CopyTo(sp)
	sp.SetSpanID([8]byte{9, 9, 9, 9, 9, 9, 9, 9})
	sp.Attributes().PutStr("gen_ai.input.messages", `[{"role":"user","parts":[{"type":"text","content":"a <b> & \u2028 \u0001 é"},`+
		`{"type":"uri","modality":"image","uri":"https://x/y.png"}]},{"role":"user","parts":[{"type":"text","content":"bad `+"\xff"+`"}]}]`)
	sp.Attributes().PutStr("gen_ai.output.messages", `[{"role":"assistant","parts":[{"type":"text","content":"<ok>\u2029"}],"finish_reason":"stop"}]`)
	norm := normalize(t, td)

	padded := ptrace.NewTraces()
	norm.CopyTo(padded)
	n := 0
	rss := padded.ResourceSpans()
	for i := 0; i < rss.Len(); i++ {
		sss := rss.At(i).ScopeSpans()
		for j := 0; j < sss.Len(); j++ {
			spans := sss.At(j).Spans()
			for k := 0; k < spans.Len(); k++ {
				a := spans.At(k).Attributes()
				for _, key := range []string{spancommit.AttrInputMessages, spancommit.AttrOutputMessages} {
					if v, ok := a.Get(key); ok {
						a.PutStr(key, " "+v.Str())
						n++
					}
				}
			}
		}
	}
	if n < 20 {
		t.Fatalf("only %d message lists in the batch", n)
	}
	want, err := spancommit.FromTraces(padded, commit.NewVersioner())
	if err != nil {
		t.Fatal(err)
	}
	got, err := spancommit.FromTraces(norm, commit.NewVersioner())
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(want) {
		t.Fatalf("%d commits, want %d", len(got), len(want))
	}
	for i := range got {
		if got[i].ID != want[i].ID || !bytes.Equal(got[i].Data, want[i].Data) {
			t.Fatalf("commit %d (%s %s):\n got %s\nwant %s", i, got[i].Entity, got[i].Action, got[i].Data, want[i].Data)
		}
	}
}
