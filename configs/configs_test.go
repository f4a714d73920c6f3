// Package configs holds the runnable collector configurations. This test
// loads and validates every one of them with the distribution's components,
// so a broken config fails CI.
package configs

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/otelcol"

	"github.com/otelcol-genai/otelcol-genai/internal/components"
)

// envNames are the variables the configs may read (README "Configuration").
var envNames = map[string]bool{
	"GENAI_DATA_DIR":            true,
	"GENAI_OTLP_GRPC_ENDPOINT":  true,
	"GENAI_OTLP_HTTP_ENDPOINT":  true,
	"GENAI_MXIN_ENDPOINT":       true,
	"GENAI_QUERY_ENDPOINT":      true,
	"GENAI_API_KEY":             true,
	"GENAI_POSTGRES_DSN":        true,
	"GENAI_KAFKA_BROKERS":       true,
	"GENAI_HEALTH_ENDPOINT":     true,
	"GENAI_METRICS_PORT":        true,
	"GENAI_UPSTREAM_OTLP":       true,
	"GENAI_PROMETHEUS_ENDPOINT": true,
	"GENAI_JUDGE_BASE_URL":      true,
	"GENAI_JUDGE_MODEL":         true,
	"GENAI_JUDGE_API_KEY":       true,
	"DD_API_KEY":                true,
	"DD_SITE":                   true,
	"NEW_RELIC_LICENSE_KEY":     true,
	"NEW_RELIC_OTLP_ENDPOINT":   true,
}

var envRef = regexp.MustCompile(`\$\{env:([A-Za-z0-9_]+)(:-[^}]*)?\}`)

func configFiles(t *testing.T) []string {
	t.Helper()
	files, err := filepath.Glob("*.yaml")
	require.NoError(t, err)
	require.NotEmpty(t, files)
	return files
}

func TestConfigsValidate(t *testing.T) {
	for _, file := range configFiles(t) {
		t.Run(file, func(t *testing.T) {
			col, err := otelcol.NewCollector(components.Settings("test", "file:"+file))
			require.NoError(t, err)
			require.NoError(t, col.DryRun(context.Background()), "%s must load and validate", file)
		})
	}
}

// TestConfigsReadEnvWithDefaults keeps every endpoint, directory and key
// overridable so several instances and tests can run side by side, and
// runnable with no environment at all (every reference has a default).
func TestConfigsReadEnvWithDefaults(t *testing.T) {
	for _, file := range configFiles(t) {
		raw, err := os.ReadFile(file)
		require.NoError(t, err)
		refs := envRef.FindAllStringSubmatch(string(raw), -1)
		assert.NotEmpty(t, refs, "%s reads nothing from the environment", file)
		for _, m := range refs {
			assert.True(t, envNames[m[1]], "%s uses undocumented variable %s", file, m[1])
			assert.NotEmpty(t, m[2], "%s: ${env:%s} needs a default (${env:%s:-…})", file, m[1], m[1])
		}
	}
}
