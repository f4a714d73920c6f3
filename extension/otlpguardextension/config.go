package otlpguardextension

import (
	"errors"
	"time"

	"go.opentelemetry.io/collector/confmap"
)

// Config of the otlp_guard extension. The body bounds have no options: they
// are internal/otlpcheck's, the same the mxin receiver applies to its own
// OTLP/HTTP endpoints, so both entry points refuse the same bodies.
type Config struct {
	// RetryAfter is the Retry-After the guard adds to a 429 or 503 the
	// receiver answers without one. The otlp receiver sets it only when
	// the pipeline's error carries gRPC RetryInfo, which the
	// memory_limiter's refusal does not; OTLP exporters and the SDKs then
	// fall back to their own backoff. Whole seconds; the mxin receiver's
	// retry_after has the same default.
	RetryAfter time.Duration `mapstructure:"retry_after"`
}

var _ confmap.Validator = (*Config)(nil)

// Validate checks the configuration.
func (c *Config) Validate() error {
	if c.RetryAfter < time.Second || c.RetryAfter%time.Second != 0 {
		return errors.New("retry_after must be a whole number of seconds, at least 1s")
	}
	return nil
}
