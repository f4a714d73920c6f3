// Program otelcol-genai is the otelcol-genai collector built in-process from
// internal/components: the same component set as the ocb build of
// builder-config.yaml (internal/components tests keep the two equal). Tests
// and `go run ./cmd/otelcol-genai` use it; `make build` uses ocb.
package main

import (
	"os"

	"go.opentelemetry.io/collector/otelcol"

	"github.com/otelcol-genai/otelcol-genai/internal/components"
)

// version is set with -ldflags "-X main.version=…".
var version = "0.1.0-dev"

func main() {
	if err := otelcol.NewCommand(components.Settings(version)).Execute(); err != nil {
		// cobra has already printed the error.
		os.Exit(1)
	}
}
