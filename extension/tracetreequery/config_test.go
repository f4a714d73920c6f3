package tracetreequery

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/confmap"
	"go.opentelemetry.io/collector/confmap/confmaptest"

	"github.com/otelcol-genai/otelcol-genai/extension/tracetreequery/internal/metadata"
)

func loadConfig(t *testing.T, name string) *Config {
	t.Helper()
	cm, err := confmaptest.LoadConf(filepath.Join("testdata", "config.yaml"))
	require.NoError(t, err)
	sub, err := cm.Sub(component.NewIDWithName(metadata.Type, name).String())
	require.NoError(t, err)
	cfg := NewFactory().CreateDefaultConfig().(*Config)
	require.NoError(t, sub.Unmarshal(cfg))
	return cfg
}

func TestDefaultConfig(t *testing.T) {
	cfg := loadConfig(t, "")
	assert.Equal(t, DefaultEndpoint, cfg.NetAddr.Endpoint)
	assert.Equal(t, component.MustNewID("tracetree_store"), cfg.Store)
	assert.False(t, cfg.Auth.HasValue())
	assert.Equal(t, defaultHeartbeat, cfg.LiveHeartbeat)
	assert.Equal(t, defaultMaxPageSize, cfg.MaxPageSize)
	require.NoError(t, confmap.Validate(cfg))
}

func TestCustomConfig(t *testing.T) {
	cfg := loadConfig(t, "custom")
	assert.Equal(t, "0.0.0.0:18000", cfg.NetAddr.Endpoint)
	assert.Equal(t, component.MustNewIDWithName("tracetree_store", "shared"), cfg.Store)
	assert.Equal(t, "postgres", cfg.Backend)
	assert.Equal(t, 5*time.Second, cfg.LiveHeartbeat)
	assert.Equal(t, 100, cfg.MaxPageSize)
	require.True(t, cfg.Auth.HasValue())
	assert.Equal(t, component.MustNewID("maxim_auth"), cfg.Auth.Get().Config.AuthenticatorID)
	require.True(t, cfg.CORS.HasValue())
	assert.Equal(t, []string{"https://ui.example.com"}, cfg.CORS.Get().AllowedOrigins)
	require.NoError(t, confmap.Validate(cfg))

	ext, err := newQueryExtension(cfg, extensionSettings(t))
	require.NoError(t, err)
	assert.ElementsMatch(t, []component.ID{cfg.Store, component.MustNewID("maxim_auth")}, ext.Dependencies(),
		"the store and the authenticator must start first")
}

func TestConfigValidateErrors(t *testing.T) {
	err := confmap.Validate(loadConfig(t, "bad"))
	require.Error(t, err)
	assert.ErrorContains(t, err, "endpoint")
	assert.ErrorContains(t, err, "live_heartbeat")
	assert.ErrorContains(t, err, "max_page_size")
}
