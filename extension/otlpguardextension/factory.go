// Package otlpguardextension implements the otlp_guard extension: confighttp
// middleware for the core otlp receiver's HTTP protocol that refuses, before
// the receiver decodes it, an OTLP/JSON body that is not UTF-8 or that nests
// attribute values past internal/otlpcheck's bound.
package otlpguardextension

import (
	"context"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/extension"

	"github.com/otelcol-genai/otelcol-genai/extension/otlpguardextension/internal/metadata"
)

// NewFactory returns the factory of the otlp_guard extension.
func NewFactory() extension.Factory {
	return extension.NewFactory(
		metadata.Type,
		createDefaultConfig,
		createExtension,
		metadata.ExtensionStability,
	)
}

func createDefaultConfig() component.Config {
	return &Config{}
}

func createExtension(_ context.Context, set extension.Settings, _ component.Config) (extension.Extension, error) {
	tb, err := metadata.NewTelemetryBuilder(set.TelemetrySettings)
	if err != nil {
		return nil, err
	}
	return &guard{logger: set.Logger, telemetry: tb}, nil
}
