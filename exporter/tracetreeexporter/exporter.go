package tracetreeexporter

import (
	"context"
	"errors"
	"fmt"
	"time"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/consumer/consumererror"
	"go.opentelemetry.io/collector/exporter"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.opentelemetry.io/otel/metric"
	"go.uber.org/zap"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/otelcol-genai/otelcol-genai/exporter/tracetreeexporter/internal/metadata"
	"github.com/otelcol-genai/otelcol-genai/extension/tracetreestore"
	"github.com/otelcol-genai/otelcol-genai/internal/store"
	"github.com/otelcol-genai/otelcol-genai/internal/tree"
	"github.com/otelcol-genai/otelcol-genai/pkg/commit"
	"github.com/otelcol-genai/otelcol-genai/pkg/spancommit"
)

// storeExporter turns a batch into commits plus the edges they imply and
// applies them to the store in one call.
type storeExporter struct {
	cfg       *Config
	logger    *zap.Logger
	telemetry *metadata.TelemetryBuilder
	// versioner stamps commits made from spans; SDK commits arriving on
	// the logs signal already carry the version the receiver gave them.
	versioner *commit.Versioner

	store store.Backend
}

func newStoreExporter(cfg *Config, set exporter.Settings) (*storeExporter, error) {
	tb, err := metadata.NewTelemetryBuilder(set.TelemetrySettings)
	if err != nil {
		return nil, fmt.Errorf("tracetree exporter telemetry: %w", err)
	}
	return &storeExporter{
		cfg:       cfg,
		logger:    set.Logger,
		telemetry: tb,
		versioner: commit.NewVersioner(),
	}, nil
}

// start finds the store extension by name, the way Jaeger's storage
// exporter finds jaeger_storage: the store's lifetime belongs to the
// extension, the exporter only borrows it.
func (e *storeExporter) start(_ context.Context, host component.Host) error {
	st, err := getStore(host, e.cfg.Store, e.cfg.Backend)
	if err != nil {
		return fmt.Errorf("tracetree exporter: store %q backend %q: %w", e.cfg.Store, e.cfg.Backend, err)
	}
	e.store = st
	if e.cfg.QueueConfig.HasValue() && e.cfg.QueueConfig.Get().StorageID == nil {
		// An in-memory queue acknowledges before the store has the data:
		// a crash loses what is queued although the sender got a 200.
		e.logger.Warn("tracetree exporter: sending_queue without storage acknowledges commits before they are durable; " +
			"set sending_queue.storage (file_storage) or disable the queue to keep the durability contract")
	}
	return nil
}

// getStore is the single place that knows the store extension's lookup API.
func getStore(host component.Host, id component.ID, backend string) (store.Backend, error) {
	return tracetreestore.GetStore(host, id, backend)
}

func (*storeExporter) shutdown(context.Context) error { return nil }

// pushLogs writes the commits carried by log records (one record per commit).
// CommitsFromLogs keeps decoding past a bad record, so one malformed record
// never takes the good commits of its batch with it.
func (e *storeExporter) pushLogs(ctx context.Context, ld plog.Logs) error {
	commits, err := commit.CommitsFromLogs(ld)
	return e.apply(ctx, commits, countErrors(err), err)
}

// countErrors counts the per-record errors errors.Join put together.
func countErrors(err error) int {
	if err == nil {
		return 0
	}
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		return len(j.Unwrap())
	}
	return 1
}

// pushTraces turns normalized spans into commits on the same entities an
// SDK would write, so both kinds of traffic end up as one kind of tree.
func (e *storeExporter) pushTraces(ctx context.Context, td ptrace.Traces) error {
	commits, err := spancommit.FromTraces(td, e.versioner)
	if err != nil {
		e.telemetry.TracetreeCommitsFailed.Add(ctx, int64(td.SpanCount()), metric.WithAttributes(metadata.ReasonMalformed))
		e.logger.Warn("dropping spans that cannot be turned into commits", zap.Int("spans", td.SpanCount()), zap.Error(err))
		return consumererror.NewPermanent(fmt.Errorf("spans to commits: %w", err))
	}
	return e.apply(ctx, commits, 0, nil)
}

// apply writes the good commits with their edges. bad counts records that
// could not be decoded; decodeErr joins their errors.
func (e *storeExporter) apply(ctx context.Context, commits []commit.Commit, bad int, decodeErr error) error {
	if e.store == nil {
		return errors.New("tracetree exporter not started")
	}
	// A commit naming a node by an id no reader could use is dropped like
	// a malformed record, whatever path brought it (tree.CheckIDs).
	commits, edges, idErr := tree.Admit(commits)
	if idErr != nil {
		bad += countErrors(idErr)
		decodeErr = errors.Join(decodeErr, idErr)
	}
	if len(commits) > 0 {
		start := time.Now()
		err := e.store.Apply(ctx, commits, edges)
		e.telemetry.TracetreeApplyDuration.Record(ctx, time.Since(start).Seconds())
		if err != nil {
			// Retryable: Apply is idempotent, so the exporterhelper retry
			// (or the client's resend) may safely write the batch again.
			e.telemetry.TracetreeCommitsFailed.Add(ctx, int64(len(commits)), metric.WithAttributes(metadata.ReasonStore))
			return fmt.Errorf("store apply of %d commits: %w", len(commits), err)
		}
		e.telemetry.TracetreeCommitsWritten.Add(ctx, int64(len(commits)))
	}
	if bad > 0 {
		e.telemetry.TracetreeCommitsFailed.Add(ctx, int64(bad), metric.WithAttributes(metadata.ReasonMalformed))
		e.logger.Warn("dropped malformed commit records", zap.Int("malformed", bad), zap.Int("written", len(commits)), zap.Error(decodeErr))
		// InvalidArgument: the records are the client's input, so the
		// receivers answer 400 (the otlp receiver maps a bare permanent
		// error to 500, which clients resend forever). The good commits
		// of the request are stored.
		return consumererror.NewPermanent(status.Error(codes.InvalidArgument, fmt.Sprintf("%d malformed commit records (the others were stored): %v", bad, decodeErr)))
	}
	return nil
}
