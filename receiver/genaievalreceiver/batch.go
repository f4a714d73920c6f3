package genaievalreceiver

import (
	"context"
	"fmt"
	"sync"
	"time"

	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/pdata/plog"

	"github.com/otelcol-genai/otelcol-genai/pkg/commit"
)

// The verdicts of many evaluations are handed to the pipeline together:
// behind it the tracetree exporter makes each hand-off one store Apply
// (a synced write and an indexing pass), and one per verdict cost an
// ingest running beside the engine about as much as the ingest itself
// (BenchmarkIngest). A batch goes when it holds verdictBatchMax verdicts
// or verdictBatchEvery after its first one, whichever comes first, and at
// shutdown.
const (
	verdictBatchMax   = 512
	verdictBatchEvery = 100 * time.Millisecond
)

// batcher gathers verdict log records into one plog.Logs per hand-off.
// Each evaluation waits for its batch's outcome (hand): its verdict is
// stored, or it is redone like a failed hand-off. A verdict still in a
// batch is in no store: a crash loses it, and the follower, whose
// checkpoint never passes a ref with an evaluation in flight, evaluates
// it again after the restart (an LLM judge once its claim, never marked
// done, expires).
type batcher struct {
	next  consumer.Logs
	max   int
	every time.Duration

	// flushMu makes hand-offs one at a time: verdicts arriving meanwhile
	// join the next one, and a shutdown's flush comes after the one in
	// progress.
	flushMu sync.Mutex

	mu      sync.Mutex
	ld      plog.Logs
	recs    map[string]plog.LogRecordSlice // by repo (resource)
	n       int
	waiters []chan error
	timer   *time.Timer
}

func newBatcher(next consumer.Logs, maxVerdicts int, every time.Duration) *batcher {
	return &batcher{next: next, max: maxVerdicts, every: every}
}

// add puts the records of ld (made by verdictLogs) into the current batch
// and returns where the batch's outcome arrives. A batch that is full is
// handed on here, by its last contributor: an evaluation that fills a
// batch waits for the hand-off before it frees its slot, so a slow
// pipeline holds the engine back instead of an ever larger batch.
func (b *batcher) add(ctx context.Context, ld plog.Logs) <-chan error {
	done := make(chan error, 1)
	b.mu.Lock()
	if b.recs == nil {
		b.ld, b.recs = plog.NewLogs(), map[string]plog.LogRecordSlice{}
	}
	rls := ld.ResourceLogs()
	for i := 0; i < rls.Len(); i++ {
		rl := rls.At(i)
		repo, _ := rl.Resource().Attributes().Get(commit.AttrRepoID)
		for k := 0; k < rl.ScopeLogs().Len(); k++ {
			src := rl.ScopeLogs().At(k).LogRecords()
			dst, ok := b.recs[repo.Str()]
			if !ok {
				// verdictLogs' resource and scope (commit.LogsFromCommits:
				// one per repo, the same scope) carry over.
				nrl := b.ld.ResourceLogs().AppendEmpty()
				rl.Resource().CopyTo(nrl.Resource())
				nsl := nrl.ScopeLogs().AppendEmpty()
				rl.ScopeLogs().At(k).Scope().CopyTo(nsl.Scope())
				dst = nsl.LogRecords()
				b.recs[repo.Str()] = dst
			}
			b.n += src.Len()
			src.MoveAndAppendTo(dst)
		}
	}
	b.waiters = append(b.waiters, done)
	full := b.n >= b.max
	if !full && b.timer == nil {
		b.timer = time.AfterFunc(b.every, func() { _ = b.flush(ctx) })
	}
	b.mu.Unlock()
	if full {
		_ = b.flush(ctx)
	}
	return done
}

// flush hands the current batch on and tells each of its evaluations the
// outcome. With ctx done it hands nothing on (the batch waits for the
// shutdown's flush, which brings a context of its own).
func (b *batcher) flush(ctx context.Context) error {
	b.flushMu.Lock()
	defer b.flushMu.Unlock()
	b.mu.Lock()
	if b.timer != nil {
		b.timer.Stop()
		b.timer = nil // the next add arms one again
	}
	if err := ctx.Err(); err != nil {
		b.mu.Unlock()
		return err
	}
	ld, n, waiters := b.ld, b.n, b.waiters
	b.ld, b.recs, b.n, b.waiters = plog.Logs{}, nil, 0, nil
	b.mu.Unlock()
	if n == 0 {
		return nil
	}
	err := b.next.ConsumeLogs(ctx, ld)
	if err != nil {
		err = fmt.Errorf("hand %d verdicts to the pipeline: %w", n, err)
	}
	for _, w := range waiters {
		w <- err
	}
	return err
}

// pending is how many verdicts wait in the current batch (tests).
func (b *batcher) pending() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.n
}
