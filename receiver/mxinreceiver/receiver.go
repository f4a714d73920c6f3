package mxinreceiver

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"net"
	"net/http"
	"path"
	"strings"
	"sync"

	"github.com/otelcol-genai/otelcol-genai/internal/admission"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/component/componentstatus"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/extension/extensionauth"
	"go.opentelemetry.io/collector/extension/xextension/storage"
	"go.opentelemetry.io/collector/receiver"
	"go.opentelemetry.io/collector/receiver/receiverhelper"
	"go.uber.org/zap"

	"github.com/otelcol-genai/otelcol-genai/pkg/commit"
	"github.com/otelcol-genai/otelcol-genai/receiver/mxinreceiver/internal/metadata"
)

// Routes served by the receiver.
const (
	pathPush        = "/api/sdk/v3/log"
	pathRepoCheck   = "/api/sdk/v3/log-repositories"
	pathUploadURL   = "/api/sdk/v1/log-repositories/attachments/upload-url"
	pathBlobPut     = "/api/sdk/v1/blobs"
	pathLogging     = "/v1/logging"
	pathLogsBatch   = "/v1/logs/batch"
	pathLoggingBtch = "/v1/logging/batch"
	pathOTel        = "/v1/otel"
	pathOTelTraces  = "/v1/otel/v1/traces"
	pathOTLPLogs    = "/v1/logs"
	pathOTelLogs    = "/v1/otel/v1/logs"
	// pathLangfuse is where Langfuse's SDKs export OTLP/HTTP traces:
	// `<baseUrl>/api/public/otel/v1/traces`.
	pathLangfuse = "/api/public/otel/v1/traces"
)

type mxinReceiver struct {
	cfg       *Config
	set       receiver.Settings
	logger    *zap.Logger
	onStop    func()
	versioner *commit.Versioner
	telemetry *metadata.TelemetryBuilder
	admission *admission.Limiter // nil: admission control off
	obsLogs   *receiverhelper.ObsReport
	obsTraces *receiverhelper.ObsReport

	nextLogs   consumer.Logs
	nextTraces consumer.Traces

	auth    extensionauth.Server // nil with insecure_no_auth
	blobs   storage.Client       // nil without blob_storage
	signer  *urlSigner
	server  *http.Server
	addr    net.Addr // bound address, for tests using port 0
	serveWG sync.WaitGroup

	startOnce sync.Once
	startErr  error
	stopOnce  sync.Once
}

func newReceiver(set receiver.Settings, cfg *Config, onStop func()) (*mxinReceiver, error) {
	tb, err := metadata.NewTelemetryBuilder(set.TelemetrySettings)
	if err != nil {
		return nil, fmt.Errorf("mxin: telemetry: %w", err)
	}
	obsLogs, err := receiverhelper.NewObsReport(receiverhelper.ObsReportSettings{ReceiverID: set.ID, Transport: "http", ReceiverCreateSettings: set})
	if err != nil {
		return nil, fmt.Errorf("mxin: obsreport: %w", err)
	}
	obsTraces, err := receiverhelper.NewObsReport(receiverhelper.ObsReportSettings{ReceiverID: set.ID, Transport: "http", ReceiverCreateSettings: set})
	if err != nil {
		return nil, fmt.Errorf("mxin: obsreport: %w", err)
	}
	return &mxinReceiver{
		cfg:       cfg,
		set:       set,
		logger:    set.Logger,
		onStop:    onStop,
		versioner: commit.NewVersioner(),
		telemetry: tb,
		admission: admission.New(cfg.Admission),
		obsLogs:   obsLogs,
		obsTraces: obsTraces,
	}, nil
}

func (r *mxinReceiver) setLogs(next consumer.Logs)     { r.nextLogs = next }
func (r *mxinReceiver) setTraces(next consumer.Traces) { r.nextTraces = next }

// Start resolves the extensions and starts the HTTP server. The receiver is
// shared by the logs and traces pipelines, so Start runs once.
func (r *mxinReceiver) Start(ctx context.Context, host component.Host) error {
	r.startOnce.Do(func() { r.startErr = r.start(ctx, host) })
	return r.startErr
}

func (r *mxinReceiver) start(ctx context.Context, host component.Host) error {
	exts := host.GetExtensions()
	if id := r.cfg.Authenticator; id != nil {
		ext, ok := exts[*id]
		if !ok {
			return fmt.Errorf("mxin: authenticator %q: no such extension", id)
		}
		a, ok := ext.(extensionauth.Server)
		if !ok {
			return fmt.Errorf("mxin: authenticator %q is not a server authenticator", id)
		}
		r.auth = a
	} else {
		r.logger.Warn("mxin: insecure_no_auth is set; any client can write to any repository. Do not use this outside local development.")
	}
	if id := r.cfg.BlobStorage; id != nil {
		ext, ok := exts[*id]
		if !ok {
			return fmt.Errorf("mxin: blob_storage %q: no such extension", id)
		}
		se, ok := ext.(storage.Extension)
		if !ok {
			return fmt.Errorf("mxin: blob_storage %q does not implement the storage extension API", id)
		}
		c, err := se.GetClient(ctx, component.KindReceiver, r.set.ID, "")
		if err != nil {
			return fmt.Errorf("mxin: blob_storage %q: %w", id, err)
		}
		r.blobs = c
	} else {
		r.logger.Warn("mxin: no blob_storage configured; attachment uploads and commits over 900 KB are refused")
	}

	secret := []byte(r.cfg.UploadURL.Secret)
	if len(secret) == 0 {
		secret = make([]byte, 32)
		if _, err := rand.Read(secret); err != nil {
			return fmt.Errorf("mxin: upload URL secret: %w", err)
		}
		r.logger.Info("mxin: upload_url.secret not set; using a random key (upload URLs are valid only on this instance until restart)")
	}
	r.signer = &urlSigner{secret: secret, ttl: r.cfg.UploadURL.TTL}

	ln, err := r.cfg.ToListener(ctx)
	if err != nil {
		return fmt.Errorf("mxin: listen on %s: %w", r.cfg.NetAddr.Endpoint, err)
	}
	r.server, err = r.cfg.ToServer(ctx, exts, r.set.TelemetrySettings, r.routes(),
		confighttpErrorHandler())
	if err != nil {
		_ = ln.Close()
		return fmt.Errorf("mxin: http server: %w", err)
	}
	r.addr = ln.Addr()
	r.logger.Info("mxin receiver listening", zap.String("endpoint", ln.Addr().String()))
	r.serveWG.Add(1)
	go func() {
		defer r.serveWG.Done()
		if err := r.server.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			componentstatus.ReportStatus(host, componentstatus.NewFatalErrorEvent(err))
		}
	}()
	return nil
}

// Shutdown stops the server and releases the blob client.
func (r *mxinReceiver) Shutdown(ctx context.Context) error {
	var err error
	r.stopOnce.Do(func() {
		if r.onStop != nil {
			r.onStop()
		}
		if r.server != nil {
			err = r.server.Shutdown(ctx)
			r.serveWG.Wait()
		}
		if r.blobs != nil {
			err = errors.Join(err, r.blobs.Close(ctx))
		}
	})
	return err
}

func (r *mxinReceiver) routes() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST "+pathPush, r.handlePush)
	mux.HandleFunc("GET "+pathRepoCheck, r.handleRepoCheck)
	mux.HandleFunc("GET "+pathUploadURL, r.handleUploadURL)
	mux.HandleFunc("PUT "+pathBlobPut, r.handleBlobPut)
	mux.HandleFunc("POST "+pathLogging, r.handleLogging)
	mux.HandleFunc("POST "+pathLogsBatch, r.handleLoggingBatch)
	mux.HandleFunc("POST "+pathLoggingBtch, r.handleLoggingBatch)
	mux.HandleFunc("POST "+pathOTel, r.handleOTel)
	mux.HandleFunc("POST "+pathOTelTraces, r.handleOTel)
	mux.HandleFunc("POST "+pathOTLPLogs, r.handleOTelLogs)
	mux.HandleFunc("POST "+pathOTelLogs, r.handleOTelLogs)
	allowed := map[string]string{
		pathPush: "POST", pathRepoCheck: "GET", pathUploadURL: "GET", pathBlobPut: "PUT",
		pathLogging: "POST", pathLogsBatch: "POST", pathLoggingBtch: "POST", pathOTel: "POST", pathOTelTraces: "POST",
		pathOTLPLogs: "POST", pathOTelLogs: "POST",
	}
	if r.cfg.Langfuse.Enabled {
		mux.HandleFunc("POST "+pathLangfuse, r.handleLangfuseOTel)
		allowed[pathLangfuse] = "POST"
	}
	// Other methods on known paths: a JSON 405 rather than ServeMux's text.
	for p, allow := range allowed {
		mux.HandleFunc(p, func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Allow", allow)
			writeError(w, http.StatusMethodNotAllowed, "method not allowed; use "+allow)
		})
	}
	mux.HandleFunc("/", func(w http.ResponseWriter, _ *http.Request) {
		writeError(w, http.StatusNotFound, "no such route")
	})
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		// A baseUrl configured with a trailing slash makes the SDKs send
		// "//api/sdk/v3/log"; ServeMux would answer that with a redirect,
		// which turns a POST into a GET. Route the cleaned path instead.
		if strings.Contains(req.URL.Path, "//") {
			req.URL.Path = path.Clean(req.URL.Path)
			req.URL.RawPath = ""
		}
		mux.ServeHTTP(w, req)
	})
}
