package tracetreestore

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/confmap"
	"go.opentelemetry.io/collector/confmap/confmaptest"

	"github.com/otelcol-genai/otelcol-genai/extension/tracetreestore/internal/metadata"
	"github.com/otelcol-genai/otelcol-genai/internal/pricing"
	"github.com/otelcol-genai/otelcol-genai/internal/store/indexer"
	"github.com/otelcol-genai/otelcol-genai/internal/store/pebblestore"
	"github.com/otelcol-genai/otelcol-genai/internal/store/pgstore"
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

func TestSingleBackendConfig(t *testing.T) {
	cfg := loadConfig(t, "")
	require.NoError(t, confmap.Validate(cfg))
	require.Len(t, cfg.Backends, 1)
	p := cfg.Backends["main"].Pebble
	require.NotNil(t, p)
	want := pebblestore.DefaultConfig()
	want.Directory = "/var/lib/otelcol-genai/tracetree"
	assert.Equal(t, want, *p, "unset pebble fields keep their defaults (sync stays on)")
	assert.Nil(t, cfg.Backends["main"].Postgres)
	name, err := cfg.defaultName()
	require.NoError(t, err)
	assert.Equal(t, "main", name, "a single backend is the default")
	assert.Equal(t, 720*time.Hour, cfg.Retention.TTL)
	assert.Equal(t, time.Hour, cfg.Retention.Interval)
	assert.Equal(t, 15*time.Second, cfg.Indexer.Lease.TTL, "the lease TTL defaults to 15s")
}

func TestFullConfig(t *testing.T) {
	cfg := loadConfig(t, "full")
	require.NoError(t, confmap.Validate(cfg))
	assert.Equal(t, "shared", cfg.DefaultBackend)
	local := cfg.Backends["local"].Pebble
	require.NotNil(t, local)
	assert.Equal(t, pebblestore.Config{Directory: "./data/local", Sync: false, CacheSizeMiB: 256, MemTableSizeMiB: pebblestore.DefaultConfig().MemTableSizeMiB}, *local)
	pg := cfg.Backends["shared"].Postgres
	require.NotNil(t, pg)
	assert.Equal(t, "postgres://otel@127.0.0.1:5432/test?sslmode=disable", string(pg.DSN))
	assert.Equal(t, "tracetree_full", pg.Schema)
	assert.Equal(t, int32(16), pg.MaxConns)
	assert.Equal(t, pgstore.DefaultConfig().Retry, pg.Retry, "unset postgres fields keep their defaults")
	assert.Equal(t, 168*time.Hour, cfg.Retention.TTL)
	assert.Equal(t, 10*time.Minute, cfg.Retention.Interval)
	assert.Equal(t, IndexerConfig{Debounce: 200 * time.Millisecond, PollInterval: 2 * time.Second, BatchSize: 500, SubscriberBuffer: 64,
		Lease: indexer.LeaseConfig{TTL: 30 * time.Second}}, cfg.Indexer)
	assert.Equal(t, 30*time.Second, cfg.indexerConfig().Lease.TTL, "the lease reaches the indexer")
	assert.Equal(t, "./prices.json", cfg.Pricing.DataFile)
	require.Len(t, cfg.Pricing.Overrides, 2)
	o := cfg.Pricing.Overrides[0]
	assert.Equal(t, "my-finetune", o.Model)
	assert.Equal(t, "openai", o.Provider)
	require.NotNil(t, o.CacheReadMTok)
	assert.Equal(t, 1.5, *o.CacheReadMTok)
	assert.Equal(t, "gpt-4o", cfg.Pricing.Overrides[1].ModelPrefix)
	assert.Equal(t, "2026-01-01", cfg.Pricing.Overrides[1].EffectiveFrom)
}

// TestPricingTable: the configured overrides price calls before the
// embedded data; a missing data file fails start with its path.
func TestPricingTable(t *testing.T) {
	cfg := loadConfig(t, "full")
	cfg.Pricing.DataFile = ""
	table, err := cfg.Pricing.table()
	require.NoError(t, err)
	r, err := table.Calc(pricing.Usage{InputTokens: 1_000_000, OutputTokens: 1_000_000}, "my-finetune", "openai", time.Now())
	require.NoError(t, err)
	assert.InDelta(t, 15.0, r.TotalCost, 1e-9)
	assert.Equal(t, "config", r.Source)
	_, err = table.Calc(pricing.Usage{InputTokens: 1}, "my-finetune", "anthropic", time.Now())
	assert.ErrorIs(t, err, pricing.ErrUnknownModel, "an override limited to openai does not price another provider's call")

	cfg.Pricing.DataFile = filepath.Join(t.TempDir(), "missing.json")
	_, err = cfg.Pricing.table()
	assert.ErrorContains(t, err, "pricing::data_file")
	assert.ErrorContains(t, err, "missing.json")
}

func TestConfigValidateErrors(t *testing.T) {
	err := confmap.Validate(loadConfig(t, "empty"))
	require.Error(t, err)
	assert.ErrorContains(t, err, "at least one backend")

	err = confmap.Validate(loadConfig(t, "bad"))
	require.Error(t, err)
	for _, want := range []string{
		"backends::both: multiple backend types",
		"backends::nodir: pebble: directory must be set",
		"backends::none: empty configuration",
		`default_backend: "nope" is not one of the configured backends`,
		"retention: ttl must not be negative",
		"batch_size must be positive",
		"lease: ttl must be at least 300ms",
		"input_mtok",
	} {
		assert.ErrorContains(t, err, want)
	}

	two := loadConfig(t, "full")
	two.DefaultBackend = ""
	assert.ErrorContains(t, two.Validate(), "default_backend: must be set when more than one backend")
}
