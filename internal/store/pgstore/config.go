package pgstore

import (
	"errors"
	"fmt"
	"regexp"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"go.opentelemetry.io/collector/config/configopaque"
)

// Config configures the PostgreSQL backend. The same settings work for
// CockroachDB and YugabyteDB (see README.md for what differs).
type Config struct {
	// DSN is a libpq connection string or URL, e.g.
	// postgres://user@host:5432/db?sslmode=disable. It may carry a
	// password, so it is opaque (masked when the config is printed).
	DSN configopaque.String `mapstructure:"dsn"`

	// Schema holds all tables of this store. Distinct schemas isolate
	// tenants (and tests) sharing one database. Created if missing.
	Schema string `mapstructure:"schema"`

	// Pool settings (pgxpool). Zero means the pgxpool default.
	MaxConns        int32         `mapstructure:"max_conns"`
	MinConns        int32         `mapstructure:"min_conns"`
	MaxConnLifetime time.Duration `mapstructure:"max_conn_lifetime"`
	MaxConnIdleTime time.Duration `mapstructure:"max_conn_idle_time"`
	// ConnectTimeout bounds establishing one connection.
	ConnectTimeout time.Duration `mapstructure:"connect_timeout"`

	// Retry governs how transient failures (serialization failures,
	// deadlocks, dropped connections, admin shutdown) are retried.
	Retry RetryConfig `mapstructure:"retry"`
}

// RetryConfig is an exponential backoff bounded by a total time budget.
// Every write is idempotent, so retrying after an ambiguous failure (the
// connection died while COMMIT was in flight) is always safe.
type RetryConfig struct {
	// Enabled turns retries off when false (errors are returned at once).
	Enabled bool `mapstructure:"enabled"`
	// InitialInterval is the first backoff; it doubles up to MaxInterval.
	InitialInterval time.Duration `mapstructure:"initial_interval"`
	MaxInterval     time.Duration `mapstructure:"max_interval"`
	// MaxElapsedTime bounds the total time spent on one operation,
	// including its attempts; 0 means retry until the context ends.
	MaxElapsedTime time.Duration `mapstructure:"max_elapsed_time"`
}

// DefaultSchema is the schema used when Config.Schema is empty.
const DefaultSchema = "tracetree"

// DefaultConfig returns the defaults: a small pool and retries for up to a
// minute, which rides out a PostgreSQL failover or restart.
func DefaultConfig() Config {
	return Config{
		Schema:          DefaultSchema,
		MaxConns:        8,
		MinConns:        0,
		MaxConnLifetime: time.Hour,
		MaxConnIdleTime: 30 * time.Minute,
		ConnectTimeout:  10 * time.Second,
		Retry: RetryConfig{
			Enabled:         true,
			InitialInterval: 50 * time.Millisecond,
			MaxInterval:     2 * time.Second,
			MaxElapsedTime:  time.Minute,
		},
	}
}

// schemaName keeps the schema a plain lowercase identifier: it is quoted
// anyway, but a simple name avoids case surprises in psql and other tools.
var schemaName = regexp.MustCompile(`^[a-z_][a-z0-9_]{0,62}$`)

// Validate checks the configuration without connecting.
func (c *Config) Validate() error {
	var errs []error
	if c.DSN == "" {
		errs = append(errs, errors.New("dsn must be set"))
	} else if _, err := pgxpool.ParseConfig(string(c.DSN)); err != nil {
		// pgx's parse error may echo the DSN; keep only that it failed.
		errs = append(errs, errors.New("dsn is not a valid PostgreSQL connection string"))
	}
	if c.Schema != "" && !schemaName.MatchString(c.Schema) {
		errs = append(errs, fmt.Errorf("schema %q must match %s", c.Schema, schemaName))
	}
	if c.MaxConns < 0 || c.MinConns < 0 {
		errs = append(errs, errors.New("max_conns and min_conns must not be negative"))
	}
	if c.MaxConns > 0 && c.MinConns > c.MaxConns {
		errs = append(errs, fmt.Errorf("min_conns (%d) must not exceed max_conns (%d)", c.MinConns, c.MaxConns))
	}
	if c.MaxConnLifetime < 0 || c.MaxConnIdleTime < 0 || c.ConnectTimeout < 0 {
		errs = append(errs, errors.New("max_conn_lifetime, max_conn_idle_time and connect_timeout must not be negative"))
	}
	if c.Retry.Enabled {
		if c.Retry.InitialInterval <= 0 {
			errs = append(errs, errors.New("retry.initial_interval must be positive"))
		}
		if c.Retry.MaxInterval < c.Retry.InitialInterval {
			errs = append(errs, errors.New("retry.max_interval must be at least retry.initial_interval"))
		}
		if c.Retry.MaxElapsedTime < 0 {
			errs = append(errs, errors.New("retry.max_elapsed_time must not be negative"))
		}
	}
	return errors.Join(errs...)
}

// poolConfig turns the settings into a pgxpool configuration.
func (c *Config) poolConfig() (*pgxpool.Config, error) {
	pc, err := pgxpool.ParseConfig(string(c.DSN))
	if err != nil {
		return nil, errors.New("pgstore: dsn is not a valid PostgreSQL connection string")
	}
	if c.MaxConns > 0 {
		pc.MaxConns = c.MaxConns
	}
	if c.MinConns > 0 {
		pc.MinConns = c.MinConns
	}
	if c.MaxConnLifetime > 0 {
		pc.MaxConnLifetime = c.MaxConnLifetime
	}
	if c.MaxConnIdleTime > 0 {
		pc.MaxConnIdleTime = c.MaxConnIdleTime
	}
	if c.ConnectTimeout > 0 {
		pc.ConnConfig.ConnectTimeout = c.ConnectTimeout
	}
	if pc.ConnConfig.RuntimeParams == nil {
		pc.ConnConfig.RuntimeParams = map[string]string{}
	}
	if _, ok := pc.ConnConfig.RuntimeParams["application_name"]; !ok {
		pc.ConnConfig.RuntimeParams["application_name"] = "otelcol-genai"
	}
	return pc, nil
}

func (c *Config) schema() string {
	if c.Schema == "" {
		return DefaultSchema
	}
	return c.Schema
}
