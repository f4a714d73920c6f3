// Code written in the mdatagen style (mdatagen is not installable here); keep
// it in step with ../../metadata.yaml.

package metadata

import (
	"go.opentelemetry.io/collector/component"
)

var (
	// Type is the component type of the extension.
	Type      = component.MustNewType("maxim_auth")
	ScopeName = "github.com/otelcol-genai/otelcol-genai/extension/maximauthextension"
)

const (
	// ExtensionStability is the stability level of the extension.
	ExtensionStability = component.StabilityLevelDevelopment
)
