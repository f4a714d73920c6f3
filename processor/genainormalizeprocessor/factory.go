// Package genainormalizeprocessor implements the genai_normalize processor:
// it classifies GenAI spans of every convention (OTel GenAI, OpenInference,
// Vercel AI SDK, OpenLLMetry, Maxim extras) and writes one canonical set of
// `maxim.*` attributes, so downstream (the tracetree exporter's FromTraces)
// sees one model whatever instrumentation produced the span. On the logs
// signal it turns span-linked OTLP log records (GenAI events) into commits
// on the nodes of their spans.
package genainormalizeprocessor

import (
	"context"
	"fmt"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/processor"
	"go.opentelemetry.io/collector/processor/processorhelper"

	"github.com/otelcol-genai/otelcol-genai/processor/genainormalizeprocessor/internal/metadata"
)

// NewFactory returns the genai_normalize processor factory.
func NewFactory() processor.Factory {
	return processor.NewFactory(
		metadata.Type,
		createDefaultConfig,
		processor.WithTraces(createTraces, metadata.TracesStability),
		processor.WithLogs(createLogs, metadata.LogsStability),
	)
}

func createDefaultConfig() component.Config {
	return &Config{
		DefaultRepo:       "default",
		RepoMetadataKey:   "x-maxim-repo-id",
		KeepRawAttributes: true,
		MaxAttributeBytes: 1 << 20,
		GenAIAttributes:   true,
	}
}

func createTraces(ctx context.Context, set processor.Settings, cfg component.Config, next consumer.Traces) (processor.Traces, error) {
	p, err := newNormalizer(set, cfg.(*Config))
	if err != nil {
		return nil, fmt.Errorf("genai_normalize: %w", err)
	}
	return processorhelper.NewTraces(ctx, set, cfg, next, p.processTraces,
		processorhelper.WithCapabilities(consumer.Capabilities{MutatesData: true}))
}

func createLogs(ctx context.Context, set processor.Settings, cfg component.Config, next consumer.Logs) (processor.Logs, error) {
	p, err := newNormalizer(set, cfg.(*Config))
	if err != nil {
		return nil, fmt.Errorf("genai_normalize: %w", err)
	}
	return processorhelper.NewLogs(ctx, set, cfg, next, p.processLogs,
		processorhelper.WithCapabilities(consumer.Capabilities{MutatesData: true}))
}
