// Package metadata holds the component type, stability and internal
// telemetry of the mxinreceiver component.
//
// Hand-written, not generated: mdatagen is not part of this build. The
// package test (metadata_test.go) checks it against ../../metadata.yaml
// with internal/metadatacheck, so the two cannot drift apart.
package metadata

import (
	"go.opentelemetry.io/collector/component"
)

var (
	// Type is the component type of the receiver.
	Type      = component.MustNewType("mxin")
	ScopeName = "github.com/otelcol-genai/otelcol-genai/receiver/mxinreceiver"
)

const (
	// LogsStability is the stability of the logs (commits) signal.
	LogsStability = component.StabilityLevelDevelopment
	// TracesStability is the stability of the traces (/v1/otel) signal.
	TracesStability = component.StabilityLevelDevelopment
)
