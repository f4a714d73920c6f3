// Package judge calls an LLM judge: an OpenAI-compatible chat endpoint
// asked for a strict JSON verdict {"score": 0..1, "reason": "..."}, with
// per-attempt timeouts, retries with exponential backoff and jitter that
// honour Retry-After, a concurrency limit and a rate limit. It knows
// nothing of subjects or evaluators: internal/evaluate renders the prompt
// (Template) and turns the Verdict into a Result.
package judge

import (
	"errors"
	"fmt"
	"math"
	"net/url"
	"time"
)

// Values of Config.AuthHeader.
const (
	// AuthBearer sends "Authorization: Bearer <key>" (OpenAI, vLLM, Ollama).
	AuthBearer = "bearer"
	// AuthAPIKey sends "api-key: <key>" (Azure OpenAI).
	AuthAPIKey = "api-key"
)

// Values of Config.ResponseFormat.
const (
	// ResponseFormatJSON asks for response_format {"type":"json_object"}.
	ResponseFormatJSON = "json_object"
	// ResponseFormatNone sends no response_format, for servers that
	// reject it; the prompt still asks for JSON.
	ResponseFormatNone = "none"
)

// Config is the client's configuration, already defaulted by the caller.
type Config struct {
	BaseURL  string
	Model    string
	Provider string // for pricing only
	APIKey   string
	// AuthHeader is AuthBearer or AuthAPIKey.
	AuthHeader string

	Timeout           time.Duration
	MaxRetries        int
	InitialBackoff    time.Duration
	MaxBackoff        time.Duration
	Concurrency       int
	RequestsPerSecond float64
	ResponseFormat    string
}

// Validate reports the first mistake, naming the YAML field.
func (c Config) Validate() error {
	if c.BaseURL == "" {
		return errors.New("base_url: required")
	}
	u, err := url.Parse(c.BaseURL)
	if err != nil {
		return fmt.Errorf("base_url: %w", err)
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("base_url: %q is not an http(s) URL", c.BaseURL)
	}
	if c.Model == "" {
		return errors.New("model: required")
	}
	switch c.AuthHeader {
	case AuthBearer, AuthAPIKey:
	default:
		return fmt.Errorf("auth_header: unknown %q (bearer or api-key)", c.AuthHeader)
	}
	switch c.ResponseFormat {
	case ResponseFormatJSON, ResponseFormatNone:
	default:
		return fmt.Errorf("response_format: unknown %q (json_object or none)", c.ResponseFormat)
	}
	if c.Timeout <= 0 {
		return fmt.Errorf("timeout: must be positive, got %v", c.Timeout)
	}
	if c.MaxRetries < 0 {
		return fmt.Errorf("max_retries: must not be negative, got %d", c.MaxRetries)
	}
	if c.InitialBackoff <= 0 {
		return fmt.Errorf("initial_backoff: must be positive, got %v", c.InitialBackoff)
	}
	if c.MaxBackoff < c.InitialBackoff {
		return fmt.Errorf("max_backoff: %v is below initial_backoff %v", c.MaxBackoff, c.InitialBackoff)
	}
	if c.Concurrency <= 0 {
		return fmt.Errorf("concurrency: must be positive, got %d", c.Concurrency)
	}
	if c.RequestsPerSecond < 0 || math.IsNaN(c.RequestsPerSecond) || math.IsInf(c.RequestsPerSecond, 0) {
		return fmt.Errorf("requests_per_second: must be a non-negative number, got %v", c.RequestsPerSecond)
	}
	return nil
}
