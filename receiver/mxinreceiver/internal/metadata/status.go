// Hand-written in the style of mdatagen's generated_status.go (mdatagen is not
// installable here); keep in sync with ../../metadata.yaml.

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
