// Package configs holds the runnable collector configurations. This test
// loads and validates every one of them with the distribution's components,
// so a broken config fails CI.
package configs

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/confmap"
	"go.opentelemetry.io/collector/otelcol"
	"gopkg.in/yaml.v3"

	"github.com/otelcol-genai/otelcol-genai/internal/components"
)

// envNames are the variables the configs may read (README "Configuration").
var envNames = map[string]bool{
	"GENAI_DATA_DIR":             true,
	"GENAI_ALERT_WEBHOOK_URL":    true,
	"GENAI_ALERT_WEBHOOK_FORMAT": true,
	"GENAI_OTLP_GRPC_ENDPOINT":   true,
	"GENAI_OTLP_HTTP_ENDPOINT":   true,
	"GENAI_MXIN_ENDPOINT":        true,
	"GENAI_QUERY_ENDPOINT":       true,
	"GENAI_API_KEY":              true,
	"GENAI_POSTGRES_DSN":         true,
	"GENAI_KAFKA_BROKERS":        true,
	"GENAI_KAFKA_INSTANCE_ID":    true,
	"GENAI_HEALTH_ENDPOINT":      true,
	"GENAI_METRICS_PORT":         true,
	"GENAI_UPSTREAM_OTLP":        true,
	"GENAI_PROMETHEUS_ENDPOINT":  true,
	"GENAI_JUDGE_BASE_URL":       true,
	"GENAI_JUDGE_MODEL":          true,
	"GENAI_JUDGE_API_KEY":        true,
	"DD_API_KEY":                 true,
	"DD_SITE":                    true,
	"DD_OTLP_TRACES_ENDPOINT":    true,
	"DD_OTLP_METRICS_ENDPOINT":   true,
	"DD_OTLP_LOGS_ENDPOINT":      true,
	"DD_OTLP_SOURCE":             true,
	"NEW_RELIC_LICENSE_KEY":      true,
	"NEW_RELIC_OTLP_ENDPOINT":    true,
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

// TestOTLPLogsWhereverOTLPComesIn keeps GenAI log events from being lost: a
// config that takes OTLP traces from an otlp or mxin receiver also takes
// that receiver's logs, through genai_normalize (which turns span-linked
// records into commits; without it the store would refuse them).
func TestOTLPLogsWhereverOTLPComesIn(t *testing.T) {
	type pipeline struct {
		Receivers  []string `yaml:"receivers"`
		Processors []string `yaml:"processors"`
	}
	for _, file := range configFiles(t) {
		t.Run(file, func(t *testing.T) {
			raw, err := os.ReadFile(file)
			require.NoError(t, err)
			var cfg struct {
				Service struct {
					Pipelines map[string]pipeline `yaml:"pipelines"`
				} `yaml:"service"`
			}
			require.NoError(t, yaml.Unmarshal(raw, &cfg))
			inTraces, inLogs := map[string]bool{}, map[string]bool{}
			for name, p := range cfg.Service.Pipelines {
				for _, r := range p.Receivers {
					if r != "otlp" && r != "mxin" {
						continue
					}
					switch {
					case name == "traces" || strings.HasPrefix(name, "traces/"):
						inTraces[r] = true
					case name == "logs" || strings.HasPrefix(name, "logs/"):
						assert.Contains(t, p.Processors, "genai_normalize", "%s: pipeline %s takes %s logs without genai_normalize", file, name, r)
						inLogs[r] = true
					}
				}
			}
			for r := range inTraces {
				assert.True(t, inLogs[r], "%s: %s receives traces but not logs (GenAI events would be refused)", file, r)
			}
		})
	}
}

// TestOTLPHTTPGuarded: every otlp receiver's HTTP protocol runs maxim_auth
// and then otlp_guard as middlewares. maxim_auth as middleware refuses with
// Maxim's 403 like every other endpoint (an auth: block would answer 401),
// and first, so a request without a key is refused before its body is read;
// otlp_guard gives OTLP/JSON that is not UTF-8 or nests values too deep a
// 400 instead of the core receiver's 500 or an unbounded decode
// (extension/otlpguardextension/README.md).
func TestOTLPHTTPGuarded(t *testing.T) {
	for _, file := range configFiles(t) {
		t.Run(file, func(t *testing.T) {
			raw, err := os.ReadFile(file)
			require.NoError(t, err)
			var cfg struct {
				Receivers map[string]struct {
					Protocols struct {
						HTTP *struct {
							Auth        any `yaml:"auth"`
							Middlewares []struct {
								ID string `yaml:"id"`
							} `yaml:"middlewares"`
						} `yaml:"http"`
					} `yaml:"protocols"`
				} `yaml:"receivers"`
			}
			require.NoError(t, yaml.Unmarshal(raw, &cfg))
			for id, r := range cfg.Receivers {
				if (id != "otlp" && !strings.HasPrefix(id, "otlp/")) || r.Protocols.HTTP == nil {
					continue
				}
				var ids []string
				for _, m := range r.Protocols.HTTP.Middlewares {
					ids = append(ids, m.ID)
				}
				assert.Equal(t, []string{"maxim_auth", "otlp_guard"}, ids, "%s: receiver %s: OTLP/HTTP middlewares", file, id)
				assert.Nil(t, r.Protocols.HTTP.Auth, "%s: receiver %s: an auth: block answers 401, not Maxim's 403", file, id)
			}
		})
	}
}

// TestVendorsDatadogRoutes pins the two documented ways vendors.yaml feeds
// Datadog over OTLP/HTTP: by default Datadog's OTLP intake, one host per
// signal derived from DD_SITE, with the key and the LLM Observability source
// in headers; with DD_OTLP_*_ENDPOINT set, a Datadog Agent's OTLP ingest.
func TestVendorsDatadogRoutes(t *testing.T) {
	resolve := func(t *testing.T) *confmap.Conf {
		t.Helper()
		r, err := confmap.NewResolver(components.Settings("test", "file:vendors.yaml").ConfigProviderSettings.ResolverSettings)
		require.NoError(t, err)
		conf, err := r.Resolve(context.Background())
		require.NoError(t, err)
		return conf
	}
	const dd = "exporters::otlp_http/datadog::"
	t.Run("intake per site", func(t *testing.T) {
		t.Setenv("DD_SITE", "datadoghq.eu")
		t.Setenv("DD_API_KEY", "k-123")
		c := resolve(t)
		assert.Equal(t, "https://otlp.datadoghq.eu/v1/traces", c.Get(dd+"traces_endpoint"))
		assert.Equal(t, "https://api.datadoghq.eu/api/intake/otlp/v1/metrics", c.Get(dd+"metrics_endpoint"))
		assert.Equal(t, "https://http-intake.logs.datadoghq.eu/v1/logs", c.Get(dd+"logs_endpoint"))
		assert.Equal(t, "k-123", c.Get(dd+"headers::dd-api-key"))
		assert.Equal(t, "llmobs", c.Get(dd+"headers::dd-otlp-source"))
		assert.Equal(t, "otlp", c.Get(dd+"headers::dd-protocol"))
		assert.Equal(t, "proto", c.Get(dd+"encoding"))
	})
	t.Run("default site", func(t *testing.T) {
		t.Setenv("DD_SITE", "")
		os.Unsetenv("DD_SITE")
		assert.Equal(t, "https://otlp.datadoghq.com/v1/traces", resolve(t).Get(dd+"traces_endpoint"))
	})
	t.Run("agent", func(t *testing.T) {
		t.Setenv("DD_OTLP_TRACES_ENDPOINT", "http://dd-agent:4318/v1/traces")
		t.Setenv("DD_OTLP_METRICS_ENDPOINT", "http://dd-agent:4318/v1/metrics")
		t.Setenv("DD_OTLP_LOGS_ENDPOINT", "http://dd-agent:4318/v1/logs")
		c := resolve(t)
		assert.Equal(t, "http://dd-agent:4318/v1/traces", c.Get(dd+"traces_endpoint"))
		assert.Equal(t, "http://dd-agent:4318/v1/metrics", c.Get(dd+"metrics_endpoint"))
		assert.Equal(t, "http://dd-agent:4318/v1/logs", c.Get(dd+"logs_endpoint"))
	})
}
