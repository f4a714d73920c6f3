package mxinreceiver

import (
	"errors"
	"fmt"
	"net/url"
	"time"

	"github.com/otelcol-genai/otelcol-genai/internal/admission"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/config/confighttp"
	"go.opentelemetry.io/collector/config/configopaque"
)

const (
	// defaultEndpoint: 8088 is free in the collector's port map (otlp uses
	// 4317/4318, zpages 55679, health_check 13133, pprof 1777).
	defaultEndpoint = "localhost:8088"
	// defaultMaxRequestBodySize: SDK replays of failed batches are not
	// chunked (docs/protocol.md §2.3), so a body can be far above the SDKs' 5 MiB
	// chunk size.
	defaultMaxRequestBodySize = 64 << 20
	defaultUploadURLTTL       = time.Hour
	defaultRetryAfter         = 5 * time.Second
)

// Config configures the mxin receiver.
type Config struct {
	// ServerConfig is the one HTTP endpoint all routes are served on (TLS,
	// CORS, compression, body limit, …). Its `auth` must stay unset: the
	// signed upload URL is PUT without an API key by the Python and Go SDKs,
	// so authentication is done per route through Authenticator instead.
	confighttp.ServerConfig `mapstructure:",squash"`

	// Authenticator names an extensionauth.Server extension (normally
	// maxim_auth) that checks x-maxim-api-key. When it puts the allowed
	// repositories into client.Info.Auth (maxim_auth does), the receiver
	// also checks each request's repository against them.
	Authenticator *component.ID `mapstructure:"authenticator"`

	// InsecureNoAuth accepts requests without an authenticator. It must be
	// set explicitly; the receiver logs a warning when it starts.
	InsecureNoAuth bool `mapstructure:"insecure_no_auth"`

	// BlobStorage names an extension implementing
	// go.opentelemetry.io/collector/extension/xextension/storage.Extension
	// (file_storage, tracetree_store) that keeps attachments and offloaded
	// large commit lines under the SDK's key. Without it, upload-url requests
	// are refused (the SDK then keeps retrying them).
	BlobStorage *component.ID `mapstructure:"blob_storage"`

	// UploadURL configures the signed URLs minted for the SDKs' PUTs.
	UploadURL UploadURLConfig `mapstructure:"upload_url"`

	// RetryAfter is sent with 429/503 answers when the pipeline refuses data.
	RetryAfter time.Duration `mapstructure:"retry_after"`

	// Admission bounds the request bodies worked on at once (every route
	// that reads a body): past it, requests wait, and past its waiting
	// limit they are refused with 429 and Retry-After, so an overload is
	// refused at the door instead of queueing in memory.
	Admission admission.Config `mapstructure:"admission"`

	// Langfuse configures the route Langfuse's SDKs export OTLP to.
	Langfuse LangfuseConfig `mapstructure:"langfuse"`

	// prevent unkeyed literal initialization
	_ struct{}
}

// UploadURLConfig configures the signed upload URLs.
type UploadURLConfig struct {
	// Secret is the HMAC key signing upload URLs. When empty a random key
	// is generated at start, so URLs do not survive a restart and are only
	// valid on the instance that minted them; set it (the same on every
	// instance) behind a load balancer.
	Secret configopaque.String `mapstructure:"secret"`
	// TTL is how long a minted URL stays valid.
	TTL time.Duration `mapstructure:"ttl"`
	// PublicEndpoint is the base URL clients reach this receiver at (e.g.
	// https://ingest.example.com); by default the scheme and Host of the
	// upload-url request are used.
	PublicEndpoint string `mapstructure:"public_endpoint"`
}

// LangfuseConfig configures the Langfuse-compatible OTLP route.
type LangfuseConfig struct {
	// Enabled serves POST /api/public/otel/v1/traces, where Langfuse's
	// SDKs (`@langfuse/otel`, the Python SDK v3) export their spans when
	// their base URL is this receiver. Their HTTP Basic credentials
	// (public key : secret key) stand for the repository and the API key,
	// unless the request carries x-maxim-repo-id / x-maxim-api-key itself.
	Enabled bool `mapstructure:"enabled"`
}

// Validate checks the configuration.
func (cfg *Config) Validate() error {
	var errs []error
	if cfg.Auth.HasValue() {
		errs = append(errs, errors.New("auth: not supported on this receiver (the SDKs PUT signed upload URLs without an API key); use `authenticator: <extension>` instead"))
	}
	if cfg.Authenticator == nil && !cfg.InsecureNoAuth {
		errs = append(errs, errors.New("no authenticator: set `authenticator: maxim_auth`, or `insecure_no_auth: true` for local development"))
	}
	if cfg.MaxRequestBodySize < 0 {
		errs = append(errs, errors.New("max_request_body_size must not be negative"))
	}
	if cfg.UploadURL.TTL < 0 {
		errs = append(errs, errors.New("upload_url.ttl must not be negative"))
	}
	if cfg.RetryAfter < 0 {
		errs = append(errs, errors.New("retry_after must not be negative"))
	}
	if err := cfg.Admission.Validate(); err != nil {
		errs = append(errs, err)
	}
	if p := cfg.UploadURL.PublicEndpoint; p != "" {
		u, err := url.Parse(p)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			errs = append(errs, fmt.Errorf("upload_url.public_endpoint %q: want an absolute http(s) URL", p))
		}
	}
	return errors.Join(errs...)
}
