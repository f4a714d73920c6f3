package indexer

import (
	"errors"
	"fmt"
	"time"
)

// Config tunes the indexer.
type Config struct {
	// Debounce is how long the indexer waits after a change before
	// assembling: commits of one trace usually arrive in a burst, and one
	// assembly after the burst is cheaper than one per Apply.
	Debounce time.Duration `mapstructure:"debounce"`
	// PollInterval re-reads the backend's change log even without a local
	// Apply: with a shared backend (PostgreSQL) other processes write too.
	PollInterval time.Duration `mapstructure:"poll_interval"`
	// BatchSize is how many changed nodes one read of the change log
	// returns; a pass reads until it is caught up (up to maxPassRefs).
	BatchSize int `mapstructure:"batch_size"`
	// SubscriberBuffer is the channel size of a live-feed subscriber; when
	// it is full, the subscriber gets a resync marker instead of blocking.
	SubscriberBuffer int `mapstructure:"subscriber_buffer"`
	// Retention deletes traces and sessions idle for longer than TTL.
	Retention RetentionConfig `mapstructure:"retention"`
	// Lease configures fleet indexing: with a backend whose change log is
	// sharded (store.ShardedChangeLog, i.e. PostgreSQL), each member
	// indexes only the shards it holds a lease on (leases.go).
	Lease LeaseConfig `mapstructure:"lease"`

	// leaseEvery, when set, renews leases more often than Lease.TTL/3:
	// tests that assert who indexed what use a TTL no loaded machine can
	// outlast, yet rebalance at a test's pace.
	leaseEvery time.Duration
}

// LeaseConfig configures the shard leases of fleet indexing.
type LeaseConfig struct {
	// TTL is how long a lease lasts without renewal: a member that stops
	// (crash, network partition) has its shards taken over by the others
	// after at most TTL. Leases are renewed every TTL/3.
	TTL time.Duration `mapstructure:"ttl"`
}

// minLeaseTTL bounds how often members may write to the database for
// their leases (a renewal every TTL/3).
const minLeaseTTL = 300 * time.Millisecond

// RetentionConfig configures the periodic retention job.
type RetentionConfig struct {
	// TTL is the idle time after which a trace (and its nodes) or a session
	// is deleted; 0 disables retention.
	TTL time.Duration `mapstructure:"ttl"`
	// Interval is how often the retention job runs.
	Interval time.Duration `mapstructure:"interval"`
}

// DefaultConfig returns the defaults.
func DefaultConfig() Config {
	return Config{
		Debounce:         50 * time.Millisecond,
		PollInterval:     time.Second,
		BatchSize:        1000,
		SubscriberBuffer: 256,
		Retention:        RetentionConfig{TTL: 720 * time.Hour, Interval: time.Hour},
		Lease:            LeaseConfig{TTL: 15 * time.Second},
	}
}

// Validate checks the configuration.
func (c *Config) Validate() error {
	var errs []error
	if c.Debounce < 0 {
		errs = append(errs, errors.New("indexer: debounce must not be negative"))
	}
	if c.PollInterval <= 0 {
		errs = append(errs, errors.New("indexer: poll_interval must be positive"))
	}
	if c.BatchSize <= 0 {
		errs = append(errs, errors.New("indexer: batch_size must be positive"))
	}
	if c.SubscriberBuffer <= 0 {
		errs = append(errs, errors.New("indexer: subscriber_buffer must be positive"))
	}
	if c.Retention.TTL < 0 {
		errs = append(errs, errors.New("retention: ttl must not be negative"))
	}
	if c.Retention.TTL > 0 && c.Retention.Interval <= 0 {
		errs = append(errs, errors.New("retention: interval must be positive when ttl is set"))
	}
	if c.Lease.TTL < minLeaseTTL {
		errs = append(errs, fmt.Errorf("lease: ttl must be at least %v", minLeaseTTL))
	}
	return errors.Join(errs...)
}
