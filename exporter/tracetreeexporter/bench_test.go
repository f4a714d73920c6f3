package tracetreeexporter

import (
	"context"
	"fmt"
	"runtime"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/exporter/exportertest"
	"go.opentelemetry.io/collector/pdata/plog"

	"github.com/otelcol-genai/otelcol-genai/exporter/tracetreeexporter/internal/metadata"
	"github.com/otelcol-genai/otelcol-genai/internal/store"
	"github.com/otelcol-genai/otelcol-genai/internal/store/indexer"
	"github.com/otelcol-genai/otelcol-genai/internal/store/pebblestore"
	"github.com/otelcol-genai/otelcol-genai/pkg/commit"
)

// commitsPerTrace is what traceLines makes for one agent turn.
const commitsPerTrace = 10

var (
	prompt = strings.Repeat("Summarize the retrieved documents about order status. ", 8)
	answer = strings.Repeat("The order shipped on Monday and arrives Thursday. ", 6)
)

// traceLines is one realistic agent turn as the JS SDK sends it: a trace
// in a session, a span, a generation with messages and an OpenAI result, a
// tool call with its result, tags/metadata updates and the ends (≈ 4 KB).
func traceLines(sb *strings.Builder, tid string) {
	fmt.Fprintf(sb, `trace{id=%[1]s,action=create,data={"name":"support-chat","tags":{"env":"prod","tenant":"acme"},"startTimestamp":"2026-11-22T08:33:49.664Z","sessionId":"sess-%[1]s"}}`+"\n", tid)
	fmt.Fprintf(sb, `trace{id=%[1]s,action=update,data={"input":%[2]q}}`+"\n", tid, prompt)
	fmt.Fprintf(sb, `trace{id=%[1]s,action=add-span,data={"id":"%[1]s-sp","name":"answer","tags":{},"startTimestamp":"2026-11-22T08:33:49.700Z"}}`+"\n", tid)
	fmt.Fprintf(sb, `span{id=%[1]s-sp,action=add-generation,data={"id":"%[1]s-g","messages":[{"role":"system","content":"You are a helpful support agent."},{"role":"user","content":%[2]q}],"provider":"openai","model":"gpt-4o-mini","modelParameters":{"temperature":0.2,"max_tokens":512},"tags":{},"startTimestamp":"2026-11-22T08:33:49.710Z"}}`+"\n", tid, prompt)
	fmt.Fprintf(sb, `generation{id=%[1]s-g,action=result,data={"result":{"id":"chatcmpl-%[1]s","object":"chat.completion","created":1795330429,"model":"gpt-4o-mini","choices":[{"index":0,"message":{"role":"assistant","content":%[2]q},"logprobs":null,"finish_reason":"stop"}],"usage":{"prompt_tokens":412,"completion_tokens":96,"total_tokens":508}}}}`+"\n", tid, answer)
	fmt.Fprintf(sb, `generation{id=%[1]s-g,action=end,data={"endTimestamp":"2026-11-22T08:33:50.910Z"}}`+"\n", tid)
	fmt.Fprintf(sb, `span{id=%[1]s-sp,action=add-tool-call,data={"id":"%[1]s-tc","name":"lookup_order","description":"Find an order","args":"{\"orderId\":\"A-1001\"}","tags":{},"startTimestamp":"2026-11-22T08:33:50.920Z"}}`+"\n", tid)
	fmt.Fprintf(sb, `tool_call{id=%[1]s-tc,action=result,data={"result":"{\"status\":\"shipped\",\"eta\":\"Thursday\"}"}}`+"\n", tid)
	fmt.Fprintf(sb, `trace{id=%[1]s,action=update,data={"output":%[2]q}}`+"\n", tid, answer)
	fmt.Fprintf(sb, `trace{id=%[1]s,action=end,data={"endTimestamp":"2026-11-22T08:33:51.000Z"}}`+"\n", tid)
}

// makeBatch returns the logs of n traces (10 commits each), as the mxin
// receiver would emit them, and the trace ids.
func makeBatch(tb testing.TB, v *commit.Versioner, prefix string, n int) (plog.Logs, []string) {
	tb.Helper()
	var sb strings.Builder
	ids := make([]string, n)
	for i := range n {
		ids[i] = fmt.Sprintf("%s-%d", prefix, i)
		traceLines(&sb, ids[i])
	}
	cs, errs := commit.ParseBody("bench", []byte(sb.String()), v)
	require.Empty(tb, errs)
	require.Len(tb, cs, n*commitsPerTrace)
	return commit.LogsFromCommits(cs), ids
}

func openPebble(tb testing.TB, sync bool) *pebblestore.Store {
	tb.Helper()
	cfg := pebblestore.DefaultConfig()
	cfg.Directory = tb.TempDir()
	cfg.Sync = sync
	ps, err := pebblestore.Open(cfg, nil)
	require.NoError(tb, err)
	tb.Cleanup(func() { _ = ps.Close() })
	return ps
}

func benchExporter(tb testing.TB, st store.Backend) *storeExporter {
	tb.Helper()
	e, err := newStoreExporter(createDefaultConfig().(*Config), exportertest.NewNopSettings(metadata.Type))
	require.NoError(tb, err)
	e.store = st
	return e
}

// BenchmarkPushLogsPebble measures commits/s applied durably (Sync: every
// Apply waits for the WAL fsync) through the exporter's logs path into
// Pebble: decode of the records, edge derivation, Apply. One op is one
// batch of 8,190 commits (819 traces), about the batch processor's default
// send_batch_size of 8,192. "parallel" pushes from 2×GOMAXPROCS goroutines,
// like several receivers feeding one exporter without a queue (Pebble's
// group commit then shares one fsync between concurrent Applies).
func BenchmarkPushLogsPebble(b *testing.B) {
	const traces = 819
	for _, mode := range []string{"sequential", "parallel"} {
		b.Run(mode, func(b *testing.B) {
			e := benchExporter(b, openPebble(b, true))
			// Every batch is made before the timer starts (fresh trace ids
			// per batch: a reused batch would be a no-op duplicate), so
			// only the exporter's work is measured.
			v := commit.NewVersioner()
			batches := make(chan plog.Logs, b.N)
			for i := 0; i < b.N; i++ {
				ld, _ := makeBatch(b, v, fmt.Sprintf("t%d", i), traces)
				batches <- ld
			}
			close(batches)
			ctx := context.Background()
			var pushed atomic.Int64
			b.ReportAllocs()
			b.ResetTimer()
			start, cpu0 := time.Now(), cpuTime()
			if mode == "sequential" {
				for ld := range batches {
					if err := e.pushLogs(ctx, ld); err != nil {
						b.Fatal(err)
					}
					pushed.Add(int64(ld.LogRecordCount()))
				}
			} else {
				var wg sync.WaitGroup
				for range runtime.GOMAXPROCS(0) * 2 {
					wg.Add(1)
					go func() {
						defer wg.Done()
						for ld := range batches {
							if err := e.pushLogs(ctx, ld); err != nil {
								b.Error(err)
								return
							}
							pushed.Add(int64(ld.LogRecordCount()))
						}
					}()
				}
				wg.Wait()
			}
			elapsed, cpu := time.Since(start), cpuTime()-cpu0
			b.StopTimer()
			// commits per CPU-second (user+system of the whole process,
			// Pebble's background work included) does not depend on how
			// busy the shared machine is; 2 cores bound the wall-clock
			// rate at about twice this figure.
			b.ReportMetric(float64(pushed.Load())/cpu.Seconds(), "commits/cpu-s")
			b.ReportMetric(float64(pushed.Load())/elapsed.Seconds(), "commits/s")
			b.ReportMetric(float64(traces*commitsPerTrace), "commits/op")
		})
	}
}

// BenchmarkCommitToVisible measures, under a steady load, the time from
// ConsumeLogs (pushLogs) returning to the live feed announcing the trace.
// The indexer publishes a change only after it wrote the trace's summary
// row, so the same instant is when the trace shows in search. Load: one
// batch every 10 ms of 8, 16, 32 or 64 traces (8,000 / 16,000 / 32,000 / 64,000
// commits/s); one op is one batch.
func BenchmarkCommitToVisible(b *testing.B) {
	for _, perBatch := range []int{8, 16, 32, 64} {
		b.Run(fmt.Sprintf("commits_per_s=%d", perBatch*commitsPerTrace*100), func(b *testing.B) {
			benchCommitToVisible(b, perBatch)
		})
	}
}

func benchCommitToVisible(b *testing.B, perBatch int) {
	ps := openPebble(b, true)
	icfg := indexer.DefaultConfig()
	icfg.SubscriberBuffer = 1 << 16
	ix, err := indexer.New(ps, icfg, indexer.Settings{})
	require.NoError(b, err)
	require.NoError(b, ix.Start(context.Background()))
	b.Cleanup(func() { _ = ix.Shutdown(context.Background()) })
	e := benchExporter(b, ix)

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	changes, unsub := ix.Subscribe(ctx, "bench")
	defer unsub()

	var mu sync.Mutex
	pushed := map[string]time.Time{}
	seen := map[string]time.Time{}
	var resyncs atomic.Int64
	done := make(chan struct{})
	go func() {
		defer close(done)
		for ch := range changes {
			now := time.Now()
			if len(ch.Nodes) == 0 {
				resyncs.Add(1)
				continue
			}
			mu.Lock()
			for _, t := range ch.Traces {
				if _, ok := seen[t]; !ok {
					seen[t] = now
				}
			}
			mu.Unlock()
		}
	}()

	v := commit.NewVersioner()
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	b.ResetTimer()
	loadStart := time.Now()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		ld, ids := makeBatch(b, v, fmt.Sprintf("v%d", i), perBatch)
		<-tick.C
		b.StartTimer()
		if err := e.pushLogs(ctx, ld); err != nil {
			b.Fatal(err)
		}
		now := time.Now()
		mu.Lock()
		for _, id := range ids {
			pushed[id] = now
		}
		mu.Unlock()
	}
	b.StopTimer()
	// The offered rate is the target; on a busy machine the pushes
	// themselves may not keep up, so report what was really sent.
	b.ReportMetric(float64(b.N*perBatch*commitsPerTrace)/time.Since(loadStart).Seconds(), "sent-commits/s")
	deadline := time.Now().Add(10 * time.Second)
	for {
		mu.Lock()
		n := len(seen)
		mu.Unlock()
		if n >= len(pushed) || time.Now().After(deadline) {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	cancel()
	unsub()

	mu.Lock()
	defer mu.Unlock()
	lat := make([]float64, 0, len(pushed))
	missed := 0
	for id, p := range pushed {
		s, ok := seen[id]
		if !ok {
			missed++
			continue
		}
		lat = append(lat, max(0, float64(s.Sub(p))/float64(time.Millisecond)))
	}
	sort.Float64s(lat)
	if len(lat) > 0 {
		b.ReportMetric(lat[len(lat)/2], "p50-ms")
		b.ReportMetric(lat[min(len(lat)-1, len(lat)*99/100)], "p99-ms")
		b.ReportMetric(lat[len(lat)-1], "max-ms")
	}
	b.ReportMetric(float64(missed), "missed-traces")
	b.ReportMetric(float64(resyncs.Load()), "resyncs")
}

// cpuTime is the process's user+system CPU time so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
