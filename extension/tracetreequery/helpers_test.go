package tracetreequery

import (
	"testing"

	"go.opentelemetry.io/collector/extension"
	"go.opentelemetry.io/collector/extension/extensiontest"

	"github.com/otelcol-genai/otelcol-genai/extension/tracetreequery/internal/metadata"
)

func extensionSettings(t *testing.T) extension.Settings {
	t.Helper()
	return extensiontest.NewNopSettings(metadata.Type)
}
