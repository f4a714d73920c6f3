package indexer

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/otelcol-genai/otelcol-genai/internal/store/pebblestore"
	"github.com/otelcol-genai/otelcol-genai/internal/tree"
	"github.com/otelcol-genai/otelcol-genai/pkg/commit"
)

// BenchmarkCatchUp measures how fast the indexer turns applied commits into
// summary rows on Pebble: each op applies 100 SDK-shaped traces (6 commits
// each, 10 traces per session) straight to the backend, then indexes them
// with Flush, the same passes the background loop and restart catch-up run.
func BenchmarkCatchUp(b *testing.B) { benchCatchUp(b, 10) }

// BenchmarkCatchUpLongSession is BenchmarkCatchUp with every trace in one
// session, which grows by 100 traces per op: a pass's cost must not grow
// with the session (run it with a fixed -benchtime, e.g. 50x, to compare).
func BenchmarkCatchUpLongSession(b *testing.B) { benchCatchUp(b, 1<<62) }

func benchCatchUp(b *testing.B, tracesPerSession int) {
	pcfg := pebblestore.DefaultConfig()
	pcfg.Directory = b.TempDir()
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
	ctx := context.Background()
	if err := ix.Start(ctx); err != nil {
		b.Fatal(err)
	}
	defer ix.Shutdown(ctx)
	const perOp = 100
	v := time.Now().UnixNano()
	n := 0
	mk := func(e commit.Entity, id string, a commit.Action, data string) commit.Commit {
		v++
		c := commit.Commit{Repo: "repo-bench", Entity: e, EntityID: id, Action: a, Data: json.RawMessage(data), Version: v}
		c.Seal()
		return c
	}
	var indexTime time.Duration
	b.ResetTimer()
	for b.Loop() {
		var cs []commit.Commit
		for range perOp {
			n++
			tr, sp, g := fmt.Sprintf("tr-%d", n), fmt.Sprintf("sp-%d", n), fmt.Sprintf("g-%d", n)
			cs = append(cs,
				mk(commit.EntityTrace, tr, commit.ActionCreate, fmt.Sprintf(`{"name":"agent","sessionId":"sess-%d","tags":{"env":"prod"}}`, n/tracesPerSession)),
				mk(commit.EntityTrace, tr, commit.ActionAddSpan, fmt.Sprintf(`{"id":%q,"name":"plan"}`, sp)),
				mk(commit.EntitySpan, sp, commit.ActionAddGeneration, fmt.Sprintf(`{"id":%q,"model":"gpt-4o-mini","provider":"openai","messages":[{"role":"user","content":"hi"}]}`, g)),
				mk(commit.EntityGeneration, g, commit.ActionResult, `{"result":{"choices":[{"index":0,"message":{"role":"assistant","content":"hello"},"finish_reason":"stop"}],"usage":{"prompt_tokens":10,"completion_tokens":2,"total_tokens":12}}}`),
				mk(commit.EntitySpan, sp, commit.ActionEnd, `{"endTimestamp":"2026-11-22T12:00:01Z"}`),
				mk(commit.EntityTrace, tr, commit.ActionEnd, `{"endTimestamp":"2026-11-22T12:00:01Z"}`),
			)
		}
		if err := st.Apply(ctx, cs, tree.EdgesOfAll(cs)); err != nil {
			b.Fatal(err)
		}
		start := time.Now()
		if err := ix.Flush(ctx); err != nil {
			b.Fatal(err)
		}
		indexTime += time.Since(start)
	}
	b.ReportMetric(float64(b.N*perOp)/indexTime.Seconds(), "traces/s")
}

// BenchmarkWideTraceFairness measures the pathological write of issue 16:
// each op applies one trace of repository A with `children` spans in one
// Apply, then one small trace of repository B, and indexes both with Flush.
// It reports how long B waited for its summary row to reach the live feed
// (b-visible-ms) and the whole pass (flush-ms). The indexer's cost must grow
// with the change, and B must not wait for A's assembly.
func BenchmarkWideTraceFairness(b *testing.B) {
	for _, children := range []int{1_000, 10_000, 20_000} {
		b.Run(fmt.Sprintf("children=%d", children), func(b *testing.B) { benchWideTrace(b, children) })
	}
}

func benchWideTrace(b *testing.B, children int) {
	pcfg := pebblestore.DefaultConfig()
	pcfg.Directory = b.TempDir()
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
	ctx := context.Background()
	if err := ix.Start(ctx); err != nil {
		b.Fatal(err)
	}
	defer ix.Shutdown(ctx)
	feedB, cancel := ix.Subscribe(ctx, "repo-b")
	defer cancel()
	v := time.Now().UnixNano()
	mk := func(repo string, e commit.Entity, id string, a commit.Action, data string) commit.Commit {
		v++
		c := commit.Commit{Repo: repo, Entity: e, EntityID: id, Action: a, Data: json.RawMessage(data), Version: v}
		c.Seal()
		return c
	}
	var flushTime, waitB time.Duration
	n := 0
	for b.Loop() {
		n++
		wide := fmt.Sprintf("wide-%d", n)
		cs := []commit.Commit{mk("repo-a", commit.EntityTrace, wide, commit.ActionCreate, `{"name":"wide"}`)}
		for i := range children {
			cs = append(cs, mk("repo-a", commit.EntityTrace, wide, commit.ActionAddSpan, fmt.Sprintf(`{"id":"%s-s%d","name":"child"}`, wide, i)))
		}
		if err := st.Apply(ctx, cs, tree.EdgesOfAll(cs)); err != nil {
			b.Fatal(err)
		}
		small := mk("repo-b", commit.EntityTrace, fmt.Sprintf("small-%d", n), commit.ActionCreate, `{"name":"small"}`)
		if err := st.Apply(ctx, []commit.Commit{small}, nil); err != nil {
			b.Fatal(err)
		}
		start := time.Now()
		done := make(chan time.Duration, 1)
		go func() {
			for c := range feedB {
				if len(c.Traces) > 0 {
					done <- time.Since(start)
					return
				}
			}
		}()
		if err := ix.Flush(ctx); err != nil {
			b.Fatal(err)
		}
		flushTime += time.Since(start)
		waitB += <-done
	}
	b.ReportMetric(float64(flushTime.Milliseconds())/float64(b.N), "flush-ms")
	b.ReportMetric(float64(waitB.Milliseconds())/float64(b.N), "b-visible-ms")
}
