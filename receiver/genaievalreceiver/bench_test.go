package genaievalreceiver

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.uber.org/zap"

	"github.com/otelcol-genai/otelcol-genai/internal/evaluate"
	"github.com/otelcol-genai/otelcol-genai/internal/store/indexer"
	"github.com/otelcol-genai/otelcol-genai/internal/store/memstore"
	"github.com/otelcol-genai/otelcol-genai/internal/store/pebblestore"
	"github.com/otelcol-genai/otelcol-genai/internal/tree"
	"github.com/otelcol-genai/otelcol-genai/pkg/commit"
	"github.com/otelcol-genai/otelcol-genai/receiver/genaievalreceiver/internal/metadata"
)

// BenchmarkIngest measures ingest (Apply of one SDK chat trace, 7 commits,
// to the indexed Pebble store, as the tracetree exporter does) with the
// evaluation engine off and on in the same process: on, it follows the
// live feed and runs pii (generations and traces) and latency (traces) on
// every trace as soon as it is quiet (quiet_period 0), writing its verdicts
// back into the same store.
func BenchmarkIngest(b *testing.B) {
	for _, on := range []bool{false, true} {
		name := "engine=off"
		if on {
			name = "engine=on"
		}
		b.Run(name, func(b *testing.B) { benchIngest(b, on) })
	}
}

func benchIngest(b *testing.B, engineOn bool) {
	pcfg := pebblestore.DefaultConfig()
	pcfg.Directory = b.TempDir()
	ps, err := pebblestore.Open(pcfg, nil)
	if err != nil {
		b.Fatal(err)
	}
	defer ps.Close()
	ix, err := indexer.New(ps, indexer.DefaultConfig(), indexer.Settings{})
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	if err := ix.Start(ctx); err != nil {
		b.Fatal(err)
	}
	defer ix.Shutdown(context.Background())
	var verdicts atomic.Int64
	var e *engine
	if engineOn {
		cfg := createDefaultConfig().(*Config)
		cfg.QuietPeriod = 0
		cfg.PollInterval = 20 * time.Millisecond
		cfg.Evaluators = []EvaluatorConfig{
			NewEvaluatorConfig(evaluate.Config{Name: "pii", Type: evaluate.TypePII}, 1, Filter{Kinds: []string{"generation", "trace"}}),
			NewEvaluatorConfig(evaluate.Config{Name: "latency", Type: evaluate.TypeLatency, MaxMs: 2000}, 1, Filter{Kinds: []string{"trace"}}),
		}
		evs, err := buildEvaluators(cfg, zap.NewNop(), ix)
		if err != nil {
			b.Fatal(err)
		}
		// The verdicts go back into the store, as through the tracetree
		// exporter.
		next, err := consumer.NewLogs(func(ctx context.Context, ld plog.Logs) error {
			cs, err := commit.CommitsFromLogs(ld)
			if err != nil {
				return err
			}
			verdicts.Add(int64(len(cs)))
			return ix.Apply(ctx, cs, tree.EdgesOfAll(cs))
		})
		if err != nil {
			b.Fatal(err)
		}
		tel, err := metadata.NewTelemetryBuilder(componenttest.NewNopTelemetrySettings())
		if err != nil {
			b.Fatal(err)
		}
		e = newEngine(cfg, ix, next, zap.NewNop(), tel, "genai_eval", "bench", evs)
		if err := e.fl.Start(ctx); err != nil {
			b.Fatal(err)
		}
		done := make(chan struct{})
		go func() { defer close(done); e.run(ctx, 20*time.Millisecond) }()
		defer func() { cancel(); <-done; e.wait() }()
	}
	v := commit.NewVersioner()
	b.ResetTimer()
	i := 0
	for b.Loop() {
		i++
		body := fmt.Sprintf(`trace{id=b-%d,action=create,data={"name":"support","startTimestamp":"2026-11-22T08:00:00.000Z"}}
trace{id=b-%d,action=add-generation,data={"id":"bg-%d","model":"gpt-4o-mini","messages":[{"role":"user","content":"How do I reach support?"}],"startTimestamp":"2026-11-22T08:00:00.100Z"}}
generation{id=bg-%d,action=result,data={"result":{"id":"c1","object":"chat.completion","created":1,"model":"gpt-4o-mini","choices":[{"index":0,"message":{"role":"assistant","content":"Write to jane.doe@example.com"},"finish_reason":"stop"}],"usage":{"prompt_tokens":12,"completion_tokens":7,"total_tokens":19}}}}
generation{id=bg-%d,action=end,data={"endTimestamp":"2026-11-22T08:00:01.100Z"}}
trace{id=b-%d,action=update,data={"output":"Write to jane.doe@example.com"}}
trace{id=b-%d,action=end,data={"endTimestamp":"2026-11-22T08:00:03.000Z"}}`, i, i, i, i, i, i, i)
		cs, errs := commit.ParseBody("repo-bench", []byte(body), v)
		if len(errs) > 0 {
			b.Fatal(errs)
		}
		if err := ix.Apply(ctx, cs, tree.EdgesOfAll(cs)); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	if e != nil {
		// Verdicts written while ingest ran (the engine trails behind).
		b.ReportMetric(float64(verdicts.Load())/float64(i), "verdicts/trace")
	}
}

// sleepy is a judge that takes d to answer, like a remote LLM.
type sleepy struct{ d time.Duration }

func (sleepy) Name() string { return "judge" }
func (s sleepy) Evaluate(ctx context.Context, _ evaluate.Subject) (evaluate.Result, error) {
	select {
	case <-time.After(s.d):
	case <-ctx.Done():
		return evaluate.Result{}, ctx.Err()
	}
	return evaluate.Result{Evaluator: "judge", Score: 1, Pass: true, Reason: "fine"}, nil
}

// BenchmarkJudgeThroughput measures how many traces per second the engine
// judges when the judge takes 20ms per call (a fast remote LLM) and
// concurrency is 4: the follower starts evaluations without waiting for
// them, so about concurrency/latency traces per second, not 1/latency.
func BenchmarkJudgeThroughput(b *testing.B) {
	st := memstoreIndexed(b)
	cfg := createDefaultConfig().(*Config)
	cfg.QuietPeriod = 0
	var judged atomic.Int64
	next, err := consumer.NewLogs(func(ctx context.Context, ld plog.Logs) error {
		cs, err := commit.CommitsFromLogs(ld)
		if err != nil {
			return err
		}
		judged.Add(int64(len(cs)))
		return st.Apply(ctx, cs, tree.EdgesOfAll(cs))
	})
	if err != nil {
		b.Fatal(err)
	}
	tel, err := metadata.NewTelemetryBuilder(componenttest.NewNopTelemetrySettings())
	if err != nil {
		b.Fatal(err)
	}
	evs := []*evaluator{{name: "judge", ev: sleepy{d: 20 * time.Millisecond}, rate: 1, remote: true,
		filter: Filter{Kinds: []string{"trace"}}}}
	e := newEngine(cfg, st, next, zap.NewNop(), tel, "genai_eval", "bench", evs)
	ctx, cancel := context.WithCancel(context.Background())
	if err := e.fl.Start(ctx); err != nil {
		b.Fatal(err)
	}
	done := make(chan struct{})
	go func() { defer close(done); e.run(ctx, 5*time.Millisecond) }()
	defer func() { cancel(); <-done; e.wait() }()
	v := commit.NewVersioner()
	n := 0
	start := time.Now()
	for b.Loop() {
		n++
		body := fmt.Sprintf(`trace{id=j-%d,action=create,data={"name":"t","startTimestamp":"2026-11-22T08:00:00.000Z"}}
trace{id=j-%d,action=end,data={"endTimestamp":"2026-11-22T08:00:01.000Z"}}`, n, n)
		cs, errs := commit.ParseBody("repo-bench", []byte(body), v)
		if len(errs) > 0 {
			b.Fatal(errs)
		}
		if err := st.Apply(ctx, cs, tree.EdgesOfAll(cs)); err != nil {
			b.Fatal(err)
		}
	}
	for judged.Load() < int64(n) {
		time.Sleep(time.Millisecond)
	}
	b.ReportMetric(float64(n)/time.Since(start).Seconds(), "traces/s")
}

// memstoreIndexed is an in-memory store behind the indexer (live changes).
func memstoreIndexed(b *testing.B) *indexer.Indexer {
	ix, err := indexer.New(memstore.New(), indexer.DefaultConfig(), indexer.Settings{})
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	b.Cleanup(cancel)
	if err := ix.Start(ctx); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = ix.Shutdown(context.Background()) })
	return ix
}
