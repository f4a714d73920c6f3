// Package metadata holds the component type, stability and internal
// telemetry of the genai_normalize processor, in the shape mdatagen
// generates (hand-written: mdatagen is not available in this build).
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
