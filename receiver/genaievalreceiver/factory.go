// Package genaievalreceiver runs online evaluations inside the collector.
// It follows the tracetree_store's change feed (internal/follow), and once
// an entity (trace, generation, tool call, retrieval, span, session) has
// ended and its trace has stayed quiet, runs the configured evaluators on
// it (internal/evaluate) and emits each verdict as an ordinary `evaluate`
// commit on the logs signal: a pipeline into the `tracetree` exporter
// stores it like any commit an SDK sends, so it merges, shows in the tree,
// the API and the UI, and reaches vendors through tracetree_feed.
package genaievalreceiver

import (
	"context"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/receiver"

	"github.com/otelcol-genai/otelcol-genai/receiver/genaievalreceiver/internal/metadata"
)

// NewFactory returns the genai_eval receiver factory.
func NewFactory() receiver.Factory {
	return receiver.NewFactory(
		metadata.Type,
		createDefaultConfig,
		receiver.WithLogs(createLogs, metadata.LogsStability),
	)
}

func createLogs(_ context.Context, set receiver.Settings, cfg component.Config, next consumer.Logs) (receiver.Logs, error) {
	return newEvalReceiver(cfg.(*Config), set, next)
}
