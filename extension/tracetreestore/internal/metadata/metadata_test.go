package metadata

import (
	"testing"

	"go.opentelemetry.io/collector/component"

	"github.com/otelcol-genai/otelcol-genai/internal/metadatacheck"
	"github.com/otelcol-genai/otelcol-genai/internal/store/pgstore"
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
			if _, err := NewTelemetryBuilder(set); err != nil {
				return err
			}
			// The PostgreSQL backend's instruments, which the extension
			// registers on the same meter when it opens a pg backend.
			// Creating them needs no connection.
			_, err := new(pgstore.Store).RegisterMetrics(Meter(set))
			return err
		},
	})
}
