package metadata

import (
	"testing"

	"go.opentelemetry.io/collector/component"

	"github.com/otelcol-genai/otelcol-genai/internal/metadatacheck"
)

// TestMetadataMatchesYAML holds this hand-written package to
// ../../metadata.yaml: type, stability, and the metrics registered.
func TestMetadataMatchesYAML(t *testing.T) {
	metadatacheck.Check(t, metadatacheck.Expect{
		Dir:  "../..",
		Type: Type,
		Stability: map[string]component.StabilityLevel{
			"extension": ExtensionStability,
		},
		Register: func(set component.TelemetrySettings) error {
			_, err := NewTelemetryBuilder(set)
			return err
		},
	})
}
