package maximauthextension

import (
	"bytes"
	"context"
	"io"
	"net"
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/client"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/confmap"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.opentelemetry.io/collector/pdata/ptrace/ptraceotlp"
	"go.opentelemetry.io/collector/receiver/otlpreceiver"
	"go.opentelemetry.io/collector/receiver/receivertest"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
)

type host struct {
	exts map[component.ID]component.Component
}

func (h host) GetExtensions() map[component.ID]component.Component { return h.exts }

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer ln.Close()
	return ln.Addr().String()
}

// startOTLP runs the standard otlp receiver with the given protocols config
// and the maxim_auth extension available as "maxim_auth".
func startOTLP(t *testing.T, protocols map[string]any) *consumertest.TracesSink {
	t.Helper()
	a := newTestAuth(t, scopedConfig())
	h := host{exts: map[component.ID]component.Component{component.MustNewID("maxim_auth"): a}}
	f := otlpreceiver.NewFactory()
	cfg := f.CreateDefaultConfig()
	require.NoError(t, confmap.NewFromStringMap(map[string]any{"protocols": protocols}).Unmarshal(cfg))
	sink := new(consumertest.TracesSink)
	r, err := f.CreateTraces(context.Background(), receivertest.NewNopSettings(f.Type()), cfg, sink)
	require.NoError(t, err)
	require.NoError(t, r.Start(context.Background(), h))
	t.Cleanup(func() { require.NoError(t, r.Shutdown(context.Background())) })
	return sink
}

func otlpBody(t *testing.T) []byte {
	td := ptrace.NewTraces()
	s := td.ResourceSpans().AppendEmpty().ScopeSpans().AppendEmpty().Spans().AppendEmpty()
	s.SetName("chat")
	s.SetTraceID([16]byte{1})
	s.SetSpanID([8]byte{1})
	b, err := ptraceotlp.NewExportRequestFromTraces(td).MarshalProto()
	require.NoError(t, err)
	return b
}

func postOTLP(t *testing.T, addr, key, repo string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, "http://"+addr+"/v1/traces", bytes.NewReader(otlpBody(t)))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/x-protobuf")
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

func checkRepoInContext(t *testing.T, sink *consumertest.TracesSink, repo string) {
	t.Helper()
	require.Equal(t, 1, sink.SpanCount())
	info := client.FromContext(sink.Contexts()[0])
	assert.Equal(t, []string{repo}, info.Metadata.Get(HeaderRepoID))
	repos, ok := grantedRepos(info)
	require.True(t, ok)
	assert.Equal(t, []string{"repo-a", "repo-b"}, repos)
}

func TestOTLPReceiverHTTPMiddleware(t *testing.T) {
	addr := freeAddr(t)
	sink := startOTLP(t, map[string]any{"http": map[string]any{
		"endpoint": addr, "include_metadata": true,
		"middlewares": []any{map[string]any{"id": "maxim_auth"}},
	}})
	code, body := postOTLP(t, addr, "", "repo-a")
	assert.Equal(t, http.StatusForbidden, code)
	assert.JSONEq(t, InvalidAccessBody, body)
	code, body = postOTLP(t, addr, "team-key", "repo-z")
	assert.Equal(t, http.StatusForbidden, code)
	assert.JSONEq(t, InvalidAccessBody, body)
	assert.Equal(t, 0, sink.SpanCount())

	code, _ = postOTLP(t, addr, "team-key", "repo-a")
	require.Equal(t, http.StatusOK, code)
	checkRepoInContext(t, sink, "repo-a")
}

func TestOTLPReceiverHTTPAuth(t *testing.T) {
	addr := freeAddr(t)
	sink := startOTLP(t, map[string]any{"http": map[string]any{
		"endpoint": addr, "include_metadata": true,
		"auth": map[string]any{"authenticator": "maxim_auth"},
	}})
	// confighttp answers every authenticator refusal with 401.
	code, _ := postOTLP(t, addr, "wrong", "repo-a")
	assert.Equal(t, http.StatusUnauthorized, code)
	code, _ = postOTLP(t, addr, "team-key", "repo-z")
	assert.Equal(t, http.StatusUnauthorized, code)
	assert.Equal(t, 0, sink.SpanCount())
	code, _ = postOTLP(t, addr, "team-key", "repo-a")
	require.Equal(t, http.StatusOK, code)
	checkRepoInContext(t, sink, "repo-a")
}

func TestOTLPReceiverGRPCAuth(t *testing.T) {
	addr := freeAddr(t)
	sink := startOTLP(t, map[string]any{"grpc": map[string]any{
		"endpoint": addr, "include_metadata": true,
		"auth": map[string]any{"authenticator": "maxim_auth"},
	}})
	conn, err := grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	require.NoError(t, err)
	defer conn.Close()
	c := ptraceotlp.NewGRPCClient(conn)
	req := ptraceotlp.NewExportRequest()
	require.NoError(t, req.UnmarshalProto(otlpBody(t)))

	export := func(md ...string) error {
		ctx := metadata.NewOutgoingContext(context.Background(), metadata.Pairs(md...))
		_, err := c.Export(ctx, req)
		return err
	}
	err = export("x-maxim-api-key", "wrong")
	assert.Equal(t, codes.PermissionDenied, status.Code(err))
	err = export("x-maxim-api-key", "team-key", "x-maxim-repo-id", "repo-z")
	assert.Equal(t, codes.PermissionDenied, status.Code(err))
	assert.Equal(t, 0, sink.SpanCount())
	require.NoError(t, export("x-maxim-api-key", "team-key", "x-maxim-repo-id", "repo-a"))
	checkRepoInContext(t, sink, "repo-a")
}
