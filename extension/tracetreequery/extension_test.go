package tracetreequery

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/config/configauth"
	"go.opentelemetry.io/collector/config/confighttp"
	"go.opentelemetry.io/collector/config/configoptional"
	"go.opentelemetry.io/collector/extension/extensiontest"

	"github.com/otelcol-genai/otelcol-genai/extension/maximauthextension"
	"github.com/otelcol-genai/otelcol-genai/extension/tracetreestore"
	"github.com/otelcol-genai/otelcol-genai/internal/store/pebblestore"
	"github.com/otelcol-genai/otelcol-genai/internal/tree"
	"github.com/otelcol-genai/otelcol-genai/pkg/commit"
)

type testHost struct {
	exts map[component.ID]component.Component
}

func (h testHost) GetExtensions() map[component.ID]component.Component { return h.exts }

var (
	storeID = component.MustNewID("tracetree_store")
	authID  = component.MustNewID("maxim_auth")
)

// startCollectorExtensions starts the real store (Pebble) and maxim_auth
// extensions and then the query extension with auth, as the collector would.
func startCollectorExtensions(t *testing.T, requestParams ...string) (*queryExtension, testHost) {
	t.Helper()
	ctx := context.Background()
	host := testHost{exts: map[component.ID]component.Component{}}

	sf := tracetreestore.NewFactory()
	scfg := sf.CreateDefaultConfig().(*tracetreestore.Config)
	pc := pebblestore.DefaultConfig()
	pc.Directory = t.TempDir()
	scfg.Backends = map[string]tracetreestore.BackendConfig{"local": {Pebble: &pc}}
	scfg.Indexer.Debounce = time.Millisecond
	st, err := sf.Create(ctx, extensiontest.NewNopSettings(sf.Type()), scfg)
	require.NoError(t, err)
	require.NoError(t, st.Start(ctx, host))
	t.Cleanup(func() { require.NoError(t, st.Shutdown(context.Background())) })
	host.exts[storeID] = st

	af := maximauthextension.NewFactory()
	acfg := af.CreateDefaultConfig().(*maximauthextension.Config)
	acfg.Keys = []maximauthextension.KeyConfig{
		{Key: "key-one", Repos: []string{"repo1"}},
		{Key: "key-all", Repos: []string{"*"}},
	}
	auth, err := af.Create(ctx, extensiontest.NewNopSettings(af.Type()), acfg)
	require.NoError(t, err)
	require.NoError(t, auth.Start(ctx, host))
	t.Cleanup(func() { require.NoError(t, auth.Shutdown(context.Background())) })
	host.exts[authID] = auth

	cfg := NewFactory().CreateDefaultConfig().(*Config)
	cfg.NetAddr.Endpoint = "127.0.0.1:0"
	cfg.Auth = configoptional.Some(confighttp.AuthConfig{Config: configauth.Config{AuthenticatorID: authID}, RequestParameters: requestParams})
	ext, err := NewFactory().Create(ctx, extensiontest.NewNopSettings(NewFactory().Type()), cfg)
	require.NoError(t, err)
	q := ext.(*queryExtension)
	require.NoError(t, q.Start(ctx, host))
	t.Cleanup(func() { _ = q.Shutdown(context.Background()) })
	return q, host
}

func do(t *testing.T, url, key string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, url, nil)
	require.NoError(t, err)
	if key != "" {
		req.Header.Set("x-maxim-api-key", key)
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp.StatusCode, string(b)
}

func TestExtensionServesWithMaximAuth(t *testing.T) {
	q, host := startCollectorExtensions(t)
	base := "http://" + q.Addr().String()
	ctx := context.Background()

	st, err := tracetreestore.GetStore(host, storeID, "")
	require.NoError(t, err)
	for _, repo := range []string{"repo1", "repo2"} {
		cs, errs := commit.ParseBody(repo, []byte(body), commit.NewVersioner())
		require.Empty(t, errs)
		require.NoError(t, st.Apply(ctx, cs, tree.EdgesOfAll(cs)))
	}

	// No key or a wrong key: the refusal of every ingest endpoint, Maxim's
	// 403 and its body (which has the API's JSON error shape).
	code, b := do(t, base+"/api/v1/traces/t1", "")
	assert.Equal(t, http.StatusForbidden, code)
	var e apiError
	require.NoError(t, json.Unmarshal([]byte(b), &e), b)
	assert.Equal(t, http.StatusForbidden, e.Code)
	assert.JSONEq(t, maximauthextension.InvalidAccessBody, b)
	code, _ = do(t, base+"/api/v1/traces/t1", "wrong-key")
	assert.Equal(t, http.StatusForbidden, code)

	// A one-repo key reads its repo without naming it, and nothing else.
	code, b = do(t, base+"/api/v1/traces/t1", "key-one")
	require.Equal(t, http.StatusOK, code, b)
	assert.Contains(t, b, `"repo":"repo1"`)
	code, _ = do(t, base+"/api/v1/traces/t1?repo=repo2", "key-one")
	assert.Equal(t, http.StatusForbidden, code)

	// The all-repos key must name the repo.
	code, _ = do(t, base+"/api/v1/traces/t1", "key-all")
	assert.Equal(t, http.StatusBadRequest, code)
	code, b = do(t, base+"/api/v1/traces/t1?repo=repo2", "key-all")
	require.Equal(t, http.StatusOK, code, b)
	assert.Contains(t, b, `"repo":"repo2"`)

	// Search sees the trace once the indexer ran.
	assert.Eventually(t, func() bool {
		code, b := do(t, base+"/api/v1/traces", "key-one")
		return code == http.StatusOK && strings.Contains(b, `"id":"t1"`)
	}, 10*time.Second, 20*time.Millisecond)
}

func TestLiveFeedFromRealStoreAndShutdown(t *testing.T) {
	q, host := startCollectorExtensions(t)
	base := "http://" + q.Addr().String()
	st, err := tracetreestore.GetStore(host, storeID, "")
	require.NoError(t, err)

	req, err := http.NewRequest(http.MethodGet, base+"/api/v1/live?trace=t1", nil)
	require.NoError(t, err)
	req.Header.Set("x-maxim-api-key", "key-one")
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	require.True(t, sc.Scan()) // retry:
	require.True(t, sc.Scan()) // : connected

	// Writes after the stream opened arrive as a change event naming t1.
	cs, errs := commit.ParseBody("repo1", []byte(body), commit.NewVersioner())
	require.Empty(t, errs)
	require.NoError(t, st.Apply(context.Background(), cs, tree.EdgesOfAll(cs)))
	got := make(chan string, 1)
	go func() {
		for sc.Scan() {
			if line := sc.Text(); strings.HasPrefix(line, "data: ") {
				got <- line
				return
			}
		}
	}()
	select {
	case line := <-got:
		var ev liveEvent
		require.NoError(t, json.Unmarshal([]byte(strings.TrimPrefix(line, "data: ")), &ev))
		assert.Equal(t, "repo1", ev.Repo)
		assert.Contains(t, ev.Traces, "t1")
	case <-time.After(10 * time.Second):
		t.Fatal("no live event within 10s")
	}

	// Shutdown must not hang on the open stream.
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	start := time.Now()
	require.NoError(t, q.Shutdown(ctx))
	assert.Less(t, time.Since(start), 5*time.Second, fmt.Sprintf("shutdown took %s", time.Since(start)))
}

// The web UI is mounted at "/" and, like the OpenAPI document, is served
// without a key (a browser cannot send one when it loads a page; the
// assets hold no data). Everything under /api/ needs the key.
func TestUIIsPublicAPIIsNot(t *testing.T) {
	q, _ := startCollectorExtensions(t, "x-maxim-api-key")
	base := "http://" + q.Addr().String()

	for _, p := range []string{"/", "/traces/t1", "/sessions"} {
		code, b := do(t, base+p, "")
		assert.Equal(t, http.StatusOK, code, p)
		assert.Contains(t, b, "<title>otelcol-genai", p)
	}
	code, b := do(t, base+"/openapi.yaml", "")
	assert.Equal(t, http.StatusOK, code)
	assert.Contains(t, b, "openapi: 3.")

	code, _ = do(t, base+"/api/v1/traces", "")
	assert.Equal(t, http.StatusForbidden, code)
	code, _ = do(t, base+"/api/v1/nope", "")
	assert.Equal(t, http.StatusNotFound, code, "unknown API paths are JSON 404s, not the UI page")

	// auth.request_params works as in any confighttp server.
	code, b = do(t, base+"/api/v1/traces?x-maxim-api-key=key-one", "")
	assert.Equal(t, http.StatusOK, code, b)
}
