package genaievalreceiver

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/confmap"
	"go.opentelemetry.io/collector/confmap/confmaptest"

	"github.com/otelcol-genai/otelcol-genai/internal/evaluate"
	"github.com/otelcol-genai/otelcol-genai/receiver/genaievalreceiver/internal/metadata"
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
	require.NoError(t, confmap.Validate(cfg))
	assert.Equal(t, component.MustNewID("tracetree_store"), cfg.Store)
	assert.True(t, cfg.AllRepos())
	assert.Equal(t, 5*time.Second, cfg.QuietPeriod)
	require.Len(t, cfg.Evaluators, 1)
	assert.Equal(t, "pii", cfg.Evaluators[0].eval.Name)
	assert.Equal(t, 1.0, cfg.Evaluators[0].Rate, "rate defaults to 1")
}

func TestConfigCustom(t *testing.T) {
	cfg := loadConfig(t, "custom")
	require.NoError(t, confmap.Validate(cfg))
	assert.Equal(t, component.MustNewIDWithName("tracetree_store", "shared"), cfg.Store)
	assert.Equal(t, "pg", cfg.Backend)
	assert.Equal(t, []string{"repo-a"}, cfg.Repos)
	assert.Equal(t, 2*time.Second, cfg.QuietPeriod)
	assert.Equal(t, 5*time.Minute, cfg.ClaimTTL)
	assert.Equal(t, 8, cfg.Concurrency)
	assert.Equal(t, 3, cfg.ErrorRetries)
	require.Len(t, cfg.Evaluators, 2)
	rel := cfg.Evaluators[0]
	assert.Equal(t, evaluate.TypeLLMJudge, rel.eval.Type)
	assert.Equal(t, "llama3", rel.eval.Judge.Model)
	assert.Equal(t, 0, rel.eval.Judge.MaxRetries, "an explicit 0 stays 0")
	assert.Equal(t, evaluate.DefaultJudgeTimeout, rel.eval.Judge.Timeout, "judge defaults apply in a list")
	assert.Equal(t, 0.25, rel.Rate)
	assert.Equal(t, Filter{Repositories: []string{"repo-a"}, Kinds: []string{"generation"}, Names: []string{"answer"},
		Tags: map[string]string{"env": "prod"}, Models: []string{"gpt-4o"}}, rel.Filter)
	assert.Equal(t, 1500.0, cfg.Evaluators[1].eval.MaxMs)
}

func TestConfigInvalid(t *testing.T) {
	err := confmap.Validate(loadConfig(t, "no_evaluators"))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "evaluators: configure at least one")

	err = confmap.Validate(loadConfig(t, "bad"))
	require.Error(t, err)
	for _, want := range []string{"concurrency", "rate: must be in [0, 1]", `unknown kind "document"`, `name "pii" used twice`} {
		assert.Contains(t, err.Error(), want)
	}
}

func TestFactory(t *testing.T) {
	f := NewFactory()
	assert.Equal(t, metadata.Type, f.Type())
	assert.Equal(t, metadata.LogsStability, f.LogsStability())
}
