// Package tracetreefeedreceiver turns completed SDK traces held in the
// tracetree_store into OpenTelemetry spans (GenAI conventions), so SDK data
// can be forwarded to any traces exporter (Datadog, New Relic, OTLP).
//
// Commits are not spans: a trace is only worth forwarding once it is
// complete, so the receiver follows the store's change log, waits until a
// trace has ended and stayed quiet, assembles it with the one fold
// (internal/tree) and emits one span per entity. What was emitted is
// remembered in the store itself (a marker blob per trace and a change-log
// checkpoint), so a restart neither re-emits everything nor loses anything.
package tracetreefeedreceiver

import (
	"context"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/receiver"

	"github.com/otelcol-genai/otelcol-genai/receiver/tracetreefeedreceiver/internal/metadata"
)

// NewFactory returns the tracetree_feed receiver factory.
func NewFactory() receiver.Factory {
	return receiver.NewFactory(
		metadata.Type,
		createDefaultConfig,
		receiver.WithTraces(createTraces, metadata.TracesStability),
	)
}

func createTraces(_ context.Context, set receiver.Settings, cfg component.Config, next consumer.Traces) (receiver.Traces, error) {
	return newFeedReceiver(cfg.(*Config), set, next)
}
