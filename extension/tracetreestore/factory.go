// Package tracetreestore is the tracetree_store extension: it owns the
// trace-tree storage backends (embedded Pebble, shared PostgreSQL), wraps
// each with the shared summary indexer and live feed, runs retention, and
// hands the resulting store.Store to the exporter, the query extension and
// the receiver (GetStore). It also implements the collector's
// storage.Extension so a receiver can keep blobs in it.
package tracetreestore

import (
	"context"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/extension"

	"github.com/otelcol-genai/otelcol-genai/extension/tracetreestore/internal/metadata"
	"github.com/otelcol-genai/otelcol-genai/internal/store/indexer"
)

// NewFactory returns the tracetree_store extension factory.
func NewFactory() extension.Factory {
	return extension.NewFactory(
		metadata.Type,
		createDefaultConfig,
		create,
		metadata.ExtensionStability,
	)
}

func createDefaultConfig() component.Config {
	d := indexer.DefaultConfig()
	return &Config{
		Backends:  map[string]BackendConfig{},
		Retention: d.Retention,
		Indexer: IndexerConfig{
			Debounce:         d.Debounce,
			PollInterval:     d.PollInterval,
			BatchSize:        d.BatchSize,
			SubscriberBuffer: d.SubscriberBuffer,
			Lease:            d.Lease,
		},
	}
}

func create(_ context.Context, set extension.Settings, cfg component.Config) (extension.Extension, error) {
	return newExtension(cfg.(*Config), set)
}
