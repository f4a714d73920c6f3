// Package metadata holds the component type, stability and internal
// telemetry of the genai_metrics connector.
//
// Hand-written, not generated: mdatagen is not part of this build. The
// package test (metadata_test.go) checks it against ../../metadata.yaml
// with internal/metadatacheck, so the two cannot drift apart.
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
