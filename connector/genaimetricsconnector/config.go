package genaimetricsconnector

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"go.opentelemetry.io/collector/component"
)

// The attributes a series can be labelled with (Config.Dimensions).
const (
	DimOperation     = "gen_ai.operation.name"
	DimProvider      = "gen_ai.provider.name"
	DimRequestModel  = "gen_ai.request.model"
	DimResponseModel = "gen_ai.response.model"
	DimErrorType     = "error.type"
	DimRepo          = "maxim.repo.id"
	DimToolName      = "gen_ai.tool.name"
)

// knownDimensions lists every dimension, in the order of the defaults.
var knownDimensions = []string{DimOperation, DimProvider, DimRequestModel, DimResponseModel, DimErrorType, DimRepo, DimToolName}

// Config is the genai_metrics connector's configuration.
type Config struct {
	// Store names the tracetree_store extension whose price table computes
	// the cost of calls that carry usage but no cost (the same table the
	// tree fold uses). Empty: the embedded price data.
	Store component.ID `mapstructure:"store"`
	// Backend selects one of the store's named backends; empty = default.
	Backend string `mapstructure:"backend"`
	// Dimensions are the attributes that label the series (a subset of
	// gen_ai.operation.name, gen_ai.provider.name, gen_ai.request.model,
	// gen_ai.response.model, error.type, maxim.repo.id, gen_ai.tool.name).
	// An attribute left out is aggregated away. gen_ai.token.type is always
	// a label of gen_ai.client.token.usage.
	Dimensions []string `mapstructure:"dimensions"`
	// MaxSeries caps the attribute sets of each metric family (model calls,
	// tool calls, errors, traces). Beyond it, new attribute sets are
	// recorded on one series labelled otel.metric.overflow=true.
	MaxSeries int `mapstructure:"max_series"`
	// MetricsFlushInterval is how often the cumulative state is sent to the
	// metrics pipeline.
	MetricsFlushInterval time.Duration `mapstructure:"metrics_flush_interval"`

	// prevent unkeyed literal initialization
	_ struct{}
}

var _ component.Config = (*Config)(nil)

func createDefaultConfig() component.Config {
	return &Config{
		Dimensions:           slices.Clone(knownDimensions),
		MaxSeries:            10000,
		MetricsFlushInterval: 15 * time.Second,
	}
}

// Validate checks the configuration.
func (c *Config) Validate() error {
	var errs []error
	seen := map[string]bool{}
	for _, d := range c.Dimensions {
		if !slices.Contains(knownDimensions, d) {
			errs = append(errs, fmt.Errorf("dimensions: unknown attribute %q (one of %s)", d, strings.Join(knownDimensions, ", ")))
		}
		if seen[d] {
			errs = append(errs, fmt.Errorf("dimensions: %q listed twice", d))
		}
		seen[d] = true
	}
	if c.MaxSeries <= 0 {
		errs = append(errs, fmt.Errorf("max_series: must be positive, got %d", c.MaxSeries))
	}
	if c.MetricsFlushInterval <= 0 {
		errs = append(errs, fmt.Errorf("metrics_flush_interval: must be positive, got %s", c.MetricsFlushInterval))
	}
	if c.Backend != "" && c.Store == (component.ID{}) {
		errs = append(errs, errors.New("backend: set only together with store"))
	}
	return errors.Join(errs...)
}

// dimMask is the set of configured dimensions.
type dimMask uint8

func (c *Config) mask() dimMask {
	var m dimMask
	for _, d := range c.Dimensions {
		if i := slices.Index(knownDimensions, d); i >= 0 {
			m |= 1 << i
		}
	}
	return m
}

func (m dimMask) has(d string) bool {
	i := slices.Index(knownDimensions, d)
	return i >= 0 && m&(1<<i) != 0
}
