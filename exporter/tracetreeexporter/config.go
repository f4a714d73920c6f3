package tracetreeexporter

import (
	"errors"
	"fmt"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/config/configoptional"
	"go.opentelemetry.io/collector/config/configretry"
	"go.opentelemetry.io/collector/exporter/exporterhelper"
)

// defaultStoreID is the store extension the exporter writes to when the
// config does not name one.
var defaultStoreID = component.MustNewID("tracetree_store")

// Config is the tracetree exporter's configuration.
type Config struct {
	// Store names the tracetree_store extension that owns the backends.
	Store component.ID `mapstructure:"store"`
	// Backend selects one of the store extension's named backends; empty
	// means the extension's default backend.
	Backend string `mapstructure:"backend"`

	TimeoutConfig exporterhelper.TimeoutConfig `mapstructure:",squash"`
	// QueueConfig is disabled by default on purpose: without a queue,
	// ConsumeLogs returns only after the store's Apply made the commits
	// durable, so the receiver's 200 means "in the store"
	// (../../README.md#architecture, "What a 200 means"). Enable it only
	// with a persistent storage (file_storage) if that contract must still
	// hold.
	QueueConfig configoptional.Optional[exporterhelper.QueueBatchConfig] `mapstructure:"sending_queue"`
	RetryConfig configretry.BackOffConfig                                `mapstructure:"retry_on_failure"`

	// prevent unkeyed literal initialization
	_ struct{}
}

var _ component.Config = (*Config)(nil)

// Validate checks the configuration.
func (c *Config) Validate() error {
	var errs error
	if c.Store.Type().String() == "" {
		errs = errors.Join(errs, errors.New("store: must name the tracetree_store extension"))
	}
	if c.TimeoutConfig.Timeout < 0 {
		errs = errors.Join(errs, fmt.Errorf("timeout: must not be negative, got %s", c.TimeoutConfig.Timeout))
	}
	return errs
}
