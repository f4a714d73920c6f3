// Package metadata holds the component type, stability and internal
// telemetry of the genai_metrics connector, in the shape mdatagen generates
// (hand-written: mdatagen is not available in this build).
package metadata

import (
	"go.opentelemetry.io/collector/component"
)

var (
	// Type is the component type of the connector.
	Type = component.MustNewType("genai_metrics")
	// ScopeName is the instrumentation scope of the metrics the connector
	// emits and of its own telemetry.
	ScopeName = "github.com/otelcol-genai/otelcol-genai/connector/genaimetricsconnector"
)

const (
	// TracesToMetricsStability is the stability of the traces → metrics route.
	TracesToMetricsStability = component.StabilityLevelAlpha
	// LogsToMetricsStability is the stability of the logs → metrics route
	// (evaluation verdicts among commits).
	LogsToMetricsStability = component.StabilityLevelAlpha
)
