package genaimetricsconnector

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/confmap"
	"go.opentelemetry.io/collector/confmap/confmaptest"
	"go.opentelemetry.io/collector/connector"

	"github.com/otelcol-genai/otelcol-genai/connector/genaimetricsconnector/internal/metadata"
)

func connectorSettings() connector.Settings {
	return connector.Settings{
		ID:                component.NewID(metadata.Type),
		TelemetrySettings: componenttest.NewNopTelemetrySettings(),
		BuildInfo:         component.NewDefaultBuildInfo(),
	}
}

func loadConfig(t *testing.T, name string) *Config {
	t.Helper()
	cm, err := confmaptest.LoadConf(filepath.Join("testdata", "config.yaml"))
	require.NoError(t, err)
	cfg := NewFactory().CreateDefaultConfig()
	sub, err := cm.Sub(component.NewIDWithName(metadata.Type, name).String())
	require.NoError(t, err)
	require.NoError(t, sub.Unmarshal(cfg))
	return cfg.(*Config)
}

func TestConfigDefault(t *testing.T) {
	cfg := loadConfig(t, "")
	assert.Equal(t, createDefaultConfig(), cfg)
	require.NoError(t, confmap.Validate(cfg))
	assert.Equal(t, component.ID{}, cfg.Store, "no store: the embedded price data")
	assert.Equal(t, knownDimensions, cfg.Dimensions)
	assert.Equal(t, 10000, cfg.MaxSeries)
	for _, d := range knownDimensions {
		assert.True(t, cfg.mask().has(d), d)
	}
}

func TestConfigCustom(t *testing.T) {
	cfg := loadConfig(t, "custom")
	require.NoError(t, confmap.Validate(cfg))
	assert.Equal(t, component.MustNewIDWithName("tracetree_store", "shared"), cfg.Store)
	assert.Equal(t, "pg", cfg.Backend)
	assert.Equal(t, []string{DimProvider, DimRequestModel, DimRepo}, cfg.Dimensions)
	assert.Equal(t, 500, cfg.MaxSeries)
	assert.Equal(t, 30*time.Second, cfg.MetricsFlushInterval)
	m := cfg.mask()
	assert.True(t, m.has(DimRepo))
	assert.False(t, m.has(DimErrorType))
	assert.False(t, m.has(DimResponseModel))
}

func TestConfigInvalid(t *testing.T) {
	for name, want := range map[string][]string{
		"bad_dimensions":        {`unknown attribute "user.id"`, `"gen_ai.request.model" listed twice`},
		"bad_limits":            {"max_series", "metrics_flush_interval"},
		"backend_without_store": {"backend"},
	} {
		t.Run(name, func(t *testing.T) {
			err := confmap.Validate(loadConfig(t, name))
			require.Error(t, err)
			for _, w := range want {
				assert.ErrorContains(t, err, w)
			}
		})
	}
}

func TestFactory(t *testing.T) {
	f := NewFactory()
	assert.Equal(t, metadata.Type, f.Type())
	assert.Equal(t, metadata.TracesToMetricsStability, f.TracesToMetricsStability())
}
