package tracetreequery

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"syscall"
	"testing"
	"time"

	"github.com/otelcol-genai/otelcol-genai/internal/pricing"
	"github.com/otelcol-genai/otelcol-genai/internal/store"
	"github.com/otelcol-genai/otelcol-genai/internal/store/pebblestore"
	"github.com/otelcol-genai/otelcol-genai/internal/store/storetest"
	"github.com/otelcol-genai/otelcol-genai/internal/tree"
	"github.com/otelcol-genai/otelcol-genai/pkg/commit"
)

// pebbleAPIStore is the Pebble backend as the query API sees it (the
// store extension adds the live feed and the price table).
type pebbleAPIStore struct{ *pebblestore.Store }

func (pebbleAPIStore) Prices() *pricing.Table { return pricing.MustDefault() }

func (pebbleAPIStore) Subscribe(context.Context, string) (<-chan store.Change, func()) {
	return make(chan store.Change), func() {}
}

// BenchmarkGetTrace10k is GET /api/v1/traces/{id} of a 10,101-node trace
// (storetest.WideTrace) on Pebble, through the API's whole handler (mux,
// instrumentation, store reads, assembly, fold, totals, JSON): the number
// the UI waits for when it opens a huge agent run. The store is reopened
// after the writes so reads come from sstables, as after a restart.
func BenchmarkGetTrace10k(b *testing.B) {
	ctx := context.Background()
	cfg := pebblestore.DefaultConfig()
	cfg.Directory = b.TempDir()
	cfg.Sync = false
	ps, err := pebblestore.Open(cfg, nil)
	if err != nil {
		b.Fatal(err)
	}
	cs := storetest.WideTrace("r", "big", 100, 100)
	for i := 0; i < len(cs); i += 500 {
		batch := cs[i:min(i+500, len(cs))]
		if err := ps.Apply(ctx, batch, tree.EdgesOfAll(batch)); err != nil {
			b.Fatal(err)
		}
	}
	// Reopening flushes the write-ahead log into sstables.
	if err := ps.Close(); err != nil {
		b.Fatal(err)
	}
	if ps, err = pebblestore.Open(cfg, nil); err != nil {
		b.Fatal(err)
	}
	defer ps.Close()
	h := newAPI(pebbleAPIStore{ps}, apiOptions{}).handler()

	// The recorder's body buffer is reused so the benchmark measures the
	// server, not the growth of the client's copy.
	body := &bytes.Buffer{}
	get := func() *httptest.ResponseRecorder {
		rec := httptest.NewRecorder()
		body.Reset()
		rec.Body = body
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/api/v1/traces/big?repo=r", nil))
		if rec.Code != http.StatusOK {
			b.Fatalf("status %d: %.200s", rec.Code, body.String())
		}
		return rec
	}
	get()
	var got tree.Trace
	if err := json.Unmarshal(body.Bytes(), &got); err != nil {
		b.Fatal(err)
	}
	nodes := 0
	tree.Walk(got.Root, func(*tree.TreeNode) { nodes++ })
	if nodes != 1+100+100*100 || got.Root.Kind != commit.EntityTrace {
		b.Fatalf("got %d nodes", nodes)
	}

	b.ReportAllocs()
	cpu := cpuTime()
	for b.Loop() {
		get()
	}
	// The machine is shared, so wall time swings with load; CPU time per
	// op (which includes GC and Pebble's background work) does not.
	b.ReportMetric(float64(cpuTime()-cpu)/float64(time.Millisecond)/float64(b.N), "cpu-ms/op")
	b.ReportMetric(float64(body.Len()), "json-bytes")
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
