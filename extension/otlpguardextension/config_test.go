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

	tests := []struct {
		name         string
		want         *Config
		unmarshalErr string // an error of Unmarshal (unknown keys)
		validateErr  string // an error of Validate
	}{
		{name: "", want: &Config{RetryAfter: 5 * time.Second, Admission: admission.Config{RequestLimitMiB: 16, WaitingLimitMiB: 8}}},
		{name: "custom", want: &Config{RetryAfter: 2 * time.Second, Admission: admission.Config{RequestLimitMiB: 16, WaitingLimitMiB: 4}}},
		// 0 turns admission control off.
		{name: "no_admission", want: &Config{RetryAfter: 5 * time.Second, Admission: admission.Config{WaitingLimitMiB: 8}}},
		{name: "bad_retry_after", validateErr: "retry_after"},
		{name: "bad_admission", validateErr: "waiting_limit_mib must not be negative"},
		{name: "unknown_option", unmarshalErr: "max_depth"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := NewFactory().CreateDefaultConfig()
			sub, err := cm.Sub(component.NewIDWithName(metadata.Type, tt.name).String())
			require.NoError(t, err)
			err = sub.Unmarshal(cfg)
			if tt.unmarshalErr != "" {
				require.ErrorContains(t, err, tt.unmarshalErr)
				return
			}
			require.NoError(t, err)
			if tt.validateErr != "" {
				assert.ErrorContains(t, confmap.Validate(cfg), tt.validateErr)
				return
			}
			require.NoError(t, confmap.Validate(cfg))
			assert.Equal(t, tt.want, cfg)
		})
	}
}
