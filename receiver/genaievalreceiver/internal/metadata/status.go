// Package metadata contains the telemetry and build information for the
// genai_eval receiver.
//
// Hand-written, not generated: mdatagen is not part of this build. The
// package test (metadata_test.go) checks it against ../../metadata.yaml
// with internal/metadatacheck, so the two cannot drift apart.
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
