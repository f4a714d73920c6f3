package maximauthextension

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/client"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/extension/extensiontest"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/otelcol-genai/otelcol-genai/extension/maximauthextension/internal/metadata"

	"github.com/otelcol-genai/otelcol-genai/internal/repoaccess"
)

func newTestAuth(t *testing.T, cfg *Config) *Authenticator {
	t.Helper()
	require.NoError(t, cfg.Validate())
	ext, err := NewFactory().Create(context.Background(), extensiontest.NewNopSettings(metadata.Type), cfg)
	require.NoError(t, err)
	require.NoError(t, ext.Start(context.Background(), componenttest.NewNopHost()))
	t.Cleanup(func() { require.NoError(t, ext.Shutdown(context.Background())) })
	return ext.(*Authenticator)
}

func scopedConfig() *Config {
	return &Config{Keys: []KeyConfig{
		{Key: "all-key", Repos: []string{"*"}},
		{Key: "team-key", Repos: []string{"repo-a", "repo-b"}},
	}}
}

func TestAuthenticateKeys(t *testing.T) {
	a := newTestAuth(t, scopedConfig())
	tests := []struct {
		name      string
		headers   map[string][]string
		wantErr   bool
		wantRepos []string
		wantRepo  string // x-maxim-repo-id in metadata
	}{
		{name: "missing key", headers: map[string][]string{}, wantErr: true},
		{name: "empty key", headers: map[string][]string{"X-Maxim-Api-Key": {""}}, wantErr: true},
		{name: "wrong key", headers: map[string][]string{"X-Maxim-Api-Key": {"nope"}}, wantErr: true},
		{name: "wildcard key, canonical header", headers: map[string][]string{"X-Maxim-Api-Key": {"all-key"}}, wantRepos: []string{"*"}},
		{name: "gRPC lower-case metadata", headers: map[string][]string{"x-maxim-api-key": {"team-key"}}, wantRepos: []string{"repo-a", "repo-b"}},
		{name: "scoped key, own repo", headers: map[string][]string{"X-Maxim-Api-Key": {"team-key"}, "X-Maxim-Repo-Id": {"repo-b"}}, wantRepos: []string{"repo-a", "repo-b"}, wantRepo: "repo-b"},
		{name: "scoped key, foreign repo", headers: map[string][]string{"X-Maxim-Api-Key": {"team-key"}, "X-Maxim-Repo-Id": {"repo-z"}}, wantErr: true},
		{name: "wildcard key, any repo", headers: map[string][]string{"X-Maxim-Api-Key": {"all-key"}, "x-maxim-repo-id": {"repo-z"}}, wantRepos: []string{"*"}, wantRepo: "repo-z"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, err := a.Authenticate(context.Background(), tt.headers)
			if tt.wantErr {
				require.Error(t, err)
				assert.True(t, IsInvalidAccess(err))
				s, _ := status.FromError(err)
				assert.Equal(t, codes.PermissionDenied, s.Code())
				return
			}
			require.NoError(t, err)
			info := client.FromContext(ctx)
			repos, ok := grantedRepos(info)
			require.True(t, ok)
			assert.Equal(t, tt.wantRepos, repos)
			assert.NotEmpty(t, info.Auth.GetAttribute(AttributeKeyID))
			if tt.wantRepo != "" {
				assert.Equal(t, []string{tt.wantRepo}, info.Metadata.Get(HeaderRepoID))
			} else {
				assert.Nil(t, info.Metadata.Get(HeaderRepoID))
			}
		})
	}
}

func TestAuthenticateKeepsExistingMetadata(t *testing.T) {
	a := newTestAuth(t, scopedConfig())
	ctx := client.NewContext(context.Background(), client.Info{Metadata: client.NewMetadata(map[string][]string{"tenant": {"t1"}})})
	ctx, err := a.Authenticate(ctx, map[string][]string{"x-maxim-api-key": {"all-key"}, "x-maxim-repo-id": {"r1"}})
	require.NoError(t, err)
	md := client.FromContext(ctx).Metadata
	assert.Equal(t, []string{"t1"}, md.Get("tenant"))
	assert.Equal(t, []string{"r1"}, md.Get("X-Maxim-Repo-Id"))
}

func TestCheckRepo(t *testing.T) {
	a := newTestAuth(t, scopedConfig())
	assert.ErrorIs(t, CheckRepo(context.Background(), "repo-a"), ErrNoAPIKey)
	ctx, err := a.Authenticate(context.Background(), map[string][]string{"x-maxim-api-key": {"team-key"}})
	require.NoError(t, err)
	assert.NoError(t, CheckRepo(ctx, "repo-a"))
	assert.True(t, IsInvalidAccess(CheckRepo(ctx, "repo-c")))
	assert.True(t, IsInvalidAccess(CheckRepo(ctx, "")), "an empty repo is never allowed")
}

func TestInsecureAllowAllWarnsAndAccepts(t *testing.T) {
	core, logs := observer.New(zapcore.WarnLevel)
	set := extensiontest.NewNopSettings(metadata.Type)
	set.Logger = zap.New(core)
	ext, err := NewFactory().Create(context.Background(), set, &Config{InsecureAllowAll: true})
	require.NoError(t, err)
	require.NoError(t, ext.Start(context.Background(), componenttest.NewNopHost()))
	require.Equal(t, 1, logs.FilterMessageSnippet("insecure_allow_all").Len())

	ctx, err := ext.(*Authenticator).Authenticate(context.Background(), map[string][]string{"x-maxim-repo-id": {"any"}})
	require.NoError(t, err)
	assert.NoError(t, CheckRepo(ctx, "any"))
	assert.Equal(t, []string{"any"}, client.FromContext(ctx).Metadata.Get(HeaderRepoID))
}

func TestSecureModeDoesNotWarn(t *testing.T) {
	core, logs := observer.New(zapcore.WarnLevel)
	set := extensiontest.NewNopSettings(metadata.Type)
	set.Logger = zap.New(core)
	ext, err := NewFactory().Create(context.Background(), set, scopedConfig())
	require.NoError(t, err)
	require.NoError(t, ext.Start(context.Background(), componenttest.NewNopHost()))
	assert.Equal(t, 0, logs.Len())
}

func TestHTTPMiddleware(t *testing.T) {
	a := newTestAuth(t, scopedConfig())
	wrap, err := a.GetHTTPHandler(context.Background())
	require.NoError(t, err)
	var seenRepos []string
	h, err := wrap(context.Background(), http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		seenRepos, _ = grantedRepos(client.FromContext(r.Context()))
		w.WriteHeader(http.StatusOK)
	}))
	require.NoError(t, err)
	srv := httptest.NewServer(h)
	defer srv.Close()

	do := func(key, repo string) (int, string) {
		req, _ := http.NewRequest(http.MethodPost, srv.URL+"/v1/traces", nil)
		if key != "" {
			req.Header.Set("x-maxim-api-key", key)
		}
		if repo != "" {
			req.Header.Set("x-maxim-repo-id", repo)
		}
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	code, body := do("", "")
	assert.Equal(t, http.StatusForbidden, code)
	assert.JSONEq(t, `{"code":403,"message":"Invalid access error"}`, body)
	code, body = do("team-key", "repo-x")
	assert.Equal(t, http.StatusForbidden, code)
	assert.JSONEq(t, `{"code":403,"message":"Invalid access error"}`, body)
	code, _ = do("team-key", "repo-a")
	assert.Equal(t, http.StatusOK, code)
	assert.Equal(t, []string{"repo-a", "repo-b"}, seenRepos)
}

// grantedRepos reads the repositories Authenticate granted, through the rule
// every consumer uses.
func grantedRepos(info client.Info) ([]string, bool) {
	g, ok, err := repoaccess.FromAuth(info.Auth)
	return g.Repos(), ok && err == nil
}
