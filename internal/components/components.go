// Package components is the in-process list of the distribution's
// components. Tests use it to load configs and run pipelines without an ocb
// build; components_test.go fails when it and builder-config.yaml disagree, so
// the list and the shipped binary cannot drift apart.
package components

import (
	datadogexporter "github.com/open-telemetry/opentelemetry-collector-contrib/exporter/datadogexporter"
	kafkaexporter "github.com/open-telemetry/opentelemetry-collector-contrib/exporter/kafkaexporter"
	healthcheckextension "github.com/open-telemetry/opentelemetry-collector-contrib/extension/healthcheckextension"
	pprofextension "github.com/open-telemetry/opentelemetry-collector-contrib/extension/pprofextension"
	filestorage "github.com/open-telemetry/opentelemetry-collector-contrib/extension/storage/filestorage"
	kafkareceiver "github.com/open-telemetry/opentelemetry-collector-contrib/receiver/kafkareceiver"
	"go.opentelemetry.io/collector/component"
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
)

// Module pairs a factory with the Go module (as written in
// builder-config.yaml) that provides it.
type Module[F component.Factory] struct {
	GoMod   string
	Factory F
}

// Receivers, Processors, Exporters and Extensions list the distribution's
// components with their modules, in builder-config.yaml order.
func Receivers() []Module[receiverFactory] {
	return []Module[receiverFactory]{
		{"go.opentelemetry.io/collector/receiver/otlpreceiver v0.155.0", otlpreceiver.NewFactory()},
		{"github.com/open-telemetry/opentelemetry-collector-contrib/receiver/kafkareceiver v0.155.0", kafkareceiver.NewFactory()},
	}
}

// Processors lists the distribution's processors.
func Processors() []Module[processorFactory] {
	return []Module[processorFactory]{
		{"go.opentelemetry.io/collector/processor/batchprocessor v0.155.0", batchprocessor.NewFactory()},
		{"go.opentelemetry.io/collector/processor/memorylimiterprocessor v0.155.0", memorylimiterprocessor.NewFactory()},
	}
}

// Exporters lists the distribution's exporters.
func Exporters() []Module[exporterFactory] {
	return []Module[exporterFactory]{
		{"go.opentelemetry.io/collector/exporter/otlpexporter v0.155.0", otlpexporter.NewFactory()},
		{"go.opentelemetry.io/collector/exporter/otlphttpexporter v0.155.0", otlphttpexporter.NewFactory()},
		{"go.opentelemetry.io/collector/exporter/debugexporter v0.155.0", debugexporter.NewFactory()},
		{"github.com/open-telemetry/opentelemetry-collector-contrib/exporter/kafkaexporter v0.155.0", kafkaexporter.NewFactory()},
		{"github.com/open-telemetry/opentelemetry-collector-contrib/exporter/datadogexporter v0.155.0", datadogexporter.NewFactory()},
	}
}

// Extensions lists the distribution's extensions.
func Extensions() []Module[extensionFactory] {
	return []Module[extensionFactory]{
		{"github.com/open-telemetry/opentelemetry-collector-contrib/extension/healthcheckextension v0.155.0", healthcheckextension.NewFactory()},
		{"github.com/open-telemetry/opentelemetry-collector-contrib/extension/pprofextension v0.155.0", pprofextension.NewFactory()},
		{"go.opentelemetry.io/collector/extension/zpagesextension v0.155.0", zpagesextension.NewFactory()},
		{"github.com/open-telemetry/opentelemetry-collector-contrib/extension/storage/filestorage v0.155.0", filestorage.NewFactory()},
	}
}

// Factories returns the factories the way an ocb-built main does.
func Factories() (otelcol.Factories, error) {
	var err error
	factories := otelcol.Factories{Telemetry: otelconftelemetry.NewFactory()}
	if factories.Receivers, err = otelcol.MakeFactoryMap(factoriesOf(Receivers())...); err != nil {
		return otelcol.Factories{}, err
	}
	if factories.Processors, err = otelcol.MakeFactoryMap(factoriesOf(Processors())...); err != nil {
		return otelcol.Factories{}, err
	}
	if factories.Exporters, err = otelcol.MakeFactoryMap(factoriesOf(Exporters())...); err != nil {
		return otelcol.Factories{}, err
	}
	if factories.Extensions, err = otelcol.MakeFactoryMap(factoriesOf(Extensions())...); err != nil {
		return otelcol.Factories{}, err
	}
	return factories, nil
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
)
