// Code in the style of mdatagen (hand-written: mdatagen is not available in
// this build environment). Keep in sync with ../../metadata.yaml.

// Package metadata contains the telemetry and build information for the
// tracetree_feed receiver.
package metadata

import (
	"go.opentelemetry.io/collector/component"
)

var (
	Type      = component.MustNewType("tracetree_feed")
	ScopeName = "github.com/otelcol-genai/otelcol-genai/receiver/tracetreefeedreceiver"
)

const (
	TracesStability = component.StabilityLevelAlpha
)
