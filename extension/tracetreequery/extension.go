package tracetreequery

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"sync"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/component/componentstatus"
	"go.opentelemetry.io/collector/config/confighttp"
	"go.opentelemetry.io/collector/config/configoptional"
	"go.opentelemetry.io/collector/extension"
	"go.opentelemetry.io/collector/extension/extensioncapabilities"
	"go.uber.org/zap"

	"github.com/otelcol-genai/otelcol-genai/extension/tracetreequery/internal/metadata"
	"github.com/otelcol-genai/otelcol-genai/extension/tracetreestore"
	"github.com/otelcol-genai/otelcol-genai/internal/webui"
)

type queryExtension struct {
	cfg       *Config
	set       extension.Settings
	telemetry *metadata.TelemetryBuilder

	server *http.Server
	// stop ends open live streams on shutdown: http.Server.Shutdown waits
	// for connections to go idle, and an SSE stream never does.
	stop     context.CancelFunc
	stopCtx  context.Context
	serveErr chan error
	mu       sync.Mutex
	addr     net.Addr
}

var (
	_ extension.Extension             = (*queryExtension)(nil)
	_ extensioncapabilities.Dependent = (*queryExtension)(nil)
)

func newQueryExtension(cfg *Config, set extension.Settings) (*queryExtension, error) {
	tb, err := metadata.NewTelemetryBuilder(set.TelemetrySettings)
	if err != nil {
		return nil, fmt.Errorf("tracetree_query telemetry: %w", err)
	}
	return &queryExtension{cfg: cfg, set: set, telemetry: tb}, nil
}

// Dependencies makes the collector start the store (and the authenticator,
// if any) before this extension and stop them after it.
func (q *queryExtension) Dependencies() []component.ID {
	deps := []component.ID{q.cfg.Store}
	if q.cfg.Auth.HasValue() {
		deps = append(deps, q.cfg.Auth.Get().Config.AuthenticatorID)
	}
	return deps
}

func (q *queryExtension) Start(ctx context.Context, host component.Host) error {
	st, err := tracetreestore.GetStore(host, q.cfg.Store, q.cfg.Backend)
	if err != nil {
		return fmt.Errorf("tracetree_query: store %q backend %q: %w", q.cfg.Store, q.cfg.Backend, err)
	}
	// The standard `auth:` block names the authenticator, but it guards
	// only /api/: the UI's assets hold no data and a browser cannot send
	// the API key when it loads a page. So the server itself is built
	// without auth and the API routes authenticate (see api.authenticate).
	srvCfg := q.cfg.ServerConfig
	opts := apiOptions{
		heartbeat: q.cfg.LiveHeartbeat,
		maxPage:   q.cfg.MaxPageSize,
		logger:    q.set.Logger,
		telemetry: q.telemetry,
		ui:        webui.Handler(),
	}
	if q.cfg.Auth.HasValue() {
		ac := q.cfg.Auth.Get()
		authn, err := ac.Config.GetServerAuthenticator(ctx, host.GetExtensions())
		if err != nil {
			return fmt.Errorf("tracetree_query: authenticator %q: %w", ac.Config.AuthenticatorID, err)
		}
		opts.authEnabled, opts.authn, opts.authParams = true, authn, ac.RequestParameters
		srvCfg.Auth = configoptional.None[confighttp.AuthConfig]()
	}
	q.stopCtx, q.stop = context.WithCancel(context.Background())
	opts.stop = q.stopCtx.Done()
	api := newAPI(st, opts)

	ln, err := srvCfg.ToListener(ctx)
	if err != nil {
		return fmt.Errorf("tracetree_query: listen on %q: %w", q.cfg.NetAddr.Endpoint, err)
	}
	srv, err := srvCfg.ToServer(ctx, host.GetExtensions(), q.set.TelemetrySettings, api.handler(),
		// Errors confighttp answers itself (bad compression, oversized
		// bodies) come back in the same JSON shape as every API error.
		confighttp.WithErrorHandler(func(w http.ResponseWriter, _ *http.Request, msg string, code int) {
			writeError(w, code, msg)
		}))
	if err != nil {
		_ = ln.Close()
		return fmt.Errorf("tracetree_query: http server: %w", err)
	}
	srv.RegisterOnShutdown(q.stop)
	q.mu.Lock()
	q.server, q.addr = srv, ln.Addr()
	q.mu.Unlock()
	q.serveErr = make(chan error, 1)
	q.set.Logger.Info("tracetree_query API listening", zap.String("endpoint", ln.Addr().String()))
	go func() {
		defer close(q.serveErr)
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			componentstatus.ReportStatus(host, componentstatus.NewFatalErrorEvent(err))
			q.serveErr <- err
		}
	}()
	return nil
}

// Addr returns the address the API listens on (useful with port 0).
func (q *queryExtension) Addr() net.Addr {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.addr
}

func (q *queryExtension) Shutdown(ctx context.Context) error {
	q.mu.Lock()
	srv := q.server
	q.server = nil // a second Shutdown is a no-op
	q.mu.Unlock()
	if srv == nil {
		return nil
	}
	q.stop()
	err := srv.Shutdown(ctx)
	if serveErr, ok := <-q.serveErr; ok && serveErr != nil {
		err = errors.Join(err, serveErr)
	}
	return err
}
