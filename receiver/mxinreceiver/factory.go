// Package mxinreceiver implements the mxin receiver: the ingestion endpoints
// of Maxim's SDKs (the commit-log protocol, attachments and large-commit
// offload), Maxim's public logging API, and Maxim's OTLP/HTTP endpoint, so
// that every Maxim SDK works against this collector unchanged. Commits leave
// as logs (one LogRecord per commit), OTLP spans as traces.
package mxinreceiver

import (
	"context"
	"sync"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/config/confighttp"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/receiver"

	"github.com/otelcol-genai/otelcol-genai/internal/admission"
	"github.com/otelcol-genai/otelcol-genai/receiver/mxinreceiver/internal/metadata"
)

// NewFactory returns the factory of the mxin receiver.
func NewFactory() receiver.Factory {
	f := &factory{receivers: map[*Config]*mxinReceiver{}}
	return receiver.NewFactory(
		metadata.Type,
		createDefaultConfig,
		receiver.WithLogs(f.createLogs, metadata.LogsStability),
		receiver.WithTraces(f.createTraces, metadata.TracesStability),
	)
}

func createDefaultConfig() component.Config {
	srv := confighttp.NewDefaultServerConfig()
	srv.NetAddr.Endpoint = defaultEndpoint
	srv.MaxRequestBodySize = defaultMaxRequestBodySize
	return &Config{
		ServerConfig: srv,
		UploadURL:    UploadURLConfig{TTL: defaultUploadURLTTL},
		RetryAfter:   defaultRetryAfter,
		Admission:    admission.DefaultConfig(),
		Langfuse:     LangfuseConfig{Enabled: true},
	}
}

// factory shares one receiver (one HTTP server) between the logs and the
// traces pipeline of the same configuration, like the otlp receiver does.
type factory struct {
	mu        sync.Mutex
	receivers map[*Config]*mxinReceiver
}

func (f *factory) get(set receiver.Settings, cfg *Config) (*mxinReceiver, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if r, ok := f.receivers[cfg]; ok {
		return r, nil
	}
	r, err := newReceiver(set, cfg, func() {
		f.mu.Lock()
		delete(f.receivers, cfg)
		f.mu.Unlock()
	})
	if err != nil {
		return nil, err
	}
	f.receivers[cfg] = r
	return r, nil
}

func (f *factory) createLogs(_ context.Context, set receiver.Settings, cfg component.Config, next consumer.Logs) (receiver.Logs, error) {
	r, err := f.get(set, cfg.(*Config))
	if err != nil {
		return nil, err
	}
	r.setLogs(next)
	return r, nil
}

func (f *factory) createTraces(_ context.Context, set receiver.Settings, cfg component.Config, next consumer.Traces) (receiver.Traces, error) {
	r, err := f.get(set, cfg.(*Config))
	if err != nil {
		return nil, err
	}
	r.setTraces(next)
	return r, nil
}
