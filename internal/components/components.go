// Package components is the in-process list of the distribution's
// components. Tests use it to load configs and run pipelines without an ocb
// build; components_test.go fails when it and builder-config.yaml disagree, so
// the list and the shipped binary cannot drift apart.
package components

import (
	kafkaexporter "github.com/open-telemetry/opentelemetry-collector-contrib/exporter/kafkaexporter"
	prometheusexporter "github.com/open-telemetry/opentelemetry-collector-contrib/exporter/prometheusexporter"
	healthcheckextension "github.com/open-telemetry/opentelemetry-collector-contrib/extension/healthcheckextension"
	pprofextension "github.com/open-telemetry/opentelemetry-collector-contrib/extension/pprofextension"
	filestorage "github.com/open-telemetry/opentelemetry-collector-contrib/extension/storage/filestorage"
	cumulativetodeltaprocessor "github.com/open-telemetry/opentelemetry-collector-contrib/processor/cumulativetodeltaprocessor"
	kafkareceiver "github.com/open-telemetry/opentelemetry-collector-contrib/receiver/kafkareceiver"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/confmap"
	"go.opentelemetry.io/collector/confmap/provider/envprovider"
	"go.opentelemetry.io/collector/confmap/provider/fileprovider"
	"go.opentelemetry.io/collector/confmap/provider/yamlprovider"
	"go.opentelemetry.io/collector/connector"
	"go.opentelemetry.io/collector/exporter"
	debugexporter "go.opentelemetry.io/collector/exporter/debugexporter"
	otlpexporter "go.opentelemetry.io/collector/exporter/otlpexporter"
	otlphttpexporter "go.opentelemetry.io/collector/exporter/otlphttpexporter"
	"go.opentelemetry.io/collector/extension"
	zpagesextension "go.opentelemetry.io/collector/extension/zpagesextension"
	"go.opentelemetry.io/collector/otelcol"
	"go.opentelemetry.io/collector/processor"
	batchprocessor "go.opentelemetry.io/collector/processor/batchprocessor"
	memorylimiterprocessor "go.opentelemetry.io/collector/processor/memorylimiterprocessor"
	"go.opentelemetry.io/collector/receiver"
	otlpreceiver "go.opentelemetry.io/collector/receiver/otlpreceiver"
	"go.opentelemetry.io/collector/service/telemetry/otelconftelemetry"

	"github.com/otelcol-genai/otelcol-genai/connector/genaimetricsconnector"
	"github.com/otelcol-genai/otelcol-genai/exporter/tracetreeexporter"
	"github.com/otelcol-genai/otelcol-genai/extension/genaialertsextension"
	"github.com/otelcol-genai/otelcol-genai/extension/maximauthextension"
	"github.com/otelcol-genai/otelcol-genai/extension/otlpguardextension"
	"github.com/otelcol-genai/otelcol-genai/extension/tracetreequery"
	"github.com/otelcol-genai/otelcol-genai/extension/tracetreestore"
	"github.com/otelcol-genai/otelcol-genai/processor/genainormalizeprocessor"
	"github.com/otelcol-genai/otelcol-genai/receiver/genaievalreceiver"
	"github.com/otelcol-genai/otelcol-genai/receiver/mxinreceiver"
	"github.com/otelcol-genai/otelcol-genai/receiver/tracetreefeedreceiver"
)

// ourModule is this repository's module as the manifest names it; ocb
// replaces it with the checkout (path: ./).
const ourModule = "github.com/otelcol-genai/otelcol-genai v0.0.0"

// Module pairs a factory with the Go module (as written in
// builder-config.yaml) that provides it.
type Module[F component.Factory] struct {
	// GoMod is the manifest's `gomod` value ("module version").
	GoMod string
	// Import is the manifest's `import` value when the package is not the
	// module root (our own components live in one module); empty otherwise.
	Import  string
	Factory F
}

// Receivers, Processors, Exporters, Connectors and Extensions list the distribution's
// components with their modules, in builder-config.yaml order.
func Receivers() []Module[receiverFactory] {
	return []Module[receiverFactory]{
		{GoMod: "go.opentelemetry.io/collector/receiver/otlpreceiver v0.165.0", Factory: otlpreceiver.NewFactory()},
		{GoMod: "github.com/open-telemetry/opentelemetry-collector-contrib/receiver/kafkareceiver v0.165.0", Factory: kafkareceiver.NewFactory()},
		{GoMod: ourModule, Import: "github.com/otelcol-genai/otelcol-genai/receiver/mxinreceiver", Factory: mxinreceiver.NewFactory()},
		{GoMod: ourModule, Import: "github.com/otelcol-genai/otelcol-genai/receiver/tracetreefeedreceiver", Factory: tracetreefeedreceiver.NewFactory()},
		{GoMod: ourModule, Import: "github.com/otelcol-genai/otelcol-genai/receiver/genaievalreceiver", Factory: genaievalreceiver.NewFactory()},
	}
}

// Processors lists the distribution's processors.
func Processors() []Module[processorFactory] {
	return []Module[processorFactory]{
		{GoMod: "go.opentelemetry.io/collector/processor/batchprocessor v0.165.0", Factory: batchprocessor.NewFactory()},
		{GoMod: "go.opentelemetry.io/collector/processor/memorylimiterprocessor v0.165.0", Factory: memorylimiterprocessor.NewFactory()},
		{GoMod: "github.com/open-telemetry/opentelemetry-collector-contrib/processor/cumulativetodeltaprocessor v0.165.0", Factory: cumulativetodeltaprocessor.NewFactory()},
		{GoMod: ourModule, Import: "github.com/otelcol-genai/otelcol-genai/processor/genainormalizeprocessor", Factory: genainormalizeprocessor.NewFactory()},
	}
}

// Exporters lists the distribution's exporters.
func Exporters() []Module[exporterFactory] {
	return []Module[exporterFactory]{
		{GoMod: "go.opentelemetry.io/collector/exporter/otlpexporter v0.165.0", Factory: otlpexporter.NewFactory()},
		{GoMod: "go.opentelemetry.io/collector/exporter/otlphttpexporter v0.165.0", Factory: otlphttpexporter.NewFactory()},
		{GoMod: "go.opentelemetry.io/collector/exporter/debugexporter v0.165.0", Factory: debugexporter.NewFactory()},
		{GoMod: "github.com/open-telemetry/opentelemetry-collector-contrib/exporter/kafkaexporter v0.165.0", Factory: kafkaexporter.NewFactory()},
		{GoMod: "github.com/open-telemetry/opentelemetry-collector-contrib/exporter/prometheusexporter v0.165.0", Factory: prometheusexporter.NewFactory()},
		{GoMod: ourModule, Import: "github.com/otelcol-genai/otelcol-genai/exporter/tracetreeexporter", Factory: tracetreeexporter.NewFactory()},
	}
}

// Connectors lists the distribution's connectors.
func Connectors() []Module[connectorFactory] {
	return []Module[connectorFactory]{
		{GoMod: ourModule, Import: "github.com/otelcol-genai/otelcol-genai/connector/genaimetricsconnector", Factory: genaimetricsconnector.NewFactory()},
	}
}

// Extensions lists the distribution's extensions.
func Extensions() []Module[extensionFactory] {
	return []Module[extensionFactory]{
		{GoMod: "github.com/open-telemetry/opentelemetry-collector-contrib/extension/healthcheckextension v0.165.0", Factory: healthcheckextension.NewFactory()},
		{GoMod: "github.com/open-telemetry/opentelemetry-collector-contrib/extension/pprofextension v0.165.0", Factory: pprofextension.NewFactory()},
		{GoMod: "go.opentelemetry.io/collector/extension/zpagesextension v0.165.0", Factory: zpagesextension.NewFactory()},
		{GoMod: "github.com/open-telemetry/opentelemetry-collector-contrib/extension/storage/filestorage v0.165.0", Factory: filestorage.NewFactory()},
		{GoMod: ourModule, Import: "github.com/otelcol-genai/otelcol-genai/extension/maximauthextension", Factory: maximauthextension.NewFactory()},
		{GoMod: ourModule, Import: "github.com/otelcol-genai/otelcol-genai/extension/otlpguardextension", Factory: otlpguardextension.NewFactory()},
		{GoMod: ourModule, Import: "github.com/otelcol-genai/otelcol-genai/extension/tracetreestore", Factory: tracetreestore.NewFactory()},
		{GoMod: ourModule, Import: "github.com/otelcol-genai/otelcol-genai/extension/tracetreequery", Factory: tracetreequery.NewFactory()},
		{GoMod: ourModule, Import: "github.com/otelcol-genai/otelcol-genai/extension/genaialertsextension", Factory: genaialertsextension.NewFactory()},
	}
}

// Factories returns the factories the way an ocb-built main does.
func Factories() (otelcol.Factories, error) {
	var err error
	factories := otelcol.Factories{Telemetry: otelconftelemetry.NewFactory()}
	if factories.Receivers, err = otelcol.MakeFactoryMap(factoriesOf(Receivers())...); err != nil {
		return otelcol.Factories{}, err
	}
	factories.ReceiverModules = modulesOf(Receivers())
	if factories.Processors, err = otelcol.MakeFactoryMap(factoriesOf(Processors())...); err != nil {
		return otelcol.Factories{}, err
	}
	factories.ProcessorModules = modulesOf(Processors())
	if factories.Exporters, err = otelcol.MakeFactoryMap(factoriesOf(Exporters())...); err != nil {
		return otelcol.Factories{}, err
	}
	factories.ExporterModules = modulesOf(Exporters())
	if factories.Connectors, err = otelcol.MakeFactoryMap(factoriesOf(Connectors())...); err != nil {
		return otelcol.Factories{}, err
	}
	factories.ConnectorModules = modulesOf(Connectors())
	if factories.Extensions, err = otelcol.MakeFactoryMap(factoriesOf(Extensions())...); err != nil {
		return otelcol.Factories{}, err
	}
	factories.ExtensionModules = modulesOf(Extensions())
	return factories, nil
}

// aliasProvider is implemented by factories that also answer to a
// deprecated type name (e.g. otlp_grpc's old name otlp); the alias reports
// the same module, as in an ocb-generated main.
type aliasProvider interface{ DeprecatedAlias() component.Type }

func modulesOf[F component.Factory](mods []Module[F]) map[component.Type]string {
	out := make(map[component.Type]string, len(mods))
	for _, m := range mods {
		out[m.Factory.Type()] = m.GoMod
		if ap, ok := any(m.Factory).(aliasProvider); ok && ap.DeprecatedAlias().String() != "" {
			out[ap.DeprecatedAlias()] = m.GoMod
		}
	}
	return out
}

func factoriesOf[F component.Factory](mods []Module[F]) []F {
	out := make([]F, 0, len(mods))
	for _, m := range mods {
		out = append(out, m.Factory)
	}
	return out
}

type (
	receiverFactory  = receiver.Factory
	processorFactory = processor.Factory
	exporterFactory  = exporter.Factory
	extensionFactory = extension.Factory
	connectorFactory = connector.Factory
)

// Providers lists the config providers (env:, file:, yaml:) with their modules.
func Providers() []struct {
	GoMod   string
	Factory confmap.ProviderFactory
} {
	return []struct {
		GoMod   string
		Factory confmap.ProviderFactory
	}{
		{GoMod: "go.opentelemetry.io/collector/confmap/provider/envprovider v1.71.0", Factory: envprovider.NewFactory()},
		{GoMod: "go.opentelemetry.io/collector/confmap/provider/fileprovider v1.71.0", Factory: fileprovider.NewFactory()},
		{GoMod: "go.opentelemetry.io/collector/confmap/provider/yamlprovider v1.71.0", Factory: yamlprovider.NewFactory()},
	}
}

// BuildInfo describes the distribution.
func BuildInfo(version string) component.BuildInfo {
	return component.BuildInfo{
		Command:     "otelcol-genai",
		Description: "OpenTelemetry Collector distribution for LLM and agent observability",
		Version:     version,
	}
}

// Settings returns the collector settings an ocb-built main uses, for the
// given config URIs (e.g. "file:configs/default.yaml").
func Settings(version string, configURIs ...string) otelcol.CollectorSettings {
	var providers []confmap.ProviderFactory
	for _, p := range Providers() {
		providers = append(providers, p.Factory)
	}
	return otelcol.CollectorSettings{
		BuildInfo: BuildInfo(version),
		Factories: Factories,
		ConfigProviderSettings: otelcol.ConfigProviderSettings{
			ResolverSettings: confmap.ResolverSettings{
				URIs:              configURIs,
				ProviderFactories: providers,
			},
		},
	}
}
