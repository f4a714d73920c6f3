// Package genaimetricsconnector implements the genai_metrics connector: it
// turns GenAI spans (normalized OTLP spans from genai_normalize and the SDK
// spans of the tracetree_feed receiver) into the OpenTelemetry GenAI client
// metrics (gen_ai.client.token.usage, gen_ai.client.operation.duration)
// plus cost, tool-call, error and trace counters, cumulative, for the
// prometheus exporter or any metrics backend.
package genaimetricsconnector

import (
	"context"
	"fmt"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/connector"
	"go.opentelemetry.io/collector/consumer"

	"github.com/otelcol-genai/otelcol-genai/connector/genaimetricsconnector/internal/metadata"
	"github.com/otelcol-genai/otelcol-genai/extension/tracetreestore"
	"github.com/otelcol-genai/otelcol-genai/internal/pricing"
)

// NewFactory returns the genai_metrics connector factory.
func NewFactory() connector.Factory {
	return connector.NewFactory(
		metadata.Type,
		createDefaultConfig,
		connector.WithTracesToMetrics(createTracesToMetrics, metadata.TracesToMetricsStability),
		connector.WithLogsToMetrics(createLogsToMetrics, metadata.LogsToMetricsStability),
	)
}

// createLogsToMetrics counts evaluation verdicts among the commits of a
// logs pipeline (evals.go). It is its own instance: it emits only the
// evaluation metrics, the traces instance everything else.
func createLogsToMetrics(_ context.Context, set connector.Settings, cfg component.Config, next consumer.Metrics) (connector.Logs, error) {
	conn, err := newConnector(set.TelemetrySettings, cfg.(*Config), next)
	if err != nil {
		return nil, fmt.Errorf("genai_metrics: %w", err)
	}
	return conn, nil
}

func createTracesToMetrics(_ context.Context, set connector.Settings, cfg component.Config, next consumer.Metrics) (connector.Traces, error) {
	c := cfg.(*Config)
	conn, err := newConnector(set.TelemetrySettings, c, next)
	if err != nil {
		return nil, fmt.Errorf("genai_metrics: %w", err)
	}
	if c.Store != (component.ID{}) {
		conn.openStore = func(host component.Host) (func() *pricing.Table, error) {
			st, err := tracetreestore.GetStore(host, c.Store, c.Backend)
			if err != nil {
				return nil, fmt.Errorf("genai_metrics: store: %w", err)
			}
			return st.Prices, nil
		}
	}
	return conn, nil
}
