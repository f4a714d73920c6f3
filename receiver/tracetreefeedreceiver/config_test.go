package tracetreefeedreceiver

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/confmap"
	"go.opentelemetry.io/collector/confmap/confmaptest"

	"github.com/otelcol-genai/otelcol-genai/receiver/tracetreefeedreceiver/internal/metadata"
)

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
	assert.NoError(t, confmap.Validate(cfg))
	assert.True(t, cfg.AllRepos())
	assert.Equal(t, component.MustNewID("tracetree_store"), cfg.Store)
}

func TestConfigCustom(t *testing.T) {
	cfg := loadConfig(t, "custom")
	require.NoError(t, confmap.Validate(cfg))
	assert.Equal(t, component.MustNewIDWithName("tracetree_store", "shared"), cfg.Store)
	assert.Equal(t, "pg", cfg.Backend)
	assert.Equal(t, []string{"repo-a", "repo-b"}, cfg.Repos)
	assert.False(t, cfg.AllRepos())
	assert.Equal(t, 2*time.Second, cfg.QuietPeriod)
	assert.Equal(t, 30*time.Minute, cfg.IncompleteTimeout)
	assert.Equal(t, 500*time.Millisecond, cfg.PollInterval)
	assert.Equal(t, LateUpdatesDrop, cfg.LateUpdates)
	assert.Equal(t, "checkout-agent", cfg.ServiceName)
	assert.Equal(t, 200, cfg.BatchSize)
}

func TestConfigInvalid(t *testing.T) {
	for name, want := range map[string][]string{
		"bad_late_updates": {"late_updates"},
		"bad_repos":        {`"*" already selects`},
		"bad_timeouts":     {"incomplete_timeout", "poll_interval"},
	} {
		t.Run(name, func(t *testing.T) {
			err := confmap.Validate(loadConfig(t, name))
			require.Error(t, err)
			for _, w := range want {
				assert.ErrorContains(t, err, w)
			}
		})
	}
	cfg := createDefaultConfig().(*Config)
	cfg.Repos = nil
	cfg.ServiceName = ""
	cfg.BatchSize = 0
	err := cfg.Validate()
	assert.ErrorContains(t, err, "repos")
	assert.ErrorContains(t, err, "service_name")
	assert.ErrorContains(t, err, "batch_size")
}
