// Package tracetreequery serves the trace-tree HTTP API (search, trees,
// sessions, entity history, live feed, attachments) from the
// tracetree_store extension, the way jaeger_query serves jaeger_storage.
package tracetreequery

import (
	"context"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/config/confighttp"
	"go.opentelemetry.io/collector/extension"

	"github.com/otelcol-genai/otelcol-genai/extension/tracetreequery/internal/metadata"
)

// NewFactory returns the factory of the tracetree_query extension.
func NewFactory() extension.Factory {
	return extension.NewFactory(metadata.Type, createDefaultConfig, createExtension, metadata.ExtensionStability)
}

func createDefaultConfig() component.Config {
	srv := confighttp.NewDefaultServerConfig()
	srv.NetAddr.Endpoint = DefaultEndpoint
	return &Config{
		ServerConfig:  srv,
		Store:         defaultStoreID,
		LiveHeartbeat: defaultHeartbeat,
		MaxPageSize:   defaultMaxPageSize,
	}
}

func createExtension(_ context.Context, set extension.Settings, cfg component.Config) (extension.Extension, error) {
	return newQueryExtension(cfg.(*Config), set)
}
