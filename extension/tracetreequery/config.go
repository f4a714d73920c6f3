package tracetreequery

import (
	"errors"
	"fmt"
	"time"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/config/confighttp"
)

// DefaultEndpoint is where the API listens unless configured: loopback
// only, so a fresh install exposes nothing; 16700 sits next to Jaeger's
// query port 16686 without colliding with it.
const DefaultEndpoint = "localhost:16700"

const (
	defaultHeartbeat   = 15 * time.Second
	defaultMaxPageSize = 500
)

var defaultStoreID = component.MustNewID("tracetree_store")

// Config is the tracetree_query extension's configuration.
type Config struct {
	// ServerConfig is the standard collector HTTP server block: endpoint,
	// tls, cors, auth (e.g. `auth: {authenticator: maxim_auth}`), ...
	confighttp.ServerConfig `mapstructure:",squash"`

	// Store names the tracetree_store extension to read from.
	Store component.ID `mapstructure:"store"`
	// Backend selects one of the store's named backends; empty = default.
	Backend string `mapstructure:"backend"`

	// LiveHeartbeat is the interval of SSE comment lines on /api/v1/live,
	// keeping proxies from closing idle streams.
	LiveHeartbeat time.Duration `mapstructure:"live_heartbeat"`
	// MaxPageSize caps the `limit` of search requests.
	MaxPageSize int `mapstructure:"max_page_size"`

	// prevent unkeyed literal initialization
	_ struct{}
}

var _ component.Config = (*Config)(nil)

// Validate checks the configuration.
func (c *Config) Validate() error {
	var errs error
	if c.NetAddr.Endpoint == "" {
		errs = errors.Join(errs, errors.New("endpoint: must not be empty"))
	}
	if c.Store.Type().String() == "" {
		errs = errors.Join(errs, errors.New("store: must name the tracetree_store extension"))
	}
	if c.LiveHeartbeat <= 0 {
		errs = errors.Join(errs, fmt.Errorf("live_heartbeat: must be positive, got %s", c.LiveHeartbeat))
	}
	if c.MaxPageSize <= 0 {
		errs = errors.Join(errs, fmt.Errorf("max_page_size: must be positive, got %d", c.MaxPageSize))
	}
	return errs
}
