package otlpguardextension

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/confmap"
	"go.opentelemetry.io/collector/confmap/confmaptest"

	"github.com/otelcol-genai/otelcol-genai/extension/otlpguardextension/internal/metadata"
	"github.com/otelcol-genai/otelcol-genai/internal/admission"
)

// TestLoadConfig: retry_after and admission are the options; anything else
// under the extension is a configuration mistake and is refused rather than
// ignored.
func TestLoadConfig(t *testing.T) {
	cm, err := confmaptest.LoadConf(filepath.Join("testdata", "config.yaml"))
	require.NoError(t, err)

	cfg := NewFactory().CreateDefaultConfig()
	sub, err := cm.Sub(component.NewID(metadata.Type).String())
	require.NoError(t, err)
	require.NoError(t, sub.Unmarshal(cfg))
	require.NoError(t, confmap.Validate(cfg))
	assert.Equal(t, &Config{RetryAfter: 5 * time.Second, Admission: admission.Config{RequestLimitMiB: 16, WaitingLimitMiB: 8}}, cfg)

	cfg = NewFactory().CreateDefaultConfig()
	sub, err = cm.Sub(component.NewIDWithName(metadata.Type, "custom").String())
	require.NoError(t, err)
	require.NoError(t, sub.Unmarshal(cfg))
	require.NoError(t, confmap.Validate(cfg))
	assert.Equal(t, &Config{RetryAfter: 2 * time.Second, Admission: admission.Config{RequestLimitMiB: 16, WaitingLimitMiB: 4}}, cfg)

	cfg = NewFactory().CreateDefaultConfig()
	sub, err = cm.Sub(component.NewIDWithName(metadata.Type, "no_admission").String())
	require.NoError(t, err)
	require.NoError(t, sub.Unmarshal(cfg))
	require.NoError(t, confmap.Validate(cfg))
	assert.Zero(t, cfg.(*Config).Admission.RequestLimitMiB, "0 turns admission control off")

	cfg = NewFactory().CreateDefaultConfig()
	sub, err = cm.Sub(component.NewIDWithName(metadata.Type, "bad_admission").String())
	require.NoError(t, err)
	require.NoError(t, sub.Unmarshal(cfg))
	assert.ErrorContains(t, confmap.Validate(cfg), "waiting_limit_mib must not be negative")

	cfg = NewFactory().CreateDefaultConfig()
	sub, err = cm.Sub(component.NewIDWithName(metadata.Type, "bad_retry_after").String())
	require.NoError(t, err)
	require.NoError(t, sub.Unmarshal(cfg))
	assert.ErrorContains(t, confmap.Validate(cfg), "retry_after")

	cfg = NewFactory().CreateDefaultConfig()
	sub, err = cm.Sub(component.NewIDWithName(metadata.Type, "unknown_option").String())
	require.NoError(t, err)
	err = sub.Unmarshal(cfg)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "max_depth")
}
