package tracetreequery

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/client"

	"github.com/otelcol-genai/otelcol-genai/internal/pricing"
	"github.com/otelcol-genai/otelcol-genai/internal/repoaccess"
	"github.com/otelcol-genai/otelcol-genai/internal/store"
	"github.com/otelcol-genai/otelcol-genai/internal/store/memstore"
	"github.com/otelcol-genai/otelcol-genai/internal/tree"
	"github.com/otelcol-genai/otelcol-genai/pkg/commit"
)

// feedStore is a memstore with a live feed the test drives by hand, so the
// API is tested apart from the indexer.
type feedStore struct {
	*memstore.Store
	mu   sync.Mutex
	subs map[string][]chan store.Change
}

func newFeedStore() *feedStore {
	return &feedStore{Store: memstore.New(), subs: map[string][]chan store.Change{}}
}

func (f *feedStore) Prices() *pricing.Table { return pricing.MustDefault() }

func (f *feedStore) Subscribe(_ context.Context, repo string) (<-chan store.Change, func()) {
	ch := make(chan store.Change, 16)
	f.mu.Lock()
	f.subs[repo] = append(f.subs[repo], ch)
	f.mu.Unlock()
	return ch, func() {}
}

func (f *feedStore) publish(c store.Change) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, ch := range f.subs[c.Repo] {
		ch <- c
	}
}

func (f *feedStore) subscribers(repo string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.subs[repo])
}

const body = `trace{id=t1,action=create,data={"name":"chat","tags":{"env":"prod"},"startTimestamp":"2026-11-22T08:33:49.664Z","sessionId":"s1"}}
trace{id=t1,action=add-span,data={"id":"sp1","name":"retrieve","tags":{},"startTimestamp":"2026-11-22T08:33:49.700Z"}}
span{id=sp1,action=add-generation,data={"id":"g1","messages":[{"role":"user","content":"hi"}],"provider":"openai","model":"gpt-4o","modelParameters":{},"tags":{},"startTimestamp":"2026-11-22T08:33:49.710Z"}}
generation{id=g1,action=update,data={"model":"gpt-4o-mini"}}
generation{id=g1,action=result,data={"result":{"id":"r1","object":"chat.completion","created":1,"model":"gpt-4o-mini","choices":[],"usage":{"prompt_tokens":3,"completion_tokens":5,"total_tokens":8}}}}
trace{id=t1,action=end,data={"endTimestamp":"2026-11-22T08:33:50.000Z"}}
session{id=s1,action=create,data={"name":"conv","tags":{},"startTimestamp":"2026-11-22T08:33:49.000Z"}}
`

var t0 = time.Date(2026, 11, 22, 8, 0, 0, 0, time.UTC)

func seed(t *testing.T) *feedStore {
	t.Helper()
	fs := newFeedStore()
	ctx := context.Background()
	cs, errs := commit.ParseBody("repo1", []byte(body), commit.NewVersioner())
	require.Empty(t, errs)
	require.NoError(t, fs.Apply(ctx, cs, tree.EdgesOfAll(cs)))
	// Another repository's trace that repo1 readers must never see.
	other, errs := commit.ParseBody("repo2", []byte(`trace{id=t9,action=create,data={"name":"secret"}}`), commit.NewVersioner())
	require.Empty(t, errs)
	require.NoError(t, fs.Apply(ctx, other, nil))

	rows := []store.TraceSummary{
		{Repo: "repo1", TraceID: "t1", Name: "chat", SessionID: "s1", Start: t0.Add(3 * time.Minute), DurationMs: 336,
			Tags: map[string]string{"env": "prod"}, Models: []string{"gpt-4o-mini"}, Revision: 1},
		{Repo: "repo1", TraceID: "t2", Name: "chat", Start: t0.Add(2 * time.Minute), DurationMs: 5000, Error: true,
			Tags: map[string]string{"env": "dev"}, Revision: 1},
		{Repo: "repo1", TraceID: "t3", Name: "embed", Start: t0.Add(1 * time.Minute), DurationMs: 10, Revision: 1},
		{Repo: "repo2", TraceID: "t9", Name: "secret", Start: t0.Add(4 * time.Minute), Revision: 1},
	}
	require.NoError(t, fs.PutTraceSummaries(ctx, rows))
	require.NoError(t, fs.PutSessionSummaries(ctx, []store.SessionSummary{
		{Repo: "repo1", SessionID: "s1", Name: "conv", Start: t0, TraceCount: 1, Revision: 1},
	}))
	require.NoError(t, fs.PutBlob(ctx, "repo1", "repo1/generation/g1/files/original/a1", store.Blob{ContentType: "image/png", Data: []byte("\x89PNG-bytes")}))
	return fs
}

// authAs makes every request look authenticated by maxim_auth with repos.
type fakeAuth []string

func (f fakeAuth) GetAttribute(name string) any {
	if name == repoaccess.Attribute {
		return []string(f)
	}
	return nil
}
func (fakeAuth) GetAttributeNames() []string { return []string{repoaccess.Attribute} }

func newServer(t *testing.T, fs *feedStore, repos []string, opts apiOptions) *httptest.Server {
	t.Helper()
	h := newAPI(fs, opts).handler()
	if repos != nil {
		inner := h
		h = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			ctx := client.NewContext(r.Context(), client.Info{Auth: fakeAuth(repos)})
			inner.ServeHTTP(w, r.WithContext(ctx))
		})
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv
}

func get(t *testing.T, srv *httptest.Server, path string, out any) (int, http.Header) {
	t.Helper()
	resp, err := http.Get(srv.URL + path)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	if out != nil {
		require.NoError(t, json.Unmarshal(b, out), "body: %s", b)
	}
	return resp.StatusCode, resp.Header
}

func getError(t *testing.T, srv *httptest.Server, path string, wantCode int) apiError {
	t.Helper()
	var e apiError
	code, h := get(t, srv, path, &e)
	require.Equal(t, wantCode, code, "GET %s: %+v", path, e)
	assert.Equal(t, wantCode, e.Code)
	assert.NotEmpty(t, e.Message)
	assert.Equal(t, "application/json", h.Get("Content-Type"))
	return e
}

func traceIDs(p store.TracePage) []string {
	var ids []string
	for _, tr := range p.Traces {
		ids = append(ids, tr.TraceID)
	}
	return ids
}

func TestSearchTraces(t *testing.T) {
	srv := newServer(t, seed(t), nil, apiOptions{})
	var page store.TracePage

	code, _ := get(t, srv, "/api/v1/traces?repo=repo1", &page)
	require.Equal(t, http.StatusOK, code)
	assert.Equal(t, []string{"t1", "t2", "t3"}, traceIDs(page), "newest first, one repo only")

	cases := map[string][]string{
		"tag=env:prod":      {"t1"},
		"status=error":      {"t2"},
		"name=chat":         {"t1", "t2"},
		"session=s1":        {"t1"},
		"model=gpt-4o-mini": {"t1"},
		"min_duration=1s":   {"t2"},
		"min_duration=300":  {"t1", "t2"},
		"from=" + url.QueryEscape(t0.Add(90*time.Second).Format(time.RFC3339)): {"t1", "t2"},
		"to=" + itoa(t0.Add(2*time.Minute).UnixMilli()):                        {"t3"},
		"tag=env:prod&tag=env:dev":                                             {"t2"}, // the last value of a repeated key wins
	}
	for q, want := range cases {
		page = store.TracePage{}
		code, _ = get(t, srv, "/api/v1/traces?repo=repo1&"+q, &page)
		require.Equal(t, http.StatusOK, code, q)
		assert.Equal(t, want, traceIDs(page), q)
	}

	// Cursor pagination walks every row exactly once.
	var seen []string
	path := "/api/v1/traces?repo=repo1&limit=2"
	for i := 0; i < 5; i++ {
		page = store.TracePage{}
		get(t, srv, path, &page)
		seen = append(seen, traceIDs(page)...)
		if page.NextCursor == "" {
			break
		}
		path = "/api/v1/traces?repo=repo1&limit=2&cursor=" + url.QueryEscape(page.NextCursor)
	}
	assert.Equal(t, []string{"t1", "t2", "t3"}, seen)

	// An empty result is an empty list, not null.
	resp, err := http.Get(srv.URL + "/api/v1/traces?repo=nobody")
	require.NoError(t, err)
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	assert.JSONEq(t, `{"traces":[]}`, string(b))
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

func TestBadParameters(t *testing.T) {
	srv := newServer(t, seed(t), nil, apiOptions{})
	for _, path := range []string{
		"/api/v1/traces", // no repo and no key to infer it from
		"/api/v1/traces?repo=repo1&from=yesterday",
		"/api/v1/traces?repo=repo1&to=2026-13-01",
		"/api/v1/traces?repo=repo1&from=2000&to=1000",
		"/api/v1/traces?repo=repo1&tag=novalue",
		"/api/v1/traces?repo=repo1&status=weird",
		"/api/v1/traces?repo=repo1&min_duration=soon",
		"/api/v1/traces?repo=repo1&min_duration=-5",
		"/api/v1/traces?repo=repo1&limit=0",
		"/api/v1/traces?repo=repo1&limit=ten",
		"/api/v1/sessions?repo=repo1&limit=-1",
		"/api/v1/traces?repo=repo1&cursor=%25%25garbage",
		"/api/v1/sessions?repo=repo1&cursor=%25%25garbage",
		"/api/v1/entities/banana/x?repo=repo1",
	} {
		getError(t, srv, path, http.StatusBadRequest)
	}
	getError(t, srv, "/api/v1/nope", http.StatusNotFound)
}

// TestWrongMethod: every API route is GET; another method on a known path
// is a 405 naming the allowed methods (the "/api/" fallback, which matches
// every method, used to answer it with 404), and an unknown path stays 404.
func TestWrongMethod(t *testing.T) {
	srv := newServer(t, seed(t), nil, apiOptions{})
	for _, tc := range []struct {
		method, path string
		code         int
	}{
		{http.MethodPost, "/api/v1/traces?repo=repo1", http.StatusMethodNotAllowed},
		{http.MethodDelete, "/api/v1/traces/t1?repo=repo1", http.StatusMethodNotAllowed},
		{http.MethodPut, "/api/v1/attachments/repo1/a/b", http.StatusMethodNotAllowed},
		{http.MethodPost, "/api/v1/nope", http.StatusNotFound},
	} {
		req, err := http.NewRequest(tc.method, srv.URL+tc.path, strings.NewReader("{}"))
		require.NoError(t, err)
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		var e apiError
		require.NoError(t, json.NewDecoder(resp.Body).Decode(&e))
		resp.Body.Close()
		assert.Equal(t, tc.code, resp.StatusCode, "%s %s: %+v", tc.method, tc.path, e)
		assert.Equal(t, tc.code, e.Code)
		assert.NotEmpty(t, e.Message)
		if tc.code == http.StatusMethodNotAllowed {
			assert.Equal(t, "GET, HEAD", resp.Header.Get("Allow"))
		}
	}
}

func TestGetTraceAndSession(t *testing.T) {
	fs := seed(t)
	srv := newServer(t, fs, nil, apiOptions{})

	var got json.RawMessage
	code, _ := get(t, srv, "/api/v1/traces/t1?repo=repo1", &got)
	require.Equal(t, http.StatusOK, code)
	want, err := tree.AssembleTrace(context.Background(), fs, commit.NodeRef{Repo: "repo1", Kind: commit.EntityTrace, ID: "t1"})
	require.NoError(t, err)
	wantJSON, err := json.Marshal(want)
	require.NoError(t, err)
	assert.JSONEq(t, string(wantJSON), string(got), "the API serves the assembled tree")
	assert.Contains(t, string(got), "g1", "the generation under the span is part of the tree")

	getError(t, srv, "/api/v1/traces/nope?repo=repo1", http.StatusNotFound)
	getError(t, srv, "/api/v1/traces/t9?repo=repo1", http.StatusNotFound) // other repo's trace

	// A commit arriving after the summary was indexed shows at once: the
	// tree is read from the commits.
	late, errs := commit.ParseBody("repo1", []byte(`span{id=sp1,action=add-tool-call,data={"id":"tc1","name":"lookup","description":"","args":"{}"}}`), commit.NewVersioner())
	require.Empty(t, errs)
	require.NoError(t, fs.Apply(context.Background(), late, tree.EdgesOfAll(late)))
	got = nil
	get(t, srv, "/api/v1/traces/t1?repo=repo1", &got)
	assert.Contains(t, string(got), "tc1")

	var sess json.RawMessage
	code, _ = get(t, srv, "/api/v1/sessions/s1?repo=repo1", &sess)
	require.Equal(t, http.StatusOK, code)
	assert.Contains(t, string(sess), "t1", "the session lists its trace")
	getError(t, srv, "/api/v1/sessions/nope?repo=repo1", http.StatusNotFound)

	var sp store.SessionPage
	code, _ = get(t, srv, "/api/v1/sessions?repo=repo1", &sp)
	require.Equal(t, http.StatusOK, code)
	require.Len(t, sp.Sessions, 1)
	assert.Equal(t, "s1", sp.Sessions[0].SessionID)
}

func TestEntityHistory(t *testing.T) {
	srv := newServer(t, seed(t), nil, apiOptions{})
	var got struct {
		Ref      commit.NodeRef   `json:"ref"`
		Node     json.RawMessage  `json:"node"`
		Parents  []commit.NodeRef `json:"parents"`
		Children []commit.NodeRef `json:"children"`
		Commits  []historyEntry   `json:"commits"`
	}
	code, _ := get(t, srv, "/api/v1/entities/generation/g1?repo=repo1", &got)
	require.Equal(t, http.StatusOK, code)
	assert.Equal(t, commit.NodeRef{Repo: "repo1", Kind: commit.EntityGeneration, ID: "g1"}, got.Ref)
	assert.Equal(t, []commit.NodeRef{{Repo: "repo1", Kind: commit.EntitySpan, ID: "sp1"}}, got.Parents)
	assert.Empty(t, got.Children)
	// History: the parent's add-generation (the seed that creates g1), then
	// g1's own update and result, in fold order.
	require.Len(t, got.Commits, 3)
	assert.Equal(t, commit.ActionAddGeneration, got.Commits[0].Action)
	require.NotNil(t, got.Commits[0].From)
	assert.Equal(t, commit.NodeRef{Repo: "repo1", Kind: commit.EntitySpan, ID: "sp1"}, *got.Commits[0].From)
	assert.Equal(t, commit.ActionUpdate, got.Commits[1].Action)
	assert.Nil(t, got.Commits[1].From)
	assert.Equal(t, commit.ActionResult, got.Commits[2].Action)
	assert.Less(t, got.Commits[0].Version, got.Commits[1].Version, "history is in fold order")
	assert.Less(t, got.Commits[1].Version, got.Commits[2].Version, "history is in fold order")
	assert.Equal(t, time.Unix(0, got.Commits[1].Version).UTC(), got.Commits[1].Time)
	assert.Len(t, got.Commits[1].CommitID, 32)
	assert.JSONEq(t, `{"model":"gpt-4o-mini"}`, string(got.Commits[1].Data))

	// The node is the fold of all of it: the seed's provider and messages,
	// the later model update.
	var node struct {
		Model    string `json:"model"`
		Provider string `json:"provider"`
	}
	require.NoError(t, json.Unmarshal(got.Node, &node), "%s", got.Node)
	assert.Equal(t, "gpt-4o-mini", node.Model)
	assert.Equal(t, "openai", node.Provider)

	getError(t, srv, "/api/v1/entities/generation/nope?repo=repo1", http.StatusNotFound)
}

func TestAttachments(t *testing.T) {
	srv := newServer(t, seed(t), []string{"repo1"}, apiOptions{authEnabled: true})
	resp, err := http.Get(srv.URL + "/api/v1/attachments/repo1/generation/g1/files/original/a1")
	require.NoError(t, err)
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Equal(t, "image/png", resp.Header.Get("Content-Type"))
	assert.Equal(t, "nosniff", resp.Header.Get("X-Content-Type-Options"))
	assert.Equal(t, "\x89PNG-bytes", string(b))

	getError(t, srv, "/api/v1/attachments/repo1/missing", http.StatusNotFound)
}

func TestRepoScoping(t *testing.T) {
	fs := seed(t)

	// A key for exactly one repo needs no repo parameter.
	one := newServer(t, fs, []string{"repo1"}, apiOptions{authEnabled: true})
	var page store.TracePage
	code, _ := get(t, one, "/api/v1/traces", &page)
	require.Equal(t, http.StatusOK, code)
	assert.Equal(t, []string{"t1", "t2", "t3"}, traceIDs(page))
	getError(t, one, "/api/v1/traces?repo=repo2", http.StatusForbidden)
	getError(t, one, "/api/v1/traces/t9?repo=repo2", http.StatusForbidden)
	getError(t, one, "/api/v1/entities/trace/t9?repo=repo2", http.StatusForbidden)

	// A key for two repos must say which.
	two := newServer(t, fs, []string{"repo1", "repo2"}, apiOptions{authEnabled: true})
	getError(t, two, "/api/v1/traces", http.StatusBadRequest)
	page = store.TracePage{}
	get(t, two, "/api/v1/traces?repo=repo2", &page)
	assert.Equal(t, []string{"t9"}, traceIDs(page))

	// "*" reads everything but still needs a repo.
	all := newServer(t, fs, []string{"*"}, apiOptions{authEnabled: true})
	getError(t, all, "/api/v1/traces", http.StatusBadRequest)
	code, _ = get(t, all, "/api/v1/traces/t9?repo=repo2", nil)
	assert.Equal(t, http.StatusOK, code)

	// Auth configured but the request carries no auth data: refused.
	none := newServer(t, fs, nil, apiOptions{authEnabled: true})
	getError(t, none, "/api/v1/traces?repo=repo1", http.StatusForbidden)
}

func TestPlaceholderAndOpenAPI(t *testing.T) {
	srv := newServer(t, seed(t), nil, apiOptions{})
	resp, err := http.Get(srv.URL + "/")
	require.NoError(t, err)
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Contains(t, string(b), "openapi.yaml")

	resp, err = http.Get(srv.URL + "/openapi.yaml")
	require.NoError(t, err)
	b, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	assert.Equal(t, openAPIDoc, b)
}

// sseReader reads server-sent events.
type sseReader struct {
	sc *bufio.Scanner
}

// next returns the next event (name and data) or comment, skipping nothing.
func (s *sseReader) next(t *testing.T) (event, data, comment string) {
	t.Helper()
	for s.sc.Scan() {
		line := s.sc.Text()
		switch {
		case line == "":
			if event != "" || data != "" || comment != "" {
				return
			}
		case strings.HasPrefix(line, ":"):
			comment = strings.TrimSpace(line[1:])
		case strings.HasPrefix(line, "event: "):
			event = line[len("event: "):]
		case strings.HasPrefix(line, "data: "):
			data = line[len("data: "):]
		}
	}
	t.Fatalf("stream ended: %v", s.sc.Err())
	return
}

func openLive(t *testing.T, srv *httptest.Server, fs *feedStore, query string) *sseReader {
	t.Helper()
	before := fs.subscribers("repo1")
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, srv.URL+"/api/v1/live?"+query, nil)
	require.NoError(t, err)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	t.Cleanup(func() { resp.Body.Close() })
	require.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Equal(t, "text/event-stream", resp.Header.Get("Content-Type"))
	r := &sseReader{sc: bufio.NewScanner(resp.Body)}
	_, _, c := r.next(t)
	assert.Equal(t, "connected", c)
	require.Eventually(t, func() bool { return fs.subscribers("repo1") > before }, 5*time.Second, 5*time.Millisecond)
	return r
}

func TestLiveFeed(t *testing.T) {
	fs := seed(t)
	stop := make(chan struct{})
	srv := newServer(t, fs, nil, apiOptions{heartbeat: time.Hour, stop: stop})

	all := openLive(t, srv, fs, "repo=repo1")
	onlyT2 := openLive(t, srv, fs, "repo=repo1&trace=t2")

	n1 := commit.NodeRef{Repo: "repo1", Kind: commit.EntitySpan, ID: "sp1"}
	fs.publish(store.Change{Repo: "repo1", Nodes: []commit.NodeRef{n1}, Traces: []string{"t1"}, Sessions: []string{"s1"}, At: t0})
	n2 := commit.NodeRef{Repo: "repo1", Kind: commit.EntityTrace, ID: "t2"}
	fs.publish(store.Change{Repo: "repo1", Nodes: []commit.NodeRef{n2}, Traces: []string{"t2"}, At: t0})
	fs.publish(store.Change{Repo: "repo1"}) // the store dropped changes

	ev, data, _ := all.next(t)
	assert.Equal(t, "change", ev)
	var le liveEvent
	require.NoError(t, json.Unmarshal([]byte(data), &le))
	assert.Equal(t, []commit.NodeRef{n1}, le.Nodes)
	assert.Equal(t, []string{"t1"}, le.Traces)
	ev, data, _ = all.next(t)
	assert.Equal(t, "change", ev)
	assert.Contains(t, data, `"t2"`)
	ev, _, _ = all.next(t)
	assert.Equal(t, "resync", ev)

	// The filtered stream skips t1's change.
	ev, data, _ = onlyT2.next(t)
	assert.Equal(t, "change", ev)
	assert.Contains(t, data, `"t2"`)
	assert.NotContains(t, data, `"t1"`)
	ev, _, _ = onlyT2.next(t)
	assert.Equal(t, "resync", ev, "resync reaches filtered streams too")

	// Shutdown ends open streams.
	close(stop)
	done := make(chan struct{})
	go func() {
		for all.sc.Scan() {
		}
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("live stream did not end on shutdown")
	}
}

func TestLiveHeartbeat(t *testing.T) {
	fs := seed(t)
	srv := newServer(t, fs, nil, apiOptions{heartbeat: 20 * time.Millisecond})
	r := openLive(t, srv, fs, "repo=repo1")
	_, _, c := r.next(t)
	assert.Equal(t, "heartbeat", c)
}

// TestDeepTraceIsServed: a chain of 6,000 spans used to be answered with
// 500 "exceeded max depth" (encoding/json's nesting bound); it is served
// nested tree.MaxNodeDepth levels deep, the rest flattened (tree.LimitDepth).
func TestDeepTraceIsServed(t *testing.T) {
	fs := newFeedStore()
	lines := []string{`trace{id=deep,action=create,data={}}`, `trace{id=deep,action=add-span,data={"id":"s0"}}`}
	for i := 1; i < 6000; i++ {
		lines = append(lines, fmt.Sprintf(`span{id=s%d,action=add-span,data={"id":"s%d"}}`, i-1, i))
	}
	cs, errs := commit.ParseBody("repo1", []byte(strings.Join(lines, "\n")), commit.NewVersioner())
	require.Empty(t, errs)
	require.NoError(t, fs.Apply(context.Background(), cs, tree.EdgesOfAll(cs)))
	srv := newServer(t, fs, nil, apiOptions{})

	var got struct {
		Trace *tree.TreeNode `json:"trace"`
	}
	code, _ := get(t, srv, "/api/v1/traces/deep?repo=repo1", &got)
	require.Equal(t, http.StatusOK, code)
	n, level := got.Trace, 1
	for ; len(n.Children) == 1; level++ {
		n = n.Children[0]
	}
	assert.Equal(t, tree.MaxNodeDepth, level)
	assert.True(t, n.Flattened)
	assert.Len(t, n.Children, 6000-(tree.MaxNodeDepth-1))
}

// streamer writes prefix bytes of a JSON document and then fails, like a
// tree whose encoding fails at some node.
type streamer struct {
	prefix int
	err    error
}

func (s streamer) WriteJSON(w io.Writer) error {
	if s.prefix > 0 {
		if _, err := w.Write([]byte(`{"big":"` + strings.Repeat("x", s.prefix))); err != nil {
			return err
		}
	}
	return s.err
}

// A tree whose encoding fails before anything was sent is a 500 with the
// JSON error body; one that fails after the 200 and part of the body went
// out aborts the connection, so the client cannot take the truncated body
// for a whole tree.
func TestWriteStreamedEncodingFailure(t *testing.T) {
	a := newAPI(newFeedStore(), apiOptions{})
	fail := errors.New("json: unsupported value: NaN")

	rec := httptest.NewRecorder()
	a.writeStreamed(rec, httptest.NewRequest(http.MethodGet, "/api/v1/traces/t", nil), streamer{err: fail})
	require.Equal(t, http.StatusInternalServerError, rec.Code)
	var body apiError
	require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &body))
	assert.Contains(t, body.Message, "unsupported value")

	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		a.writeStreamed(w, r, streamer{prefix: 1 << 20, err: fail})
	}))
	defer srv.Close()
	resp, err := http.Get(srv.URL)
	require.NoError(t, err)
	defer resp.Body.Close()
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	_, err = io.ReadAll(resp.Body)
	assert.Error(t, err, "the aborted body read as complete")
}
