package genaialertsextension

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/confmap"
	"go.opentelemetry.io/collector/confmap/confmaptest"

	"github.com/otelcol-genai/otelcol-genai/extension/genaialertsextension/internal/metadata"
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
	assert.Equal(t, defaultInterval, cfg.EvaluationInterval)
	assert.Equal(t, defaultHistoryLimit, cfg.HistoryLimit)
	assert.True(t, cfg.RetryOnFailure.Enabled)
	require.Len(t, cfg.Rules, 1)
	require.NoError(t, confmap.Validate(cfg))
}

func TestCustomConfig(t *testing.T) {
	cfg := loadConfig(t, "custom")
	require.NoError(t, confmap.Validate(cfg))
	assert.Equal(t, component.MustNewIDWithName("tracetree_store", "shared"), cfg.Store)
	assert.Equal(t, "postgres", cfg.Backend)
	assert.Equal(t, 30*time.Second, cfg.EvaluationInterval)
	assert.Equal(t, 50, cfg.HistoryLimit)
	assert.Equal(t, 2*time.Second, cfg.RetryOnFailure.InitialInterval)
	assert.Equal(t, 2*time.Minute, cfg.RetryOnFailure.MaxElapsedTime)
	require.Len(t, cfg.Webhooks, 3)
	assert.Equal(t, "https://hooks.example.com/alerts", cfg.Webhooks["ops"].Endpoint)
	assert.Equal(t, 3*time.Second, cfg.Webhooks["ops"].Timeout)
	assert.Equal(t, FormatSlack, cfg.Webhooks["slack"].Format)
	pii := cfg.Rules[0]
	assert.Equal(t, "pii-leak", pii.Name)
	assert.Equal(t, "pii", pii.Evaluator)
	assert.Equal(t, time.Minute, pii.Window)
	assert.Equal(t, 10*time.Second, pii.Interval)
	op, th, n := pii.threshold()
	assert.Equal(t, "at_least", op)
	assert.Equal(t, 1.0, th)
	assert.Equal(t, 1, n)
	assert.Equal(t, []string{"slack"}, pii.Webhooks)
	assert.Equal(t, int64(20), cfg.Rules[1].MinSamples)
	assert.Equal(t, []string{"support-bot"}, cfg.Rules[1].Repositories)

	ext, err := newAlertsExtension(cfg, extensiontestSettings())
	require.NoError(t, err)
	assert.Equal(t, []component.ID{cfg.Store}, ext.Dependencies())
	assert.Equal(t, []string{"disabled", "ops", "slack"}, ext.webhooksOf(&cfg.Rules[1]), "no webhooks listed: all of them")
}

func TestConfigValidateErrors(t *testing.T) {
	err := confmap.Validate(loadConfig(t, "bad"))
	require.Error(t, err)
	for _, want := range []string{
		"evaluation_interval", "history_limit",
		"webhooks::w: endpoint", "webhooks::w: format",
		"rules[a]: metric", "rules[a]: window", "rules[a]: want exactly one of above, at_least, below, at_most; got 0",
		"rules[a]: name: duplicate", "rules[a]: evaluator: eval_failure_rate needs", "got 2", `webhooks: "nope" is not configured`,
		"rules[c]: evaluator: only eval_* metrics", "rules[c]: window", "rules[c]: min_samples",
	} {
		assert.ErrorContains(t, err, want)
	}
	assert.ErrorContains(t, confmap.Validate(loadConfig(t, "norules")), "rules: at least one rule")
}
