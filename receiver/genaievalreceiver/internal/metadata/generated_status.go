// Code in the style of mdatagen (hand-written: mdatagen is not available in
// this build environment). Keep in sync with ../../metadata.yaml.

// Package metadata contains the telemetry and build information for the
// genai_eval receiver.
package metadata

import (
	"go.opentelemetry.io/collector/component"
)

var (
	Type      = component.MustNewType("genai_eval")
	ScopeName = "github.com/otelcol-genai/otelcol-genai/receiver/genaievalreceiver"
)

const (
	LogsStability = component.StabilityLevelAlpha
)
