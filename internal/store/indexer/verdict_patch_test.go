package indexer

import (
	"context"
	"fmt"
	"math/rand/v2"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/otelcol-genai/otelcol-genai/internal/store"
	"github.com/otelcol-genai/otelcol-genai/internal/store/memstore"
	"github.com/otelcol-genai/otelcol-genai/internal/store/pebblestore"
	"github.com/otelcol-genai/otelcol-genai/internal/tree"
	"github.com/otelcol-genai/otelcol-genai/pkg/commit"
)

// rowRecorder keeps the last trace row the indexer wrote for each trace.
type rowRecorder struct {
	store.Backend
	mu   sync.Mutex
	rows map[string]store.TraceSummary
}

func (r *rowRecorder) PutTraceSummaries(ctx context.Context, rows []store.TraceSummary) error {
	r.mu.Lock()
	for _, row := range rows {
		r.rows[row.TraceID] = row
	}
	r.mu.Unlock()
	return r.Backend.PutTraceSummaries(ctx, rows)
}

func (r *rowRecorder) row(id string) store.TraceSummary {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.rows[id]
}

// verdictOn is an evaluate commit as the genai_eval receiver writes one,
// or (one in five) an SDK's evaluation request.
func verdictOn(rng *rand.Rand, ref commit.NodeRef, version int64) commit.Commit {
	evaluator := []string{"pii", "latency", "relevance"}[rng.IntN(3)]
	data := fmt.Sprintf(`{"with":"result","evaluator":%q,"score":%.2f,"pass":%t,"reason":"r","timestamp":"2026-01-01T00:00:%02dZ"}`,
		evaluator, rng.Float64(), rng.IntN(3) > 0, rng.IntN(60))
	if rng.IntN(5) == 0 {
		data = fmt.Sprintf(`{"with":"evaluators","evaluators":[%q]}`, evaluator)
	}
	c := commit.Commit{Repo: ref.Repo, Entity: ref.Kind, EntityID: ref.ID, Action: commit.ActionEvaluate, Data: []byte(data), Version: version}
	c.Seal()
	return c
}

// TestVerdictRowsArePatched feeds generated traces sharing sessions, then
// rounds of verdicts on random nodes, some rounds with another commit
// beside them, with a pass after each round. Every trace row and session
// row written must equal a fresh assembly's, the live feed must carry the
// assembled fingerprint of each trace, and the verdict-only traces must
// have been patched rather than assembled.
func TestVerdictRowsArePatched(t *testing.T) {
	ctx := context.Background()
	backends := map[string]func(t *testing.T) store.Backend{
		"memstore": func(*testing.T) store.Backend { return memstore.New() },
		"pebble": func(t *testing.T) store.Backend {
			pcfg := pebblestore.DefaultConfig()
			pcfg.Directory = t.TempDir()
			pcfg.Sync = false
			b, err := pebblestore.Open(pcfg, nil)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = b.Close() })
			return b
		},
	}
	for name, open := range backends {
		t.Run(name, func(t *testing.T) {
			for seed := range uint64(3) {
				repo, commits, sessions := sharedSessionTraffic(seed, 10, 3)
				b := &rowRecorder{Backend: open(t), rows: map[string]store.TraceSummary{}}
				cfg := testConfig()
				cfg.PollInterval, cfg.Debounce = 1<<62, 1<<62
				ix, err := New(b, cfg, Settings{Now: func() time.Time { return time.Unix(0, 0) }})
				if err != nil {
					t.Fatal(err)
				}
				if err := ix.Start(ctx); err != nil {
					t.Fatal(err)
				}
				stopObserving := ix.ObserveTraces(func(commit.NodeRef, *tree.Trace) {}) // an evaluator runs
				changes, cancel := ix.Subscribe(ctx, repo)
				if err := ix.Apply(ctx, commits, tree.EdgesOfAll(commits)); err != nil {
					t.Fatal(err)
				}
				if err := ix.Flush(ctx); err != nil {
					t.Fatal(err)
				}
				var traces, nodes []commit.NodeRef
				seen := map[commit.NodeRef]bool{}
				version := int64(0)
				for _, c := range commits {
					version = max(version, c.Version)
					if r := c.Node(); !seen[r] && r.Kind != commit.EntitySession {
						seen[r] = true
						nodes = append(nodes, r)
						if r.Kind == commit.EntityTrace {
							traces = append(traces, r)
						}
					}
				}
				rng := rand.New(rand.NewPCG(seed, 5))
				for round := range 8 {
					var batch []commit.Commit
					for range 1 + rng.IntN(12) {
						version++
						batch = append(batch, verdictOn(rng, nodes[rng.IntN(len(nodes))], version))
					}
					if round%3 == 2 {
						// Something else beside the verdicts: that trace is assembled.
						n := nodes[rng.IntN(len(nodes))]
						version++
						batch = append(batch, mkIn(repo, n.Kind, n.ID, commit.ActionUpdate, fmt.Sprintf(`{"tags":{"round":"%d"}}`, round), version))
					}
					drain(changes)
					if err := ix.Apply(ctx, batch, tree.EdgesOfAll(batch)); err != nil {
						t.Fatal(err)
					}
					if err := ix.Flush(ctx); err != nil {
						t.Fatal(err)
					}
					published := map[string]uint64{}
					for _, c := range drain(changes) {
						for id, fp := range c.Fingerprints {
							published[id] = fp
						}
					}
					for _, tr := range traces {
						full, err := tree.AssembleTrace(ctx, b.Backend, tr)
						if err != nil {
							t.Fatal(err)
						}
						want := tree.SummarizeTrace(full)
						if got := b.row(tr.ID); !reflect.DeepEqual(got, want) {
							t.Fatalf("seed %d round %d: row of %s\n got %+v\nwant %+v", seed, round, tr.ID, got, want)
						}
						if fp, ok := published[tr.ID]; ok && fp != full.Fingerprint {
							t.Fatalf("seed %d round %d: %s published with fingerprint %x, assembled %x", seed, round, tr.ID, fp, full.Fingerprint)
						}
					}
					rows := sessionRows(t, b.Backend, repo)
					for _, s := range sessions {
						if want, ok := wantSession(t, b.Backend, s); ok && !reflect.DeepEqual(rows[s.ID], normalizeSession(want)) {
							t.Fatalf("seed %d round %d: session %s\n got %+v\nwant %+v", seed, round, s.ID, rows[s.ID], want)
						}
					}
				}
				cancel()
				stopObserving()
				if ix.patchedRows.Load() == 0 {
					t.Fatalf("seed %d: no row was patched", seed)
				}
				if err := ix.Shutdown(ctx); err != nil {
					t.Fatal(err)
				}
			}
		})
	}
}

// TestDeleteOutdatesSummaryBases: after a Delete, a verdict is indexed
// from the store, not patched from memory. Here the Delete takes the
// trace's generation and leaves the trace node, whose commits are
// unchanged, so only the outdated base stops a row that still counts the
// deleted generation.
func TestDeleteOutdatesSummaryBases(t *testing.T) {
	ctx := context.Background()
	b := &rowRecorder{Backend: memstore.New(), rows: map[string]store.TraceSummary{}}
	cfg := testConfig()
	cfg.PollInterval, cfg.Debounce = 1<<62, 1<<62
	ix, err := New(b, cfg, Settings{})
	if err != nil {
		t.Fatal(err)
	}
	if err := ix.Start(ctx); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = ix.Shutdown(ctx) }()
	defer ix.ObserveTraces(func(commit.NodeRef, *tree.Trace) {})()
	tr := commit.NodeRef{Repo: "r", Kind: commit.EntityTrace, ID: "t"}
	gen := commit.NodeRef{Repo: "r", Kind: commit.EntityGeneration, ID: "g"}
	base := []commit.Commit{
		mk(commit.EntityTrace, "t", commit.ActionCreate, `{"name":"x","startTimestamp":"2026-01-01T00:00:00Z"}`, 1),
		mk(commit.EntityTrace, "t", commit.ActionAddGeneration, `{"id":"g","model":"gpt-4o"}`, 2),
		mk(commit.EntityTrace, "t", commit.ActionEnd, `{"endTimestamp":"2026-01-01T00:00:01Z"}`, 3),
	}
	rng := rand.New(rand.NewPCG(1, 1))
	index := func(batch []commit.Commit) {
		t.Helper()
		if err := ix.Apply(ctx, batch, tree.EdgesOfAll(batch)); err != nil {
			t.Fatal(err)
		}
		if err := ix.Flush(ctx); err != nil {
			t.Fatal(err)
		}
	}
	index(base)
	index([]commit.Commit{verdictOn(rng, gen, 4)})
	if n := ix.patchedRows.Load(); n != 1 {
		t.Fatalf("a verdict on an indexed trace: %d rows patched, want 1", n)
	}
	if got := b.row("t"); got.Counts[string(commit.EntityGeneration)] != 1 {
		t.Fatalf("row before the delete: %+v", got)
	}
	if err := ix.Delete(ctx, []commit.NodeRef{gen}); err != nil {
		t.Fatal(err)
	}
	index([]commit.Commit{verdictOn(rng, tr, 5)})
	if n := ix.patchedRows.Load(); n != 1 {
		t.Fatalf("a verdict after Delete was patched (%d rows patched)", n)
	}
	full, err := tree.AssembleTrace(ctx, b.Backend, tr)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := b.row("t"), tree.SummarizeTrace(full); !reflect.DeepEqual(got, want) {
		t.Fatalf("row after the delete\n got %+v\nwant %+v", got, want)
	}
}

// TestObserverComingBackPatchesNothingStale: a trace summarized while an
// evaluator observed, changed while none did, then given a verdict once one
// observes again gets the row of its current state, not one patched from
// the base of before.
func TestObserverComingBackPatchesNothingStale(t *testing.T) {
	ctx := context.Background()
	b := &rowRecorder{Backend: memstore.New(), rows: map[string]store.TraceSummary{}}
	cfg := testConfig()
	cfg.PollInterval, cfg.Debounce = 1<<62, 1<<62
	ix, err := New(b, cfg, Settings{})
	if err != nil {
		t.Fatal(err)
	}
	if err := ix.Start(ctx); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = ix.Shutdown(ctx) }()
	index := func(batch ...commit.Commit) {
		t.Helper()
		if err := ix.Apply(ctx, batch, tree.EdgesOfAll(batch)); err != nil {
			t.Fatal(err)
		}
		if err := ix.Flush(ctx); err != nil {
			t.Fatal(err)
		}
	}
	tr := commit.NodeRef{Repo: "r", Kind: commit.EntityTrace, ID: "t"}
	rng := rand.New(rand.NewPCG(1, 3))
	stop := ix.ObserveTraces(func(commit.NodeRef, *tree.Trace) {})
	index(mk(commit.EntityTrace, "t", commit.ActionCreate, `{"name":"x","startTimestamp":"2026-01-01T00:00:00Z"}`, 1),
		mk(commit.EntityTrace, "t", commit.ActionAddGeneration, `{"id":"g","model":"gpt-4o"}`, 2),
		mk(commit.EntityTrace, "t", commit.ActionEnd, `{"endTimestamp":"2026-01-01T00:00:01Z"}`, 3))
	stop()
	// Another node than the one the verdict lands on changes meanwhile.
	index(mk(commit.EntityGeneration, "g", commit.ActionUpdate, `{"model":"gpt-4o-mini"}`, 4))
	defer ix.ObserveTraces(func(commit.NodeRef, *tree.Trace) {})()
	index(verdictOn(rng, tr, 5))
	full, err := tree.AssembleTrace(ctx, b.Backend, tr)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := b.row("t"), tree.SummarizeTrace(full); !reflect.DeepEqual(got, want) {
		t.Fatalf("row\n got %+v\nwant %+v", got, want)
	}
}

// TestNoPatchingWithoutAnObserver: without an online evaluator (a trace
// observer) the indexer keeps no bases and assembles every trace.
func TestNoPatchingWithoutAnObserver(t *testing.T) {
	ctx := context.Background()
	b := &rowRecorder{Backend: memstore.New(), rows: map[string]store.TraceSummary{}}
	cfg := testConfig()
	cfg.PollInterval, cfg.Debounce = 1<<62, 1<<62
	ix, err := New(b, cfg, Settings{})
	if err != nil {
		t.Fatal(err)
	}
	if err := ix.Start(ctx); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = ix.Shutdown(ctx) }()
	rng := rand.New(rand.NewPCG(1, 1))
	for _, batch := range [][]commit.Commit{{
		mk(commit.EntityTrace, "t", commit.ActionCreate, `{"name":"x","startTimestamp":"2026-01-01T00:00:00Z"}`, 1),
		mk(commit.EntityTrace, "t", commit.ActionEnd, `{"endTimestamp":"2026-01-01T00:00:01Z"}`, 2),
	}, {verdictOn(rng, commit.NodeRef{Repo: "r", Kind: commit.EntityTrace, ID: "t"}, 3)}} {
		if err := ix.Apply(ctx, batch, nil); err != nil {
			t.Fatal(err)
		}
		if err := ix.Flush(ctx); err != nil {
			t.Fatal(err)
		}
	}
	ix.bases.mu.Lock()
	held := len(ix.bases.m)
	ix.bases.mu.Unlock()
	if held != 0 || ix.patchedRows.Load() != 0 {
		t.Fatalf("without an observer: %d bases held, %d rows patched", held, ix.patchedRows.Load())
	}
}

func drain(ch <-chan store.Change) []store.Change {
	var out []store.Change
	for {
		select {
		case c, ok := <-ch:
			if !ok {
				return out
			}
			out = append(out, c)
		default:
			return out
		}
	}
}

// BenchmarkVerdictLanding measures what a pass costs per trace when each of
// 200 indexed traces (generated, 10–60 nodes) gains verdicts on three of
// its nodes: patched from the base, or (assemble) with the bases outdated
// before each pass, as every trace was indexed before.
func BenchmarkVerdictLanding(b *testing.B) {
	for _, mode := range []string{"patch", "assemble"} {
		b.Run(mode, func(b *testing.B) {
			ctx := context.Background()
			pcfg := pebblestore.DefaultConfig()
			pcfg.Directory = b.TempDir()
			pcfg.Sync = false
			st, err := pebblestore.Open(pcfg, nil)
			if err != nil {
				b.Fatal(err)
			}
			defer st.Close()
			cfg := testConfig()
			cfg.PollInterval, cfg.Debounce = time.Hour, time.Hour
			ix, err := New(st, cfg, Settings{})
			if err != nil {
				b.Fatal(err)
			}
			if err := ix.Start(ctx); err != nil {
				b.Fatal(err)
			}
			defer ix.Shutdown(ctx)
			defer ix.ObserveTraces(func(commit.NodeRef, *tree.Trace) {})()
			const traces = 200
			_, commits, _ := sharedSessionTraffic(1, traces, 20)
			if err := ix.Apply(ctx, commits, tree.EdgesOfAll(commits)); err != nil {
				b.Fatal(err)
			}
			if err := ix.Flush(ctx); err != nil {
				b.Fatal(err)
			}
			byTrace := map[string][]commit.NodeRef{}
			seen := map[commit.NodeRef]bool{}
			version := int64(0)
			for _, c := range commits {
				version = max(version, c.Version)
				r := c.Node()
				if seen[r] || r.Kind == commit.EntitySession {
					continue
				}
				seen[r] = true
				k := r.ID[strings.LastIndex(r.ID, "-c"):] // the case suffix names the trace
				byTrace[k] = append(byTrace[k], r)
			}
			rng := rand.New(rand.NewPCG(1, 2))
			b.ResetTimer()
			for b.Loop() {
				b.StopTimer()
				var batch []commit.Commit
				for _, nodes := range byTrace {
					for range 3 {
						version++
						batch = append(batch, verdictOn(rng, nodes[rng.IntN(len(nodes))], version))
					}
				}
				if err := ix.Apply(ctx, batch, nil); err != nil {
					b.Fatal(err)
				}
				if mode == "assemble" {
					ix.bases.outdate()
				}
				b.StartTimer()
				if err := ix.Flush(ctx); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(byTrace)), "ns/trace")
		})
	}
}
