package spancommit_test

import (
	"crypto/sha256"
	"encoding/hex"
	"math/rand"
	"testing"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/otelcol-genai/otelcol-genai/pkg/commit"
	"github.com/otelcol-genai/otelcol-genai/pkg/spancommit"
)

// wantCommitDigest is the digest of every commit id and data byte that
// FromTraces writes for stabilityTraces. Commit ids are content hashes:
// were a new version to write other bytes for the same span, a replay
// after an upgrade would store each of its commits a second time. A
// change of the digest is a change of the stored format and needs a
// migration story, not a new constant.
const wantCommitDigest = "04c332c4d895e6fea25240b7384762388b86913959cddb47fe086dde0e520052"

// stabilityTraces covers the shapes FromTraces encodes: the load
// generator's agent traffic (parts-format messages, tool calls with JSON
// arguments and results, usage), the equivalence turn (retrieval
// documents, session end, Maxim metadata) and a span with links, a kept
// event, an error status and user metadata and metrics.
func stabilityTraces() []ptrace.Traces {
	extra := ptrace.NewTraces()
	ss := extra.ResourceSpans().AppendEmpty().ScopeSpans().AppendEmpty()
	appendSpan(ss, 7, 0, "linked <root> & co", 0, 50, map[string]any{
		"maxim.metadata": `{"maxim-trace-tags":{"team":"a<b","zone":"é"},"maxim-trace-metrics":{"score":0.25,"big":1e21}}`,
		"input.value":    "line\nbreak \u2028 \"quoted\"",
		"custom.attr":    []any{int64(1), 2.5, true, "x"},
	})
	sp := ss.Spans().At(0)
	l := sp.Links().AppendEmpty()
	l.SetTraceID(pcommon.TraceID{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16})
	l.SetSpanID(pcommon.SpanID{1, 2, 3, 4, 5, 6, 7, 8})
	l.Attributes().PutStr("link.kind", "follows")
	l.Attributes().PutDouble("link.weight", 0.5)
	ev := sp.Events().AppendEmpty()
	ev.SetName("checkpoint")
	ev.SetTimestamp(pcommon.NewTimestampFromTime(at(25)))
	ev.Attributes().PutStr("step", "3 > 2")
	sp.Status().SetCode(ptrace.StatusCodeError)
	sp.Status().SetMessage("upstream <timeout>")
	return []ptrace.Traces{genaiLoadBatchAt(rand.New(rand.NewSource(7)), 512, t0), otlpTraces(), extra}
}

// TestCommitBytesAreStable pins FromTraces' output byte for byte, so a
// faster encoder cannot change what is stored without failing here.
func TestCommitBytesAreStable(t *testing.T) {
	h := sha256.New()
	n := 0
	for _, td := range stabilityTraces() {
		cs, err := spancommit.FromTraces(normalize(t, td), commit.NewVersioner())
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range cs {
			h.Write(c.ID[:])
			h.Write(c.Data)
			h.Write([]byte{0})
		}
		n += len(cs)
	}
	if got := hex.EncodeToString(h.Sum(nil)); got != wantCommitDigest {
		t.Fatalf("%d commits hash to %s, want %s: FromTraces writes other bytes than before", n, got, wantCommitDigest)
	}
}
