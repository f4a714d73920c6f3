package otlpguardextension

import (
	"errors"
	"time"

	"go.opentelemetry.io/collector/confmap"

	"github.com/otelcol-genai/otelcol-genai/internal/admission"
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

	// Admission bounds the OTLP/HTTP request bodies the receiver works on
	// at once: past request_limit_mib a request waits, past
	// waiting_limit_mib it is refused with 429 and Retry-After, so more
	// load than the store takes is refused at the door instead of queueing
	// in memory (the mxin receiver has the same block for SDK traffic).
	Admission admission.Config `mapstructure:"admission"`
}

var _ confmap.Validator = (*Config)(nil)

// Validate checks the configuration.
func (c *Config) Validate() error {
	var errs []error
	if c.RetryAfter < time.Second || c.RetryAfter%time.Second != 0 {
		errs = append(errs, errors.New("retry_after must be a whole number of seconds, at least 1s"))
	}
	if err := c.Admission.Validate(); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}
