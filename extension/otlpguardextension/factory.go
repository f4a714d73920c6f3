// Package otlpguardextension implements the otlp_guard extension: confighttp
// middleware for the core otlp receiver's HTTP protocol that refuses, before
// the receiver decodes it, an OTLP/JSON body that is not UTF-8 or that nests
// attribute values past internal/otlpcheck's bound.
package otlpguardextension

import (
	"context"
	"strconv"
	"time"

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
	return &Config{RetryAfter: 5 * time.Second}
}

func createExtension(_ context.Context, set extension.Settings, cfg component.Config) (extension.Extension, error) {
	tb, err := metadata.NewTelemetryBuilder(set.TelemetrySettings)
	if err != nil {
		return nil, err
	}
	retryAfter := strconv.Itoa(int(cfg.(*Config).RetryAfter / time.Second))
	return &guard{logger: set.Logger, telemetry: tb, retryAfter: retryAfter}, nil
}
