package tracetreequery

import (
	"context"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"

	"go.opentelemetry.io/collector/client"
	"go.opentelemetry.io/collector/extension/extensionauth"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	"go.uber.org/zap"

	"github.com/otelcol-genai/otelcol-genai/extension/maximauthextension"
	"github.com/otelcol-genai/otelcol-genai/extension/tracetreequery/internal/metadata"
	"github.com/otelcol-genai/otelcol-genai/internal/repoaccess"
	"github.com/otelcol-genai/otelcol-genai/internal/store"
	"github.com/otelcol-genai/otelcol-genai/internal/tree"
	"github.com/otelcol-genai/otelcol-genai/pkg/commit"
)

//go:embed openapi.yaml
var openAPIDoc []byte

type apiOptions struct {
	// authEnabled is true when an authenticator guards the server; then a
	// request without auth data is refused instead of seeing every repo.
	authEnabled bool
	// authn, when set, authenticates every /api/ request (the UI's assets
	// and the OpenAPI document stay public: they hold no data, and a
	// browser cannot send the API key when it loads a page).
	authn extensionauth.Server
	// authParams are query parameters copied into the auth sources, as
	// confighttp's `auth.request_params` does.
	authParams []string
	// ui serves "/" (the web UI); nil serves a placeholder page.
	ui        http.Handler
	heartbeat time.Duration
	maxPage   int
	logger    *zap.Logger
	telemetry *metadata.TelemetryBuilder
	// stop is closed when the server shuts down, ending live streams.
	stop <-chan struct{}
}

type api struct {
	st   store.Store
	opts apiOptions
}

func newAPI(st store.Store, opts apiOptions) *api {
	if opts.logger == nil {
		opts.logger = zap.NewNop()
	}
	if opts.heartbeat <= 0 {
		opts.heartbeat = defaultHeartbeat
	}
	if opts.maxPage <= 0 {
		opts.maxPage = defaultMaxPageSize
	}
	return &api{st: st, opts: opts}
}

// route is one routed endpoint. The OpenAPI document must list exactly
// these (see TestOpenAPIMatchesRoutes).
type route struct {
	method  string
	pattern string // net/http ServeMux pattern path
	handler http.Handler
	// public routes are served without authentication.
	public bool
}

// muxPattern is the ServeMux registration of a route. "/" is registered
// for every method (the UI handler answers 405 itself) because "GET /"
// would conflict with the method-less "/api/" fallback.
func (rt route) muxPattern() string {
	if rt.pattern == "/" {
		return rt.pattern
	}
	return rt.method + " " + rt.pattern
}

func (a *api) routes() []route {
	ui := a.opts.ui
	if ui == nil {
		ui = http.HandlerFunc(a.index)
	}
	return []route{
		// "/" is the web UI: its assets, and its page for every other
		// non-API path (deep links such as /traces/{id}).
		{http.MethodGet, "/", ui, true},
		{http.MethodGet, "/openapi.yaml", http.HandlerFunc(a.openAPI), true},
		{http.MethodGet, "/api/v1/traces", http.HandlerFunc(a.searchTraces), false},
		{http.MethodGet, "/api/v1/traces/{id}", http.HandlerFunc(a.getTrace), false},
		{http.MethodGet, "/api/v1/stats", http.HandlerFunc(a.stats), false},
		{http.MethodGet, "/api/v1/alerts", http.HandlerFunc(a.alerts), false},
		{http.MethodGet, "/api/v1/sessions", http.HandlerFunc(a.searchSessions), false},
		{http.MethodGet, "/api/v1/sessions/{id}", http.HandlerFunc(a.getSession), false},
		{http.MethodGet, "/api/v1/entities/{kind}/{id}", http.HandlerFunc(a.getEntity), false},
		{http.MethodGet, "/api/v1/live", http.HandlerFunc(a.live), false},
		{http.MethodGet, "/api/v1/attachments/{key...}", http.HandlerFunc(a.getAttachment), false},
	}
}

// openAPIPath turns a ServeMux pattern into its OpenAPI path template.
func openAPIPath(pattern string) string {
	return strings.ReplaceAll(pattern, "...}", "}")
}

func (a *api) handler() http.Handler {
	mux := http.NewServeMux()
	for _, rt := range a.routes() {
		h := a.instrument(rt.method+" "+rt.pattern, rt.handler)
		if !rt.public {
			h = a.authenticate(h)
		}
		mux.Handle(rt.muxPattern(), h)
	}
	// Unknown API paths get the JSON error shape rather than the mux's
	// plain-text 404 or the UI's page; a known path asked with another
	// method than GET gets 405 (this fallback matches every method, so
	// the mux's own 405 never happens under /api/).
	mux.HandleFunc("/api/", func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet {
			probe := r.Clone(r.Context())
			probe.Method = http.MethodGet
			if _, pattern := mux.Handler(probe); pattern != "/api/" {
				w.Header().Set("Allow", "GET, HEAD")
				writeError(w, http.StatusMethodNotAllowed, "method not allowed: "+r.Method+" "+r.URL.Path+"; use GET")
				return
			}
		}
		writeError(w, http.StatusNotFound, "no such endpoint: "+r.Method+" "+r.URL.Path)
	})
	return mux
}

// authenticate runs the configured authenticator (maxim_auth) the way
// confighttp's server auth does, but only in front of the API routes.
func (a *api) authenticate(next http.Handler) http.Handler {
	if a.opts.authn == nil {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sources := r.Header.Clone()
		if len(a.opts.authParams) > 0 {
			q := r.URL.Query()
			for _, p := range a.opts.authParams {
				if v, ok := q[p]; ok {
					sources[p] = v
				}
			}
		}
		ctx, err := a.opts.authn.Authenticate(r.Context(), sources)
		if err != nil {
			// The same refusal as every ingest endpoint (Maxim's 403 and
			// its JSON body, which has the API error's shape): one
			// documented answer for a missing or wrong key.
			a.opts.logger.Debug("query API: authentication refused", zap.Error(err))
			maximauthextension.WriteInvalidAccess(w)
			return
		}
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

// statusRecorder remembers the status for the request counter. Unwrap
// lets http.ResponseController reach Flush and SetWriteDeadline.
type statusRecorder struct {
	http.ResponseWriter
	code int
}

func (s *statusRecorder) WriteHeader(code int) {
	if s.code == 0 {
		s.code = code
	}
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusRecorder) Write(b []byte) (int, error) {
	if s.code == 0 {
		s.code = http.StatusOK
	}
	return s.ResponseWriter.Write(b)
}

func (s *statusRecorder) Unwrap() http.ResponseWriter { return s.ResponseWriter }

func (a *api) instrument(name string, h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec := &statusRecorder{ResponseWriter: w}
		h.ServeHTTP(rec, r)
		if a.opts.telemetry != nil {
			code := rec.code
			if code == 0 {
				code = http.StatusOK
			}
			a.opts.telemetry.TracetreeQueryRequests.Add(r.Context(), 1, metric.WithAttributes(
				attribute.String("route", name), attribute.Int("code", code)))
		}
	})
}

// apiError is the JSON error body of every non-2xx answer.
type apiError struct {
	Code    int    `json:"code"`
	Message string `json:"message"`
}

func writeError(w http.ResponseWriter, code int, msg string) {
	writeJSON(w, code, apiError{Code: code, Message: msg})
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		code = http.StatusInternalServerError
		b, _ = json.Marshal(apiError{Code: code, Message: "encoding response: " + err.Error()})
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(code)
	_, _ = w.Write(b)
	_, _ = w.Write([]byte{'\n'})
}

// fail answers err: its own code for parameter errors, 404 for unknown
// ids, 499-ish cancellations are not worth logging, 500 otherwise.
func (a *api) fail(w http.ResponseWriter, r *http.Request, err error) {
	var he *httpError
	switch {
	case errors.As(err, &he):
		writeError(w, he.code, he.msg)
	case errors.Is(err, store.ErrNotFound):
		writeError(w, http.StatusNotFound, err.Error())
	case r.Context().Err() != nil:
		writeError(w, http.StatusServiceUnavailable, "request canceled: "+r.Context().Err().Error())
	default:
		a.opts.logger.Error("tracetree_query request failed", zap.String("path", r.URL.Path), zap.Error(err))
		writeError(w, http.StatusInternalServerError, err.Error())
	}
}

// grant reads the repositories the caller may see from the auth data
// maxim_auth attached (the rule is repoaccess's). A server without an
// authenticator shows every repository; a guarded one refuses a request
// that carries no auth data or an authenticator's answer without a grant.
func (a *api) grant(r *http.Request) (repoaccess.Grant, error) {
	info := client.FromContext(r.Context())
	if info.Auth == nil {
		if a.opts.authEnabled {
			return repoaccess.Grant{}, &httpError{code: http.StatusForbidden, msg: maximauthextension.InvalidAccessMessage}
		}
		return repoaccess.Of(repoaccess.All), nil
	}
	g, present, err := repoaccess.FromAuth(info.Auth)
	switch {
	case err != nil:
		return repoaccess.Grant{}, err
	case !present:
		return repoaccess.Grant{}, &httpError{code: http.StatusForbidden, msg: "the API key grants no repositories"}
	}
	return g, nil
}

// resolveRepo picks the repository a request reads: the `repo` parameter
// (which the key must allow), or the key's only repository.
func (a *api) resolveRepo(r *http.Request) (string, error) {
	g, err := a.grant(r)
	if err != nil {
		return "", err
	}
	if want := r.URL.Query().Get("repo"); want != "" {
		if g.Allows(want) {
			return want, nil
		}
		return "", &httpError{code: http.StatusForbidden, msg: fmt.Sprintf("the API key may not read repository %q", want)}
	}
	if only, ok := g.Only(); ok {
		return only, nil
	}
	return "", badRequest("repo: required (the API key does not name exactly one repository)")
}

// indexPage is served at "/" when no UI handler is given (tests).
const indexPage = `<!doctype html>
<html><head><meta charset="utf-8"><title>otelcol-genai</title></head>
<body>
<h1>otelcol-genai trace tree</h1>
<p>The web UI is not installed in this build. The HTTP API is:</p>
<ul>
<li><a href="openapi.yaml">openapi.yaml</a> (OpenAPI 3 description)</li>
<li><a href="api/v1/traces">api/v1/traces</a> (trace search)</li>
<li><a href="api/v1/sessions">api/v1/sessions</a> (sessions)</li>
</ul>
</body></html>
`

func (*api) index(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	_, _ = w.Write([]byte(indexPage))
}

func (*api) openAPI(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "application/yaml")
	_, _ = w.Write(openAPIDoc)
}

// ---- search ----

func (a *api) searchTraces(w http.ResponseWriter, r *http.Request) {
	q, err := a.traceQuery(r)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	page, err := a.st.SearchTraces(r.Context(), q)
	page.Traces = nonNil(page.Traces)
	a.writePage(w, r, searchError("search traces", q.Cursor, err), &page, &page.IndexLagMs)
}

func (a *api) searchSessions(w http.ResponseWriter, r *http.Request) {
	q, err := a.sessionQuery(r)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	page, err := a.st.SearchSessions(r.Context(), q)
	page.Sessions = nonNil(page.Sessions)
	a.writePage(w, r, searchError("search sessions", q.Cursor, err), &page, &page.IndexLagMs)
}

// writePage answers a search with its page, after setting the page's
// IndexLagMs (lag) to how far the summary rows lag behind the stored
// commits, when the store can tell (its indexer after a restart, or under
// a burst); or with the search's failure.
func (a *api) writePage(w http.ResponseWriter, r *http.Request, err error, page any, lag *float64) {
	if err != nil {
		a.fail(w, r, err)
		return
	}
	if l, ok := a.st.(interface{ IndexLag() time.Duration }); ok {
		*lag = float64(l.IndexLag()) / float64(time.Millisecond)
	}
	writeJSON(w, http.StatusOK, page)
}

// searchError maps a search failure (nil: none). Cursors are opaque to the API and
// each backend decodes its own; the backends have no sentinel error for a
// cursor they cannot decode, so a failure that names the cursor of a
// request that sent one is the caller's mistake (400), not a 500.
func searchError(what, cursor string, err error) error {
	if err == nil {
		return nil
	}
	if cursor != "" && strings.Contains(err.Error(), "cursor") {
		return badRequest("cursor: not a cursor this server issued (%v)", err)
	}
	return fmt.Errorf("%s: %w", what, err)
}

// ---- trees and nodes ----

// getTrace assembles the tree from the commits on every request, so the
// answer is never older than the store (the summary index may lag).
func (a *api) getTrace(w http.ResponseWriter, r *http.Request) {
	a.getAssembled(w, r, commit.EntityTrace, func(ctx context.Context, ref commit.NodeRef) (jsonStreamer, error) {
		t, err := tree.AssembleTrace(ctx, a.st, ref, tree.WithPrices(a.st.Prices()))
		if t == nil {
			return nil, err
		}
		// Served as JSON: nested at most tree.MaxNodeDepth levels.
		tree.LimitDepth(t.Root, tree.MaxNodeDepth)
		return t, err
	})
}

// getSession does the same for a session with the full trees of its traces.
func (a *api) getSession(w http.ResponseWriter, r *http.Request) {
	a.getAssembled(w, r, commit.EntitySession, func(ctx context.Context, ref commit.NodeRef) (jsonStreamer, error) {
		s, err := tree.AssembleSession(ctx, a.st, ref, tree.WithPrices(a.st.Prices()))
		if s == nil {
			return nil, err
		}
		tree.LimitDepth(s.Root, tree.MaxNodeDepth)
		return s, err
	})
}

// jsonStreamer is an assembled tree (tree.Trace, tree.Session): it writes
// its own JSON, node by node, instead of being marshalled in one piece.
type jsonStreamer interface {
	WriteJSON(w io.Writer) error
}

// getAssembled serves one assembled root of the given kind named by the
// path's {id}: 400 for a bad id, 404 when nothing is stored under it.
func (a *api) getAssembled(w http.ResponseWriter, r *http.Request, kind commit.Entity,
	assemble func(context.Context, commit.NodeRef) (jsonStreamer, error)) {
	repo, err := a.resolveRepo(r)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	id := r.PathValue("id")
	if err = validID("id", id); err != nil {
		a.fail(w, r, err)
		return
	}
	v, err := assemble(r.Context(), commit.NodeRef{Repo: repo, Kind: kind, ID: id})
	if err != nil {
		a.fail(w, r, fmt.Errorf("assemble %s %s: %w", kind, id, err))
		return
	}
	if v == nil {
		a.fail(w, r, store.ErrNotFound)
		return
	}
	a.writeStreamed(w, r, v)
}

// writeStreamed answers 200 with v's JSON written straight to the client
// (a 10,000-node tree is megabytes: issue 18). An encoding error before
// any byte went out is a 500 like writeJSON's; after, the status is sent
// and no error body can follow, so the response is aborted: the client
// sees a broken connection, never a truncated document it could take for
// a whole one.
func (a *api) writeStreamed(w http.ResponseWriter, r *http.Request, v jsonStreamer) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	cw := &countingWriter{w: w}
	err := v.WriteJSON(cw)
	switch {
	case err == nil:
	case cw.err != nil:
		// The client went away; nobody is left to tell.
		a.opts.logger.Debug("tracetree_query response not delivered", zap.String("path", r.URL.Path), zap.Error(cw.err))
	case cw.n == 0:
		writeError(w, http.StatusInternalServerError, "encoding response: "+err.Error())
	default:
		a.opts.logger.Error("tracetree_query response aborted", zap.String("path", r.URL.Path), zap.Error(err))
		panic(http.ErrAbortHandler)
	}
}

// countingWriter tells writeStreamed whether anything reached the client
// and whether writing to it failed.
type countingWriter struct {
	w   io.Writer
	n   int64
	err error
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	if err != nil && c.err == nil {
		c.err = err
	}
	return n, err
}

// historyEntry is one commit of a node as "what arrived when". Seed
// commits (a parent's add-* that creates the node) carry the node they were
// sent on in From.
type historyEntry struct {
	Version  int64           `json:"version"`
	Time     time.Time       `json:"time"`
	CommitID string          `json:"commitId"`
	Action   commit.Action   `json:"action"`
	From     *commit.NodeRef `json:"from,omitempty"`
	Data     json.RawMessage `json:"data"`
}

type entityResponse struct {
	Ref      commit.NodeRef   `json:"ref"`
	Node     tree.Node        `json:"node"`
	Parents  []commit.NodeRef `json:"parents"`
	Children []commit.NodeRef `json:"children"`
	Commits  []historyEntry   `json:"commits"`
}

func (a *api) getEntity(w http.ResponseWriter, r *http.Request) {
	repo, err := a.resolveRepo(r)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	kind, err := parseKind(r.PathValue("kind"))
	if err != nil {
		a.fail(w, r, err)
		return
	}
	id := r.PathValue("id")
	if err = validID("id", id); err != nil {
		a.fail(w, r, err)
		return
	}
	ref := commit.NodeRef{Repo: repo, Kind: kind, ID: id}
	resp, err := a.entity(r.Context(), ref)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, resp)
}

// entity folds one node the way the tree does: its own commits plus the
// parents' add-* commits that create it (they carry e.g. a generation's
// model and messages).
func (a *api) entity(ctx context.Context, ref commit.NodeRef) (*entityResponse, error) {
	byChild, err := a.st.Parents(ctx, []commit.NodeRef{ref})
	if err != nil {
		return nil, fmt.Errorf("parents of %s/%s: %w", ref.Kind, ref.ID, err)
	}
	parents := byChild[ref]
	children, err := a.st.Children(ctx, []commit.NodeRef{ref})
	if err != nil {
		return nil, fmt.Errorf("children of %s/%s: %w", ref.Kind, ref.ID, err)
	}
	sets, err := a.st.Commits(ctx, append([]commit.NodeRef{ref}, parents...))
	if err != nil {
		return nil, fmt.Errorf("commits of %s/%s: %w", ref.Kind, ref.ID, err)
	}
	own := sets[ref]
	if len(own) == 0 && len(parents) == 0 && len(children[ref]) == 0 {
		return nil, fmt.Errorf("%s/%s: %w", ref.Kind, ref.ID, store.ErrNotFound)
	}
	all := append([]commit.Commit(nil), own...)
	for _, p := range parents {
		for _, c := range sets[p] {
			if child, ok := tree.ChildRef(&c); ok && child == ref {
				all = append(all, c)
			}
		}
	}
	sort.Slice(all, func(i, j int) bool { return commit.Less(&all[i], &all[j]) })

	resp := &entityResponse{
		Ref:      ref,
		Node:     tree.Fold(ref, all, tree.WithPrices(a.st.Prices())),
		Parents:  nonNil(parents),
		Children: nonNil(children[ref]),
		Commits:  make([]historyEntry, 0, len(all)),
	}
	for _, c := range all {
		h := historyEntry{
			Version:  c.Version,
			Time:     time.Unix(0, c.Version).UTC(),
			CommitID: c.ID.String(),
			Action:   c.Action,
			Data:     c.Data,
		}
		if n := c.Node(); n != ref {
			h.From = &n
		}
		resp.Commits = append(resp.Commits, h)
	}
	return resp, nil
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

// ---- attachments ----

func (a *api) getAttachment(w http.ResponseWriter, r *http.Request) {
	key := r.PathValue("key")
	if key == "" {
		a.fail(w, r, badRequest("key: required"))
		return
	}
	repo, err := a.resolveRepo(r)
	if err != nil {
		// SDK attachment keys start with the repo id
		// ({repo}/{entity}/{id}/files/original/{attachment}); use it when
		// the caller did not name one and the key allows it.
		var he *httpError
		first, _, _ := strings.Cut(key, "/")
		if !errors.As(err, &he) || he.code != http.StatusBadRequest || !a.mayRead(r, first) {
			a.fail(w, r, err)
			return
		}
		repo = first
	}
	b, err := a.st.GetBlob(r.Context(), repo, key)
	if err != nil {
		a.fail(w, r, fmt.Errorf("blob %s: %w", key, err))
		return
	}
	ct := b.ContentType
	if ct == "" {
		ct = "application/octet-stream"
	}
	h := w.Header()
	h.Set("Content-Type", ct)
	h.Set("Content-Length", strconv.Itoa(len(b.Data)))
	// User-supplied bytes: never sniff, and never let an uploaded HTML
	// file run script in the UI's origin.
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Security-Policy", "sandbox")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(b.Data)
}

func (a *api) mayRead(r *http.Request, repo string) bool {
	g, err := a.grant(r)
	return err == nil && g.Allows(repo)
}
