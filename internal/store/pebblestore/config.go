package pebblestore

import (
	"errors"
)

// Config configures a Pebble backend.
type Config struct {
	// Directory holds the database; it is created if missing.
	Directory string `mapstructure:"directory"`
	// Sync makes every Apply wait for the write-ahead log to reach stable
	// storage (fsync) before returning; concurrent Apply calls share one
	// fsync through Pebble's group commit. Turning it off trades the
	// durability contract (an acknowledged commit survives kill -9 of the
	// machine) for speed; a process crash alone still loses nothing
	// acknowledged only if the OS survives.
	Sync bool `mapstructure:"sync"`
	// CacheSizeMiB is the block cache size. The indexer resolves every
	// changed node through the edge index and reads the trees it
	// re-summarizes; under sustained SDK load, with compactions rewriting
	// files all the time, their index and data blocks did not fit in 64 MiB:
	// cache misses (file reads, snappy decoding, block allocation) were a
	// quarter of the collector's CPU. At 192 MiB they are 3 %, and a larger
	// cache measured no faster (docs/operating.md).
	CacheSizeMiB int64 `mapstructure:"cache_size_mib"`
	// MemTableSizeMiB is the size of one memtable; larger memtables absorb
	// bursts of commits before a flush.
	MemTableSizeMiB int64 `mapstructure:"memtable_size_mib"`
}

// DefaultConfig returns the defaults: durable writes, a 192 MiB cache and
// 64 MiB memtables.
func DefaultConfig() Config {
	return Config{Sync: true, CacheSizeMiB: 192, MemTableSizeMiB: 64}
}

// Validate checks the configuration.
func (c *Config) Validate() error {
	var errs []error
	if c.Directory == "" {
		errs = append(errs, errors.New("pebble: directory must be set"))
	}
	if c.CacheSizeMiB < 0 {
		errs = append(errs, errors.New("pebble: cache_size_mib must not be negative"))
	}
	if c.MemTableSizeMiB < 0 || c.MemTableSizeMiB >= 4096 {
		errs = append(errs, errors.New("pebble: memtable_size_mib must be between 0 and 4095"))
	}
	return errors.Join(errs...)
}
