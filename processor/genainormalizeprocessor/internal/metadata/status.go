// Package metadata holds the component type, stability and internal
// telemetry of the genai_normalize processor.
//
// Hand-written, not generated: mdatagen is not part of this build. The
// package test (metadata_test.go) checks it against ../../metadata.yaml
// with internal/metadatacheck, so the two cannot drift apart.
package metadata

import (
	"go.opentelemetry.io/collector/component"
)

var (
	// Type is the component type of the processor.
	Type = component.MustNewType("genai_normalize")
	// ScopeName is the instrumentation scope of the processor's own telemetry.
	ScopeName = "github.com/otelcol-genai/otelcol-genai/processor/genainormalizeprocessor"
)

const (
	// TracesStability is the stability of the traces signal.
	TracesStability = component.StabilityLevelAlpha
	// LogsStability is the stability of the logs signal.
	LogsStability = component.StabilityLevelAlpha
)
