package pebblestore

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/cockroachdb/pebble/v2/vfs"

	"github.com/otelcol-genai/otelcol-genai/internal/store"
	"github.com/otelcol-genai/otelcol-genai/internal/store/storetest"
	"github.com/otelcol-genai/otelcol-genai/internal/tree"
	"github.com/otelcol-genai/otelcol-genai/pkg/commit"
)

// benchBatchSize is what one exporter push carries (a batch processor's
// batch cut into Apply calls).
const benchBatchSize = 500

// sdkLikeBatches makes n batches of SDK-shaped commits of about 300 bytes:
// per trace a create, add-span, span create, add-generation, generation
// create and result, each on a new node, like agent traffic.
func sdkLikeBatches(n int, prefix string) ([][]commit.Commit, [][]store.Edge, float64) {
	version := time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC).UnixNano()
	pad := `"padding":"` + string(make([]byte, 0)) + `lorem ipsum dolor sit amet consectetur adipiscing elit sed do eiusmod tempor incididunt"`
	var batches [][]commit.Commit
	var edges [][]store.Edge
	var cur []commit.Commit
	var bytes, count int
	add := func(e commit.Entity, id string, a commit.Action, data string) {
		version++
		c := commit.Commit{Repo: "repo-bench", Entity: e, EntityID: id, Action: a, Data: json.RawMessage(data), Version: version}
		c.Seal()
		bytes += len(c.Data) + len(c.EntityID) + len(c.Action) + len(c.Entity) + len(c.Repo) + 24
		count++
		cur = append(cur, c)
		if len(cur) == benchBatchSize {
			batches = append(batches, cur)
			edges = append(edges, tree.EdgesOfAll(cur))
			cur = nil
		}
	}
	for t := 0; len(batches) < n; t++ {
		tr := fmt.Sprintf("%s-trace-%08d", prefix, t)
		sp := tr + "-span"
		g := tr + "-gen"
		add(commit.EntityTrace, tr, commit.ActionCreate, fmt.Sprintf(`{"id":%q,"name":"checkout-agent","sessionId":"%s-sess-%d","tags":{"env":"prod","user":"u-%d"},"startTimestamp":"2026-11-22T12:00:00.000Z",%s}`, tr, prefix, t/10, t%1000, pad))
		add(commit.EntityTrace, tr, commit.ActionAddSpan, fmt.Sprintf(`{"id":%q,"name":"plan-step","tags":{"step":"plan"},"startTimestamp":"2026-11-22T12:00:00.010Z",%s}`, sp, pad))
		add(commit.EntitySpan, sp, commit.ActionAddGeneration, fmt.Sprintf(`{"id":%q,"provider":"openai","model":"gpt-4o-mini","modelParameters":{"temperature":0.2},"messages":[{"role":"user","content":"What is the weather in Paris today?"}],%s}`, g, pad))
		add(commit.EntityGeneration, g, commit.ActionResult, fmt.Sprintf(`{"result":{"id":"chatcmpl-%d","object":"chat.completion","model":"gpt-4o-mini","choices":[{"index":0,"message":{"role":"assistant","content":"Sunny, 21 degrees."},"finish_reason":"stop"}],"usage":{"prompt_tokens":31,"completion_tokens":9,"total_tokens":40}}}`, t))
		add(commit.EntitySpan, sp, commit.ActionEnd, `{"endTimestamp":"2026-11-22T12:00:01.250Z"}`)
		add(commit.EntityTrace, tr, commit.ActionEnd, `{"endTimestamp":"2026-11-22T12:00:01.300Z","output":"Sunny, 21 degrees in Paris."}`)
	}
	return batches[:n], edges[:n], float64(bytes) / float64(count)
}

// BenchmarkApply measures durable (fsync) Apply throughput with 1, 4 and
// 16 concurrent appliers; with more appliers Pebble's group commit shares
// one WAL fsync among the batches committed together. One op is one
// 500-commit batch.
func BenchmarkApply(b *testing.B) {
	for _, appliers := range []int{1, 4, 16} {
		b.Run(fmt.Sprintf("appliers=%d", appliers), func(b *testing.B) {
			cfg := DefaultConfig()
			cfg.Directory = b.TempDir()
			var syncs atomic.Int64
			s, err := open(cfg, nil, walSyncFS{FS: vfs.Default, syncs: &syncs})
			if err != nil {
				b.Fatal(err)
			}
			defer s.Close()
			batches, edges, avg := sdkLikeBatches(b.N, fmt.Sprintf("a%d-n%d", appliers, b.N))
			ctx := context.Background()
			b.ReportAllocs()
			b.ResetTimer()
			cpu := cpuTime()
			syncs0 := syncs.Load()
			start := time.Now()
			var wg sync.WaitGroup
			for w := range appliers {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for i := w; i < len(batches); i += appliers {
						if err := s.Apply(ctx, batches[i], edges[i]); err != nil {
							b.Error(err)
							return
						}
					}
				}()
			}
			wg.Wait()
			elapsed := time.Since(start)
			b.StopTimer()
			reportCPU(b, cpu)
			b.ReportMetric(float64(syncs.Load()-syncs0)/float64(b.N), "walsyncs/op")
			b.ReportMetric(float64(b.N*benchBatchSize)/elapsed.Seconds(), "commits/s")
			b.ReportMetric(avg, "bytes/commit")
		})
	}
}

func openBench(b *testing.B, dir string, sync bool) *Store {
	b.Helper()
	cfg := DefaultConfig()
	cfg.Directory = dir
	cfg.Sync = sync
	s, err := Open(cfg, nil)
	if err != nil {
		b.Fatal(err)
	}
	return s
}

// BenchmarkAssembleTrace10k reads a 10,101-node trace (100 spans × 100
// generations, each node with a create commit and its parent's add-*
// commit) through tree.AssembleTrace: the query path for a huge agent run.
func BenchmarkAssembleTrace10k(b *testing.B) {
	s := openBench(b, b.TempDir(), false)
	defer s.Close()
	ctx := context.Background()
	cs := storetest.WideTrace("r", "big", 100, 100)
	for i := 0; i < len(cs); i += benchBatchSize {
		batch := cs[i:min(i+benchBatchSize, len(cs))]
		if err := s.Apply(ctx, batch, tree.EdgesOfAll(batch)); err != nil {
			b.Fatal(err)
		}
	}
	// Measure from sstables, as after a restart, not from the memtable.
	if err := s.db.Flush(); err != nil {
		b.Fatal(err)
	}
	ref := commit.NodeRef{Repo: "r", Kind: commit.EntityTrace, ID: "big"}
	b.Run("assemble", func(b *testing.B) {
		var nodes int
		b.ReportAllocs()
		cpu := cpuTime()
		for b.Loop() {
			t, err := tree.AssembleTrace(ctx, s, ref)
			if err != nil {
				b.Fatal(err)
			}
			nodes = 0
			tree.Walk(t.Root, func(*tree.TreeNode) { nodes++ })
		}
		reportCPU(b, cpu)
		if nodes != 1+100+100*100 {
			b.Fatalf("assembled %d nodes", nodes)
		}
		b.ReportMetric(float64(nodes), "nodes")
		b.ReportMetric(float64(len(cs)), "commits")
	})
	// The store's share of the read: the same level-by-level Children and
	// Commits calls AssembleTrace makes, without the fold.
	b.Run("store_reads_only", func(b *testing.B) {
		var nodes, commits int
		b.ReportAllocs()
		cpu := cpuTime()
		for b.Loop() {
			nodes, commits = 0, 0
			level := []commit.NodeRef{ref}
			for len(level) > 0 {
				got, err := s.Commits(ctx, level)
				if err != nil {
					b.Fatal(err)
				}
				kids, err := s.Children(ctx, level)
				if err != nil {
					b.Fatal(err)
				}
				var next []commit.NodeRef
				for _, r := range level {
					nodes++
					commits += len(got[r])
					next = append(next, kids[r]...)
				}
				level = next
			}
		}
		reportCPU(b, cpu)
		if nodes != 1+100+100*100 || commits != len(cs) {
			b.Fatalf("read %d nodes, %d commits", nodes, commits)
		}
		b.ReportMetric(float64(nodes), "nodes")
	})
}

// cpuTime is the process's user+system CPU time. The benchmark machine is
// shared, so wall time per op swings with load; CPU per op does not (it
// includes Pebble's background work and GC, so it over-counts a little).
func cpuTime() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func reportCPU(b *testing.B, start time.Duration) {
	b.ReportMetric(float64(cpuTime()-start)/float64(time.Millisecond)/float64(b.N), "cpu-ms/op")
}

// The 1,000,000-trace search dataset is built once per test binary run
// (summaries written directly, not through the indexer) and removed at exit.
const searchTraces = 1_000_000

var (
	searchOnce  sync.Once
	searchStore *Store
	searchDir   string
	searchErr   error
	searchBase  = time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC)
)

func searchRow(i int) store.TraceSummary {
	repo := "repo-a"
	if i%10 == 0 {
		repo = "repo-b"
	}
	start := searchBase.Add(time.Duration(i) * 2 * time.Second) // ~23 days
	models := []string{[]string{"gpt-4o", "gpt-4o-mini", "claude-sonnet-4", "gemini-2.5-pro", "llama-3.3"}[i%5]}
	dur := float64(200 + (i*7919)%20000)
	return store.TraceSummary{
		Repo:         repo,
		TraceID:      fmt.Sprintf("trace-%08d", i),
		Name:         fmt.Sprintf("agent-%02d", i%20),
		SessionID:    fmt.Sprintf("sess-%06d", i/10),
		Start:        start,
		End:          start.Add(time.Duration(dur) * time.Millisecond),
		DurationMs:   dur,
		InputTokens:  int64(100 + i%900),
		OutputTokens: int64(20 + i%200),
		TotalTokens:  int64(120 + i%900 + i%200),
		Cost:         float64(i%1000) / 1e5,
		Counts:       map[string]int{"span": 3, "generation": 2, "tool_call": 1},
		Error:        i%50 == 7,
		Tags:         map[string]string{"env": []string{"prod", "staging", "dev"}[i%3], "user": fmt.Sprintf("u-%04d", i%5000)},
		Models:       models,
		LastActivity: start.Add(time.Duration(dur) * time.Millisecond),
		Revision:     1,
	}
}

func searchDataset(b *testing.B) *Store {
	searchOnce.Do(func() {
		searchDir, searchErr = os.MkdirTemp("", "pebblestore-search-bench-")
		if searchErr != nil {
			return
		}
		cfg := DefaultConfig()
		cfg.Directory = filepath.Join(searchDir, "db")
		cfg.Sync = false
		cfg.CacheSizeMiB = 256
		if searchStore, searchErr = Open(cfg, nil); searchErr != nil {
			return
		}
		ctx := context.Background()
		start := time.Now()
		rows := make([]store.TraceSummary, 0, 5000)
		for i := range searchTraces {
			rows = append(rows, searchRow(i))
			if len(rows) == cap(rows) {
				if searchErr = searchStore.PutTraceSummaries(ctx, rows); searchErr != nil {
					return
				}
				rows = rows[:0]
			}
		}
		if searchErr = searchStore.PutTraceSummaries(ctx, rows); searchErr != nil {
			return
		}
		searchErr = searchStore.db.Flush()
		fmt.Fprintf(os.Stderr, "search dataset: %d traces written in %s\n", searchTraces, time.Since(start).Round(time.Second))
	})
	if searchErr != nil {
		b.Fatal(searchErr)
	}
	return searchStore
}

func TestMain(m *testing.M) {
	code := m.Run()
	if searchStore != nil {
		_ = searchStore.Close()
	}
	if searchDir != "" {
		_ = os.RemoveAll(searchDir)
	}
	os.Exit(code)
}

// BenchmarkSearch1M pages through 1,000,000 stored trace summaries with the
// filters the UI offers. One op is one page of 50.
func BenchmarkSearch1M(b *testing.B) {
	mid := searchBase.Add(searchTraces * time.Second) // the middle of the data
	queries := []struct {
		name string
		q    store.TraceQuery
	}{
		{"repo_newest", store.TraceQuery{Repo: "repo-a"}},
		{"repo_time_window", store.TraceQuery{Repo: "repo-a", From: mid.Add(-time.Hour), To: mid}},
		{"session", store.TraceQuery{Repo: "repo-a", SessionID: "sess-050001"}},
		{"name", store.TraceQuery{Repo: "repo-a", Name: "agent-07"}},
		{"name_time_window", store.TraceQuery{Repo: "repo-a", Name: "agent-07", From: mid.Add(-24 * time.Hour), To: mid}},
		{"tag", store.TraceQuery{Repo: "repo-a", Tags: map[string]string{"user": "u-0421"}}},
		{"model_error", store.TraceQuery{Repo: "repo-a", Model: "claude-sonnet-4", ErrorOnly: true}},
		{"error", store.TraceQuery{Repo: "repo-a", ErrorOnly: true}},
		{"tag_env_min_duration", store.TraceQuery{Repo: "repo-a", Tags: map[string]string{"env": "prod"}, MinDuration: 15 * time.Second}},
		{"all_repos", store.TraceQuery{}},
	}
	runSearch(b, queries)
}

// BenchmarkSearch1MNoMatch is the worst case of the index design: a query
// whose chosen index (name, 45,000 entries in repo-a) holds no row matching
// its other filter (model), so the whole index range is read, one row
// lookup per entry, to return an empty page.
func BenchmarkSearch1MNoMatch(b *testing.B) {
	runSearch(b, []struct {
		name string
		q    store.TraceQuery
	}{{"name_model", store.TraceQuery{Repo: "repo-a", Name: "agent-07", Model: "gpt-4o"}}})
}

func runSearch(b *testing.B, queries []struct {
	name string
	q    store.TraceQuery
}) {
	for _, tc := range queries {
		b.Run(tc.name, func(b *testing.B) {
			s := searchDataset(b)
			ctx := context.Background()
			q := tc.q
			q.Limit = 50
			var rows int
			b.ReportAllocs()
			cpu := cpuTime()
			for b.Loop() {
				p, err := s.SearchTraces(ctx, q)
				if err != nil {
					b.Fatal(err)
				}
				rows = len(p.Traces)
			}
			reportCPU(b, cpu)
			if rows == 0 && tc.name != "name_model" {
				b.Fatalf("%s: empty page", tc.name)
			}
			b.ReportMetric(float64(rows), "rows/page")
		})
	}
}

// BenchmarkLargeNode reads one node of ~1.2 MB (2,000 commits of ~600
// bytes, each written by its own Apply, so Pebble holds 2,000 merge
// operands until compaction): the cost of keeping a node's commit set in
// one merged value rather than one key per commit.
func BenchmarkLargeNode(b *testing.B) {
	s := openBench(b, b.TempDir(), false)
	defer s.Close()
	ctx := context.Background()
	ref := commit.NodeRef{Repo: "r", Kind: commit.EntityGeneration, ID: "streaming"}
	body := fmt.Sprintf(`{"delta":%q}`, string(make([]byte, 560)))
	total := 0
	for i := range 2000 {
		c := commit.Commit{Repo: ref.Repo, Entity: ref.Kind, EntityID: ref.ID, Action: commit.ActionUpdate,
			Data: json.RawMessage(fmt.Sprintf(`{"seq":%d,"chunk":%s}`, i, body)), Version: int64(i + 1)}
		c.Seal()
		total += len(c.Data)
		if err := s.Apply(ctx, []commit.Commit{c}, nil); err != nil {
			b.Fatal(err)
		}
	}
	read := func(b *testing.B) {
		b.SetBytes(int64(total))
		b.ReportAllocs()
		for b.Loop() {
			got, err := s.Commits(ctx, []commit.NodeRef{ref})
			if err != nil {
				b.Fatal(err)
			}
			if len(got[ref]) != 2000 {
				b.Fatalf("%d commits", len(got[ref]))
			}
		}
	}
	b.Run("operands=2000", read)
	if err := s.db.Compact(ctx, []byte{pNode}, []byte{pNode + 1}, true); err != nil {
		b.Fatal(err)
	}
	b.Run("compacted", read)
}

// BenchmarkStats1MTraces builds the stats dataset (storetest; size
// STATS_BENCH_TRACES, default 1M traces / 3M generations over 30 days)
// and times 30 days of 1-hour buckets grouped by model (hourly rollups).
//
// STATS_BENCH_DIR keeps the database there, to time the query again
// without rebuilding.
func BenchmarkStats1MTraces(b *testing.B) {
	dir := os.Getenv("STATS_BENCH_DIR")
	if dir == "" {
		dir = b.TempDir()
	}
	s := openTest(b, dir)
	b.Cleanup(func() { _ = s.Close() })
	storetest.BuildStatsDataset(b, s, storetest.StatsBenchTraces(), 1000)
	storetest.BenchStatsQuery(b, s)
}

// BenchmarkPutTraceSummariesReplace is the indexer writing rows for traces
// it indexed before (a verdict landing, a late commit): each op replaces
// 200 rows with 6 tags, 2 models, 5 generations and 1-4 verdicts each,
// as one PutTraceSummaries. Most index keys stay; the row, its projection
// in every entry and its stats record change.
func BenchmarkPutTraceSummariesReplace(b *testing.B) {
	ctx := context.Background()
	cfg := DefaultConfig()
	cfg.Directory = b.TempDir()
	cfg.Sync = false
	s, err := Open(cfg, nil)
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	start := time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC)
	rows := make([]store.TraceSummary, 200)
	for i := range rows {
		r := store.TraceSummary{Repo: "repo-bench", TraceID: fmt.Sprintf("trace-%04d", i), Name: "checkout-agent",
			SessionID: fmt.Sprintf("sess-%d", i/10), Start: start.Add(time.Duration(i) * time.Second), End: start.Add(time.Duration(i)*time.Second + 3*time.Second),
			DurationMs: 3000, InputTokens: 310, OutputTokens: 90, TotalTokens: 400, Cost: 0.0012,
			Counts: map[string]int{"trace": 1, "span": 2, "generation": 5}, Models: []string{"gpt-4o", "gpt-4o-mini"},
			Tags:         map[string]string{"env": "prod", "team": "checkout", "user": fmt.Sprintf("u-%d", i), "region": "eu", "tier": "paid", "app": "web"},
			LastActivity: start.Add(time.Duration(i)*time.Second + 3*time.Second), Revision: 1}
		for g := range 5 {
			r.Generations = append(r.Generations, store.GenerationRow{ID: fmt.Sprintf("%s-g%d", r.TraceID, g), Start: r.Start, Model: "gpt-4o-mini",
				Generation: true, Leaf: true, InputTokens: 62, OutputTokens: 18, Cost: 0.00024, DurationMs: 600})
		}
		rows[i] = r
	}
	if err := s.PutTraceSummaries(ctx, rows); err != nil {
		b.Fatal(err)
	}
	evaluators := []string{"pii", "latency", "relevance", "faithfulness"}
	for n := 0; b.Loop(); n++ {
		for i := range rows {
			r := &rows[i]
			r.Revision++
			r.LastActivity = r.LastActivity.Add(time.Second)
			r.EvalRows = nil
			for e := range 1 + n%len(evaluators) {
				r.EvalRows = append(r.EvalRows, store.EvalRow{Evaluator: evaluators[e], NodeID: r.Generations[e].ID,
					Time: r.LastActivity, Score: 1, HasScore: true, Pass: true, HasPass: true})
			}
			r.Evaluations = store.Verdicts(r.EvalRows)
		}
		if err := s.PutTraceSummaries(ctx, rows); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(rows)), "ns/row")
}
