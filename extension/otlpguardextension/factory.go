// Package otlpguardextension implements the otlp_guard extension: confighttp
// middleware for the core otlp receiver's HTTP protocol that refuses, before
// the receiver decodes it, an OTLP/JSON body that is not UTF-8 or that nests
// attribute values past internal/otlpcheck's bound, and that refuses more
// request bytes in flight than its admission limits allow.
package otlpguardextension

import (
	"context"
	"strconv"
	"time"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/extension"

	"github.com/otelcol-genai/otelcol-genai/extension/otlpguardextension/internal/metadata"
	"github.com/otelcol-genai/otelcol-genai/internal/admission"
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
	return &Config{RetryAfter: 5 * time.Second, Admission: admission.DefaultConfig()}
}

func createExtension(_ context.Context, set extension.Settings, cfg component.Config) (extension.Extension, error) {
	tb, err := metadata.NewTelemetryBuilder(set.TelemetrySettings)
	if err != nil {
		return nil, err
	}
	c := cfg.(*Config)
	retryAfter := strconv.Itoa(int(c.RetryAfter / time.Second))
	return &guard{logger: set.Logger, telemetry: tb, retryAfter: retryAfter, admission: admission.New(c.Admission)}, nil
}
