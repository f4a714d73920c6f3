package tracetreestore

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"sync"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/extension"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	"go.uber.org/zap"

	"github.com/otelcol-genai/otelcol-genai/extension/tracetreestore/internal/metadata"
	"github.com/otelcol-genai/otelcol-genai/internal/pricing"
	"github.com/otelcol-genai/otelcol-genai/internal/store"
	"github.com/otelcol-genai/otelcol-genai/internal/store/indexer"
	"github.com/otelcol-genai/otelcol-genai/internal/store/pebblestore"
	"github.com/otelcol-genai/otelcol-genai/internal/store/pgstore"
)

// StoreProvider is what GetStore looks for on the host's extensions.
type StoreProvider interface {
	// Store returns the named backend ("" = the default) wrapped with the
	// indexer and live feed.
	Store(backend string) (store.Store, error)
}

// storeExtension is the tracetree_store extension.
type storeExtension struct {
	cfg    *Config
	logger *zap.Logger
	tel    *metadata.TelemetryBuilder
	tset   component.TelemetrySettings

	mu      sync.Mutex
	stores  map[string]*indexer.Indexer
	defName string
	// regs are the backends' own instrument registrations (pgstore's pool
	// and retry metrics), undone at Shutdown.
	regs []metric.Registration
}

var (
	_ extension.Extension = (*storeExtension)(nil)
	_ StoreProvider       = (*storeExtension)(nil)
)

func newExtension(cfg *Config, set extension.Settings) (*storeExtension, error) {
	tel, err := metadata.NewTelemetryBuilder(set.TelemetrySettings)
	if err != nil {
		return nil, fmt.Errorf("tracetree_store: telemetry: %w", err)
	}
	return &storeExtension{cfg: cfg, logger: set.Logger, tel: tel, tset: set.TelemetrySettings}, nil
}

// Start opens every backend and starts its indexer before the pipelines
// start (the collector starts extensions first), so the exporter's first
// write and the query's first read find an open store. The indexer catches
// up from its checkpoint in the background: ingest and tree reads work at
// once, search rows lag until it is done (indexLagMs in search answers).
func (e *storeExtension) Start(ctx context.Context, _ component.Host) error {
	def, err := e.cfg.defaultName()
	if err != nil {
		return err
	}
	names := make([]string, 0, len(e.cfg.Backends))
	for name := range e.cfg.Backends {
		names = append(names, name)
	}
	sort.Strings(names)
	prices, err := e.cfg.Pricing.table()
	if err != nil {
		return fmt.Errorf("tracetree_store: %w", err)
	}
	opened := map[string]*indexer.Indexer{}
	var regs []metric.Registration
	for _, name := range names {
		ix, reg, err := e.open(ctx, name, e.cfg.Backends[name], prices)
		if err != nil {
			unregister(regs)
			for _, o := range opened {
				_ = o.Close()
			}
			return fmt.Errorf("tracetree_store: backend %q: %w", name, err)
		}
		opened[name] = ix
		if reg != nil {
			regs = append(regs, reg)
		}
	}
	e.mu.Lock()
	e.stores, e.defName, e.regs = opened, def, regs
	e.mu.Unlock()
	return nil
}

func unregister(regs []metric.Registration) {
	for _, r := range regs {
		_ = r.Unregister()
	}
}

// open opens one backend and starts its indexer. reg, when not nil, is the
// backend's own instrument registration (PostgreSQL: pool and retries).
func (e *storeExtension) open(ctx context.Context, name string, bc BackendConfig, prices *pricing.Table) (_ *indexer.Indexer, reg metric.Registration, err error) {
	logger := e.logger.With(zap.String("backend", name))
	var b store.Backend
	switch {
	case bc.Pebble != nil:
		s, err := pebblestore.Open(*bc.Pebble, logger)
		if err != nil {
			return nil, nil, err
		}
		b = s
		logger.Info("Opened Pebble trace store", zap.String("directory", bc.Pebble.Directory), zap.Bool("sync", bc.Pebble.Sync))
	case bc.Postgres != nil:
		s, err := pgstore.New(ctx, *bc.Postgres, logger)
		if err != nil {
			return nil, nil, err
		}
		// The documented otelcol_tracetree_store_pg_* metrics, on the
		// extension's meter from the collector's TelemetrySettings.
		if reg, err = s.RegisterMetrics(metadata.Meter(e.tset)); err != nil {
			_ = s.Close()
			return nil, nil, err
		}
		b = s
		logger.Info("Connected PostgreSQL trace store", zap.String("schema", bc.Postgres.Schema))
	default:
		return nil, nil, errors.New("no backend kind configured")
	}
	defer func() {
		if err != nil && reg != nil {
			_ = reg.Unregister()
			reg = nil
		}
	}()
	attrs := metric.WithAttributeSet(attribute.NewSet(attribute.String("backend", name)))
	ix, err := indexer.New(b, e.cfg.indexerConfig(), indexer.Settings{
		Logger: logger,
		Prices: prices,
		Telemetry: indexer.Telemetry{
			CommitsApplied:   e.tel.TracetreeStoreCommitsApplied,
			ApplyDuration:    e.tel.TracetreeStoreApplyDuration,
			IndexLag:         e.tel.TracetreeStoreIndexLag,
			Subscribers:      e.tel.TracetreeStoreSubscribers,
			TracesIndexed:    e.tel.TracetreeStoreTracesIndexed,
			RetentionDeleted: e.tel.TracetreeStoreRetentionDeleted,
			ChangesIndexed:   e.tel.TracetreeStoreChangesIndexed,
			ShardsHeld:       e.tel.TracetreeStoreIndexShardsHeld,
			Attributes:       attrs,
		},
	})
	if err != nil {
		_ = b.Close()
		return nil, reg, err
	}
	if err := ix.Start(ctx); err != nil {
		_ = b.Close()
		return nil, reg, err
	}
	return ix, reg, nil
}

// Shutdown stops every indexer (indexing what is left) and closes the
// backends.
func (e *storeExtension) Shutdown(context.Context) error {
	e.mu.Lock()
	stores, regs := e.stores, e.regs
	e.stores, e.regs = nil, nil
	e.mu.Unlock()
	unregister(regs)
	var errs []error
	for name, ix := range stores {
		if err := ix.Close(); err != nil {
			errs = append(errs, fmt.Errorf("tracetree_store: close backend %q: %w", name, err))
		}
	}
	return errors.Join(errs...)
}

// Store returns a started backend by name; "" is the default backend.
func (e *storeExtension) Store(backend string) (store.Store, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.stores == nil {
		return nil, errors.New("tracetree_store: not started (or already shut down)")
	}
	if backend == "" {
		backend = e.defName
	}
	ix, ok := e.stores[backend]
	if !ok {
		return nil, fmt.Errorf("tracetree_store: no backend named %q", backend)
	}
	return ix, nil
}

// GetStore finds the tracetree_store extension extID on host and returns
// its backend named backend ("" = the default backend). A zero extID picks
// the first tracetree_store extension. Call it from Start: the collector
// starts extensions before pipeline components; an extension that needs
// the store should declare it with extensioncapabilities.Dependent.
func GetStore(host component.Host, extID component.ID, backend string) (store.Store, error) {
	exts := host.GetExtensions()
	var comp component.Component
	if extID == (component.ID{}) {
		for id, c := range exts {
			if id.Type() == metadata.Type {
				comp = c
				extID = id
				break
			}
		}
	} else {
		comp = exts[extID]
	}
	if comp == nil {
		return nil, fmt.Errorf("cannot find extension %q (make sure it is configured and listed in service::extensions)", extID)
	}
	p, ok := comp.(StoreProvider)
	if !ok {
		return nil, fmt.Errorf("extension %q is not a tracetree_store extension", extID)
	}
	return p.Store(backend)
}
