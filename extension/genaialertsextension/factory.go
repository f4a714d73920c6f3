// Package genaialertsextension evaluates alert rules over sliding windows
// of the trace store (evaluation failure rate and mean score, error rate,
// p95 latency, cost and tokens per hour), per repository, and notifies
// webhooks when an alert fires and when it resolves. Alert state and
// history live in the store (internal/alerting), so a restart neither
// re-fires nor forgets, and the tracetree_query API serves them.
package genaialertsextension

import (
	"context"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/config/configretry"
	"go.opentelemetry.io/collector/extension"

	"github.com/otelcol-genai/otelcol-genai/extension/genaialertsextension/internal/metadata"
)

// NewFactory returns the factory of the genai_alerts extension.
func NewFactory() extension.Factory {
	return extension.NewFactory(metadata.Type, createDefaultConfig, createExtension, metadata.ExtensionStability)
}

func createDefaultConfig() component.Config {
	return &Config{
		Store:              defaultStoreID,
		EvaluationInterval: defaultInterval,
		HistoryLimit:       defaultHistoryLimit,
		RetryOnFailure:     configretry.NewDefaultBackOffConfig(),
	}
}

func createExtension(_ context.Context, set extension.Settings, cfg component.Config) (extension.Extension, error) {
	return newAlertsExtension(cfg.(*Config), set)
}
