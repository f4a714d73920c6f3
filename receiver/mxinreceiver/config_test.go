package mxinreceiver

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

	"github.com/otelcol-genai/otelcol-genai/internal/admission"
	"github.com/otelcol-genai/otelcol-genai/receiver/mxinreceiver/internal/metadata"
)

func TestCreateDefaultConfig(t *testing.T) {
	cfg := NewFactory().CreateDefaultConfig().(*Config)
	require.NoError(t, componenttest.CheckConfigStruct(cfg))
	assert.Equal(t, "localhost:8088", cfg.NetAddr.Endpoint)
	assert.GreaterOrEqual(t, cfg.MaxRequestBodySize, int64(64<<20))
	assert.Equal(t, time.Hour, cfg.UploadURL.TTL)
	// The default has no authenticator: running without one must be a
	// deliberate choice.
	assert.ErrorContains(t, confmap.Validate(cfg), "no authenticator")
}

func TestLoadConfig(t *testing.T) {
	cm, err := confmaptest.LoadConf(filepath.Join("testdata", "config.yaml"))
	require.NoError(t, err)
	authID := component.MustNewID("maxim_auth")
	teamID := component.MustNewIDWithName("maxim_auth", "team")
	blobID := component.MustNewIDWithName("file_storage", "blobs")

	tests := []struct {
		name    string
		check   func(t *testing.T, cfg *Config)
		wantErr string
	}{
		{name: "", check: func(t *testing.T, cfg *Config) {
			assert.Equal(t, &authID, cfg.Authenticator)
			assert.Nil(t, cfg.BlobStorage)
			assert.Equal(t, "localhost:8088", cfg.NetAddr.Endpoint)
			assert.True(t, cfg.Langfuse.Enabled, "the Langfuse route is served by default")
			assert.Equal(t, admission.Config{RequestLimitMiB: 16, WaitingLimitMiB: 8}, cfg.Admission, "admission control is on by default")
		}},
		{name: "full", check: func(t *testing.T, cfg *Config) {
			assert.Equal(t, "0.0.0.0:9099", cfg.NetAddr.Endpoint)
			assert.Equal(t, int64(1048576), cfg.MaxRequestBodySize)
			assert.Equal(t, &teamID, cfg.Authenticator)
			assert.Equal(t, &blobID, cfg.BlobStorage)
			assert.Equal(t, "s3cret", string(cfg.UploadURL.Secret))
			assert.Equal(t, 10*time.Minute, cfg.UploadURL.TTL)
			assert.Equal(t, "https://ingest.example.com", cfg.UploadURL.PublicEndpoint)
			assert.Equal(t, 2*time.Second, cfg.RetryAfter)
			assert.Equal(t, admission.Config{RequestLimitMiB: 16}, cfg.Admission)
			assert.False(t, cfg.Langfuse.Enabled)
		}},
		{name: "dev", check: func(t *testing.T, cfg *Config) {
			assert.True(t, cfg.InsecureNoAuth)
			assert.Nil(t, cfg.Authenticator)
		}},
		{name: "no_auth", wantErr: "no authenticator"},
		{name: "confighttp_auth", wantErr: "auth: not supported on this receiver"},
		{name: "bad_public_endpoint", wantErr: "want an absolute http(s) URL"},
		{name: "bad_admission", wantErr: "admission: request_limit_mib must not be negative"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := NewFactory().CreateDefaultConfig()
			sub, err := cm.Sub(component.NewIDWithName(metadata.Type, tt.name).String())
			require.NoError(t, err)
			require.NoError(t, sub.Unmarshal(cfg))
			err = confmap.Validate(cfg)
			if tt.wantErr != "" {
				require.Error(t, err)
				assert.Contains(t, err.Error(), tt.wantErr)
				return
			}
			require.NoError(t, err)
			tt.check(t, cfg.(*Config))
		})
	}
}
