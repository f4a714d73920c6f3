package tracetreeexporter

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/confmap"
	"go.opentelemetry.io/collector/confmap/confmaptest"

	"github.com/otelcol-genai/otelcol-genai/exporter/tracetreeexporter/internal/metadata"
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
	assert.Equal(t, component.MustNewID("tracetree_store"), cfg.Store)
	assert.Empty(t, cfg.Backend)
	// The queue must be off unless asked for: a queued batch is
	// acknowledged before it is durable, which would break the receiver's
	// "200 means stored" contract.
	assert.False(t, cfg.QueueConfig.HasValue(), "sending_queue must be disabled by default")
	assert.True(t, cfg.RetryConfig.Enabled)
	assert.Equal(t, 5*time.Second, cfg.TimeoutConfig.Timeout)
	require.NoError(t, confmap.Validate(cfg))
}

func TestCustomConfig(t *testing.T) {
	cfg := loadConfig(t, "custom")
	assert.Equal(t, component.MustNewIDWithName("tracetree_store", "shared"), cfg.Store)
	assert.Equal(t, "postgres", cfg.Backend)
	assert.Equal(t, 10*time.Second, cfg.TimeoutConfig.Timeout)
	assert.Equal(t, 30*time.Second, cfg.RetryConfig.MaxElapsedTime)
	require.True(t, cfg.QueueConfig.HasValue())
	assert.Equal(t, 2, cfg.QueueConfig.Get().NumConsumers)
	assert.Equal(t, int64(100), cfg.QueueConfig.Get().QueueSize)
	require.NotNil(t, cfg.QueueConfig.Get().StorageID)
	assert.Equal(t, component.MustNewID("file_storage"), *cfg.QueueConfig.Get().StorageID)
	require.NoError(t, confmap.Validate(cfg))
}

func TestConfigValidateErrors(t *testing.T) {
	cfg := loadConfig(t, "bad_timeout")
	assert.ErrorContains(t, confmap.Validate(cfg), "timeout")

	cfg = NewFactory().CreateDefaultConfig().(*Config)
	cfg.Store = component.ID{}
	assert.ErrorContains(t, cfg.Validate(), "store")
}
