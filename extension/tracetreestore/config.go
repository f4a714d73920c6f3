package tracetreestore

import (
	"errors"
	"fmt"
	"sort"
	"time"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/confmap"

	"github.com/otelcol-genai/otelcol-genai/internal/pricing"
	"github.com/otelcol-genai/otelcol-genai/internal/store/indexer"
	"github.com/otelcol-genai/otelcol-genai/internal/store/pebblestore"
	"github.com/otelcol-genai/otelcol-genai/internal/store/pgstore"
)

// Config is the tracetree_store configuration: named backends (the
// jaeger_storage shape), which one is the default, retention and indexer
// tuning shared by all backends.
type Config struct {
	// Backends maps a name to exactly one backend kind.
	Backends map[string]BackendConfig `mapstructure:"backends"`
	// DefaultBackend is used when a component asks for backend "". It may be
	// omitted when exactly one backend is configured.
	DefaultBackend string `mapstructure:"default_backend"`
	// Retention deletes traces and sessions idle longer than ttl.
	Retention indexer.RetentionConfig `mapstructure:"retention"`
	// Indexer tunes summary indexing and the live feed.
	Indexer IndexerConfig `mapstructure:"indexer"`
	// Pricing is where computed costs come from: every tree this store
	// serves and every summary row it indexes is priced with it.
	Pricing PricingConfig `mapstructure:"pricing"`

	// prevent unkeyed literal initialization
	_ struct{}
}

// IndexerConfig tunes the shared indexer (see internal/store/indexer).
type IndexerConfig struct {
	// Debounce is how long to wait after a change before re-summarizing.
	Debounce time.Duration `mapstructure:"debounce"`
	// PollInterval re-reads the change log without a local write (other
	// processes writing to a shared PostgreSQL).
	PollInterval time.Duration `mapstructure:"poll_interval"`
	// BatchSize is how many changed nodes one pass handles.
	BatchSize int `mapstructure:"batch_size"`
	// SubscriberBuffer is a live subscriber's channel size.
	SubscriberBuffer int `mapstructure:"subscriber_buffer"`
	// Lease configures fleet indexing on a postgres backend: the members
	// sharing it split the change log's shards by leases of this TTL, so
	// each change is indexed once across the fleet.
	Lease indexer.LeaseConfig `mapstructure:"lease"`
}

// PricingConfig selects the price table (internal/pricing): the price
// data embedded in the binary (Pydantic's genai-prices, see `make
// prices`), or a newer data file of the same format, plus overrides.
type PricingConfig struct {
	// DataFile replaces the embedded price data with this file (a
	// genai-prices data file as `make prices` writes it), without a rebuild.
	DataFile string `mapstructure:"data_file"`
	// Overrides add or replace prices; they are checked before the price
	// data, and among themselves the latest effective_from in force wins.
	Overrides []pricing.Override `mapstructure:"overrides"`
}

// table builds the price table the configuration describes.
func (p *PricingConfig) table() (*pricing.Table, error) {
	t := pricing.MustDefault()
	if p.DataFile != "" {
		var err error
		if t, err = pricing.Load(p.DataFile); err != nil {
			return nil, fmt.Errorf("pricing::data_file: %w", err)
		}
	}
	if len(p.Overrides) == 0 {
		return t, nil
	}
	t, err := t.With(p.Overrides)
	if err != nil {
		return nil, fmt.Errorf("pricing::overrides: %w", err)
	}
	return t, nil
}

// BackendConfig is a union: exactly one of its kinds is set.
type BackendConfig struct {
	Pebble   *pebblestore.Config `mapstructure:"pebble"`
	Postgres *pgstore.Config     `mapstructure:"postgres"`
}

var (
	_ component.Config    = (*Config)(nil)
	_ confmap.Unmarshaler = (*BackendConfig)(nil)
)

// Unmarshal starts each configured kind from its defaults, so a YAML block
// only has to name what differs (e.g. just `pebble: {directory: …}` keeps
// sync on).
func (b *BackendConfig) Unmarshal(conf *confmap.Conf) error {
	if conf.IsSet("pebble") {
		d := pebblestore.DefaultConfig()
		b.Pebble = &d
	}
	if conf.IsSet("postgres") {
		d := pgstore.DefaultConfig()
		b.Postgres = &d
	}
	return conf.Unmarshal(b)
}

// Validate checks one backend.
func (b *BackendConfig) Validate() error {
	switch {
	case b.Pebble == nil && b.Postgres == nil:
		return errors.New("empty configuration: set one of pebble, postgres")
	case b.Pebble != nil && b.Postgres != nil:
		return errors.New("multiple backend types found: set only one of pebble, postgres")
	case b.Pebble != nil:
		return b.Pebble.Validate()
	default:
		return b.Postgres.Validate()
	}
}

// Validate checks the configuration.
func (c *Config) Validate() error {
	var errs []error
	if len(c.Backends) == 0 {
		errs = append(errs, errors.New("backends: at least one backend must be configured"))
	}
	names := make([]string, 0, len(c.Backends))
	for name := range c.Backends {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		b := c.Backends[name]
		if name == "" {
			errs = append(errs, errors.New("backends: a backend name must not be empty"))
		}
		if err := b.Validate(); err != nil {
			errs = append(errs, fmt.Errorf("backends::%s: %w", name, err))
		}
	}
	if _, err := c.defaultName(); err != nil && len(c.Backends) > 0 {
		errs = append(errs, err)
	}
	ic := c.indexerConfig()
	if err := ic.Validate(); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// defaultName resolves default_backend.
func (c *Config) defaultName() (string, error) {
	if c.DefaultBackend != "" {
		if _, ok := c.Backends[c.DefaultBackend]; !ok {
			return "", fmt.Errorf("default_backend: %q is not one of the configured backends", c.DefaultBackend)
		}
		return c.DefaultBackend, nil
	}
	if len(c.Backends) == 1 {
		for name := range c.Backends {
			return name, nil
		}
	}
	return "", errors.New("default_backend: must be set when more than one backend is configured")
}

func (c *Config) indexerConfig() indexer.Config {
	return indexer.Config{
		Debounce:         c.Indexer.Debounce,
		PollInterval:     c.Indexer.PollInterval,
		BatchSize:        c.Indexer.BatchSize,
		SubscriberBuffer: c.Indexer.SubscriberBuffer,
		Retention:        c.Retention,
		Lease:            c.Indexer.Lease,
	}
}
