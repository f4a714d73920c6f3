// Package fakeapi is a small stand-in for the otelcol-genai binary that the
// browser tests can run in-process when the built distribution does not
// (yet) contain the query extension: the Maxim SDK ingest endpoints
// (repo check, log push, upload URL + PUT) in front of the real commit
// parser, the real in-memory store with the real indexer and fold, and
// the query API's routes and JSON shapes (see
// extension/tracetreequery/README.md), with the web UI at "/".
//
// It is deliberately thin: everything the UI renders comes out of
// pkg/commit, internal/tree and internal/store, so a UI that works here
// works against the same data in the real collector.
package fakeapi

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/otelcol-genai/otelcol-genai/internal/store"
	"github.com/otelcol-genai/otelcol-genai/internal/store/indexer"
	"github.com/otelcol-genai/otelcol-genai/internal/store/memstore"
	"github.com/otelcol-genai/otelcol-genai/internal/tree"
	"github.com/otelcol-genai/otelcol-genai/internal/webui"
	"github.com/otelcol-genai/otelcol-genai/pkg/commit"
)

const apiKeyHeader = "x-maxim-api-key"

// Server is the fake. Create it with New, serve Handler, stop with Close.
type Server struct {
	key  string
	repo string
	ix   *indexer.Indexer
	ver  *commit.Versioner

	mu       sync.Mutex
	baseURL  string
	uploadCT map[string]string // blob key -> announced mime type
}

// New starts an indexer over a fresh memstore. key is the only accepted
// API key; it grants repo.
func New(ctx context.Context, key, repo string) (*Server, error) {
	cfg := indexer.DefaultConfig()
	cfg.Debounce = 20 * time.Millisecond
	cfg.Retention.TTL = 0
	ix, err := indexer.New(memstore.New(), cfg, indexer.Settings{})
	if err != nil {
		return nil, fmt.Errorf("fakeapi: indexer: %w", err)
	}
	if err := ix.Start(ctx); err != nil {
		return nil, fmt.Errorf("fakeapi: start indexer: %w", err)
	}
	return &Server{key: key, repo: repo, ix: ix, ver: commit.NewVersioner(), uploadCT: map[string]string{}}, nil
}

// SetBaseURL tells the server its own address, for the upload URLs it mints.
func (s *Server) SetBaseURL(u string) {
	s.mu.Lock()
	s.baseURL = strings.TrimSuffix(u, "/")
	s.mu.Unlock()
}

// Close stops the indexer.
func (s *Server) Close(ctx context.Context) error {
	return errors.Join(s.ix.Shutdown(ctx), s.ix.Close())
}

// Handler routes the SDK endpoints, the query API and the UI.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	// SDK side (what the mxin receiver serves).
	mux.HandleFunc("GET /api/sdk/v3/log-repositories", s.auth(s.repoCheck))
	mux.HandleFunc("POST /api/sdk/v3/log", s.auth(s.push))
	mux.HandleFunc("GET /api/sdk/v1/log-repositories/attachments/upload-url", s.auth(s.uploadURL))
	mux.HandleFunc("PUT /signed-upload/{key...}", s.upload) // SDKs send no key on the PUT
	// Query side (what tracetree_query serves).
	mux.HandleFunc("GET /api/v1/traces", s.auth(s.searchTraces))
	mux.HandleFunc("GET /api/v1/traces/{id}", s.auth(s.getTrace))
	mux.HandleFunc("GET /api/v1/sessions", s.auth(s.searchSessions))
	mux.HandleFunc("GET /api/v1/sessions/{id}", s.auth(s.getSession))
	mux.HandleFunc("GET /api/v1/entities/{kind}/{id}", s.auth(s.getEntity))
	mux.HandleFunc("GET /api/v1/attachments/{key...}", s.auth(s.getAttachment))
	mux.HandleFunc("GET /api/v1/live", s.auth(s.live))
	mux.HandleFunc("/api/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, http.StatusNotFound, "no such endpoint: "+r.Method+" "+r.URL.Path)
	})
	mux.Handle("/", webui.Handler())
	return mux
}

func (s *Server) auth(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get(apiKeyHeader) != s.key {
			writeError(w, http.StatusForbidden, "Invalid access error")
			return
		}
		if rp := r.URL.Query().Get("repo"); rp != "" && rp != s.repo {
			writeError(w, http.StatusForbidden, fmt.Sprintf("the API key may not read repository %q", rp))
			return
		}
		h(w, r)
	}
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(v)
}

func writeError(w http.ResponseWriter, code int, msg string) {
	writeJSON(w, code, map[string]any{"code": code, "message": msg})
}

func (s *Server) fail(w http.ResponseWriter, err error) {
	if errors.Is(err, store.ErrNotFound) {
		writeError(w, http.StatusNotFound, "not found")
		return
	}
	writeError(w, http.StatusInternalServerError, err.Error())
}

// ---- SDK ----

func (s *Server) repoCheck(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]any{"data": map[string]string{"id": r.URL.Query().Get("loggerId"), "name": "browser-test"}})
}

func (s *Server) push(w http.ResponseWriter, r *http.Request) {
	repo := r.URL.Query().Get("id")
	if repo != s.repo {
		writeError(w, http.StatusForbidden, "Invalid access error")
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, 64<<20))
	if err != nil {
		writeError(w, http.StatusBadRequest, "read body: "+err.Error())
		return
	}
	commits, lineErrs := commit.ParseBody(repo, body, s.ver)
	if err := s.ix.Apply(r.Context(), commits, tree.EdgesOfAll(commits)); err != nil {
		s.fail(w, fmt.Errorf("apply: %w", err))
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"success": true, "accepted": len(commits), "rejected": len(lineErrs)})
}

// uploadURL parses the raw query leniently: SDKs do not encode the key's
// slashes or the mime type.
func (s *Server) uploadURL(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	key := q.Get("key")
	if key == "" {
		writeJSON(w, http.StatusBadRequest, map[string]any{"error": map[string]string{"message": "key required"}})
		return
	}
	s.mu.Lock()
	s.uploadCT[key] = q.Get("mimeType")
	base := s.baseURL
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]any{"data": map[string]string{"url": base + "/signed-upload/" + url.PathEscape(key)}})
}

func (s *Server) upload(w http.ResponseWriter, r *http.Request) {
	key, err := url.PathUnescape(r.PathValue("key"))
	if err != nil {
		writeError(w, http.StatusBadRequest, "bad key")
		return
	}
	data, err := io.ReadAll(io.LimitReader(r.Body, 64<<20))
	if err != nil {
		writeError(w, http.StatusBadRequest, "read body: "+err.Error())
		return
	}
	s.mu.Lock()
	ct := s.uploadCT[key]
	s.mu.Unlock()
	if ct == "" {
		ct = r.Header.Get("Content-Type")
	}
	repo, _, _ := strings.Cut(key, "/")
	if err := s.ix.PutBlob(r.Context(), repo, key, store.Blob{ContentType: ct, Data: data}); err != nil {
		s.fail(w, err)
		return
	}
	w.WriteHeader(http.StatusOK)
}

// ---- query ----

func (s *Server) searchTraces(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	tq := store.TraceQuery{Repo: s.repo, SessionID: q.Get("session"), Name: q.Get("name"), Model: q.Get("model"),
		ErrorOnly: q.Get("status") == "error", Cursor: q.Get("cursor")}
	var err error
	if tq.From, err = parseTime(q.Get("from")); err != nil {
		writeError(w, http.StatusBadRequest, "from: "+err.Error())
		return
	}
	if tq.To, err = parseTime(q.Get("to")); err != nil {
		writeError(w, http.StatusBadRequest, "to: "+err.Error())
		return
	}
	for _, t := range q["tag"] {
		k, v, ok := strings.Cut(t, ":")
		if !ok {
			writeError(w, http.StatusBadRequest, "tag: want key:value")
			return
		}
		if tq.Tags == nil {
			tq.Tags = map[string]string{}
		}
		tq.Tags[k] = v
	}
	if md := q.Get("min_duration"); md != "" {
		if ms, err := strconv.ParseFloat(md, 64); err == nil {
			tq.MinDuration = time.Duration(ms * float64(time.Millisecond))
		} else if tq.MinDuration, err = time.ParseDuration(md); err != nil {
			writeError(w, http.StatusBadRequest, "min_duration: "+err.Error())
			return
		}
	}
	if l := q.Get("limit"); l != "" {
		if tq.Limit, err = strconv.Atoi(l); err != nil || tq.Limit <= 0 {
			writeError(w, http.StatusBadRequest, "limit: want a positive integer")
			return
		}
	}
	page, err := s.ix.SearchTraces(r.Context(), tq)
	if err != nil {
		s.fail(w, err)
		return
	}
	if page.Traces == nil {
		page.Traces = []store.TraceSummary{}
	}
	writeJSON(w, http.StatusOK, page)
}

func parseTime(v string) (time.Time, error) {
	if v == "" {
		return time.Time{}, nil
	}
	if ms, err := strconv.ParseInt(v, 10, 64); err == nil {
		return time.UnixMilli(ms).UTC(), nil
	}
	return time.Parse(time.RFC3339Nano, v)
}

func (s *Server) searchSessions(w http.ResponseWriter, r *http.Request) {
	sq := store.SessionQuery{Repo: s.repo, Cursor: r.URL.Query().Get("cursor")}
	if l := r.URL.Query().Get("limit"); l != "" {
		sq.Limit, _ = strconv.Atoi(l)
	}
	page, err := s.ix.SearchSessions(r.Context(), sq)
	if err != nil {
		s.fail(w, err)
		return
	}
	if page.Sessions == nil {
		page.Sessions = []store.SessionSummary{}
	}
	writeJSON(w, http.StatusOK, page)
}

func (s *Server) getTrace(w http.ResponseWriter, r *http.Request) {
	t, err := tree.AssembleTrace(r.Context(), s.ix, commit.NodeRef{Repo: s.repo, Kind: commit.EntityTrace, ID: r.PathValue("id")})
	if err != nil {
		s.fail(w, err)
		return
	}
	writeJSON(w, http.StatusOK, t)
}

func (s *Server) getSession(w http.ResponseWriter, r *http.Request) {
	ss, err := tree.AssembleSession(r.Context(), s.ix, commit.NodeRef{Repo: s.repo, Kind: commit.EntitySession, ID: r.PathValue("id")})
	if err != nil {
		s.fail(w, err)
		return
	}
	writeJSON(w, http.StatusOK, ss)
}

type historyEntry struct {
	Version  int64           `json:"version"`
	Time     time.Time       `json:"time"`
	CommitID string          `json:"commitId"`
	Action   commit.Action   `json:"action"`
	From     *commit.NodeRef `json:"from,omitempty"`
	Data     json.RawMessage `json:"data"`
}

// getEntity folds one node from its own commits plus the parents' add-*
// commits that name it, like the query extension does.
func (s *Server) getEntity(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	ref := commit.NodeRef{Repo: s.repo, Kind: commit.Entity(r.PathValue("kind")), ID: r.PathValue("id")}
	parents, err := s.ix.Parents(ctx, ref)
	if err != nil {
		s.fail(w, err)
		return
	}
	children, err := s.ix.Children(ctx, []commit.NodeRef{ref})
	if err != nil {
		s.fail(w, err)
		return
	}
	sets, err := s.ix.Commits(ctx, append([]commit.NodeRef{ref}, parents...))
	if err != nil {
		s.fail(w, err)
		return
	}
	all := append([]commit.Commit(nil), sets[ref]...)
	for _, p := range parents {
		for _, c := range sets[p] {
			if child, ok := tree.ChildRef(&c); ok && child == ref {
				all = append(all, c)
			}
		}
	}
	if len(all) == 0 && len(children[ref]) == 0 {
		writeError(w, http.StatusNotFound, "not found")
		return
	}
	sort.Slice(all, func(i, j int) bool { return commit.Less(&all[i], &all[j]) })
	hist := make([]historyEntry, 0, len(all))
	for _, c := range all {
		h := historyEntry{Version: c.Version, Time: time.Unix(0, c.Version).UTC(), CommitID: c.ID.String(), Action: c.Action, Data: c.Data}
		if n := c.Node(); n != ref {
			h.From = &n
		}
		hist = append(hist, h)
	}
	if parents == nil {
		parents = []commit.NodeRef{}
	}
	kids := children[ref]
	if kids == nil {
		kids = []commit.NodeRef{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"ref": ref, "node": tree.Fold(ref, all), "parents": parents, "children": kids, "commits": hist})
}

func (s *Server) getAttachment(w http.ResponseWriter, r *http.Request) {
	key := r.PathValue("key")
	b, err := s.ix.GetBlob(r.Context(), s.repo, key)
	if err != nil {
		s.fail(w, err)
		return
	}
	ct := b.ContentType
	if ct == "" {
		ct = "application/octet-stream"
	}
	w.Header().Set("Content-Type", ct)
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Header().Set("Content-Security-Policy", "sandbox")
	_, _ = w.Write(b.Data)
}

// live is the SSE change feed, same events as tracetree_query's.
func (s *Server) live(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	traceID, sessionID := q.Get("trace"), q.Get("session")
	rc := http.NewResponseController(w)
	changes, cancel := s.ix.Subscribe(r.Context(), s.repo)
	defer cancel()
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusOK)
	_, _ = fmt.Fprint(w, "retry: 2000\n: connected\n\n")
	_ = rc.Flush()
	hb := time.NewTicker(5 * time.Second)
	defer hb.Stop()
	seq := 0
	for {
		var out string
		select {
		case <-r.Context().Done():
			return
		case <-hb.C:
			out = ": heartbeat\n\n"
		case ch, ok := <-changes:
			if !ok {
				_, _ = fmt.Fprint(w, "event: resync\ndata: {}\n\n")
				_ = rc.Flush()
				return
			}
			if len(ch.Nodes) == 0 {
				out = "event: resync\ndata: {}\n\n"
				break
			}
			if traceID != "" && !contains(ch.Traces, traceID) || sessionID != "" && !contains(ch.Sessions, sessionID) {
				continue
			}
			b, _ := json.Marshal(map[string]any{"repo": ch.Repo, "nodes": ch.Nodes, "traces": ch.Traces, "sessions": ch.Sessions, "at": ch.At})
			seq++
			out = fmt.Sprintf("id: %d\nevent: change\ndata: %s\n\n", seq, b)
		}
		if _, err := fmt.Fprint(w, out); err != nil {
			return
		}
		if err := rc.Flush(); err != nil {
			return
		}
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
