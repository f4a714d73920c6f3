// Package metadata holds the component type, stability and internal
// telemetry of the otlp_guard extension.
//
// Hand-written, not generated: mdatagen is not part of this build. The
// package test (metadata_test.go) checks it against ../../metadata.yaml
// with internal/metadatacheck, so the two cannot drift apart.
package metadata

import (
	"go.opentelemetry.io/collector/component"
)

var (
	// Type is the component type of the extension.
	Type      = component.MustNewType("otlp_guard")
	ScopeName = "github.com/otelcol-genai/otelcol-genai/extension/otlpguardextension"
)

const (
	// ExtensionStability is the stability level of the extension.
	ExtensionStability = component.StabilityLevelDevelopment
)
