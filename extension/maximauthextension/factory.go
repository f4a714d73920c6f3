// Package maximauthextension implements the maxim_auth extension: API-key
// authentication the way Maxim's SDKs and OTLP endpoint do it (header
// x-maxim-api-key), with each key scoped to a set of log repositories.
package maximauthextension

import (
	"context"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/extension"

	"github.com/otelcol-genai/otelcol-genai/extension/maximauthextension/internal/metadata"
)

// NewFactory returns the factory of the maxim_auth extension.
func NewFactory() extension.Factory {
	return extension.NewFactory(
		metadata.Type,
		createDefaultConfig,
		createExtension,
		metadata.ExtensionStability,
	)
}

func createDefaultConfig() component.Config {
	return &Config{}
}

func createExtension(_ context.Context, set extension.Settings, cfg component.Config) (extension.Extension, error) {
	return newAuthenticator(cfg.(*Config), set.Logger), nil
}
