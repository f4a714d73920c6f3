package otlpguardextension

import "go.opentelemetry.io/collector/confmap"

// Config of the otlp_guard extension. It has no options: the bounds are
// internal/otlpcheck's, the same the mxin receiver applies to its own
// OTLP/HTTP endpoints, so both entry points refuse the same bodies.
type Config struct{}

var _ confmap.Validator = (*Config)(nil)

// Validate accepts the (empty) configuration.
func (*Config) Validate() error { return nil }
