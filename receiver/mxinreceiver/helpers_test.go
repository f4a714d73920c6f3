package mxinreceiver

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"testing"

	"github.com/open-telemetry/opentelemetry-collector-contrib/extension/storage/filestorage"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/extension"
	"go.opentelemetry.io/collector/extension/extensiontest"
	"go.opentelemetry.io/collector/receiver/receivertest"

	"github.com/otelcol-genai/otelcol-genai/extension/maximauthextension"
	"github.com/otelcol-genai/otelcol-genai/pkg/commit"
	"github.com/otelcol-genai/otelcol-genai/receiver/mxinreceiver/internal/metadata"
)

const (
	testKey     = "test-key-all"
	teamKey     = "test-key-team"
	testRepo    = "repo-local-1"
	teamRepo    = "team-repo"
	foreignRepo = "other-repo"
)

type testHost struct {
	exts map[component.ID]component.Component
}

func (h *testHost) GetExtensions() map[component.ID]component.Component { return h.exts }

type env struct {
	t      *testing.T
	url    string
	r      *mxinReceiver
	logs   *consumertest.LogsSink
	traces *consumertest.TracesSink
	tel    *componenttest.Telemetry
}

type envOpts struct {
	cfg      func(*Config)
	logs     consumer.Logs
	traces   consumer.Traces
	noBlobs  bool
	noTraces bool
}

var (
	authID = component.MustNewID("maxim_auth")
	blobID = component.MustNewIDWithName("file_storage", "blobs")
)

// newEnv starts a real mxin receiver on a loopback port with the real
// maxim_auth extension and the contrib file_storage extension for blobs.
func newEnv(t *testing.T, o envOpts) *env {
	t.Helper()
	ctx := context.Background()
	exts := map[component.ID]component.Component{}

	authCfg := &maximauthextension.Config{Keys: []maximauthextension.KeyConfig{
		{Key: testKey, Repos: []string{"*"}},
		{Key: teamKey, Repos: []string{teamRepo}},
	}}
	auth, err := maximauthextension.NewFactory().Create(ctx, extensiontest.NewNopSettings(component.MustNewType("maxim_auth")), authCfg)
	require.NoError(t, err)
	exts[authID] = auth
	if !o.noBlobs {
		fsf := filestorage.NewFactory()
		fsCfg := fsf.CreateDefaultConfig().(*filestorage.Config)
		fsCfg.Directory = t.TempDir()
		fs, err := fsf.Create(ctx, extension.Settings{ID: blobID, TelemetrySettings: componenttest.NewNopTelemetrySettings(), BuildInfo: component.NewDefaultBuildInfo()}, fsCfg)
		require.NoError(t, err)
		exts[blobID] = fs
	}
	host := &testHost{exts: exts}
	for _, e := range exts {
		require.NoError(t, e.Start(ctx, host))
	}

	cfg := NewFactory().CreateDefaultConfig().(*Config)
	cfg.NetAddr.Endpoint = "127.0.0.1:0"
	cfg.Authenticator = &authID
	if !o.noBlobs {
		cfg.BlobStorage = &blobID
	}
	if o.cfg != nil {
		o.cfg(cfg)
	}
	tel := componenttest.NewTelemetry()
	set := receivertest.NewNopSettings(metadata.Type)
	set.TelemetrySettings = tel.NewTelemetrySettings()

	e := &env{t: t, logs: new(consumertest.LogsSink), traces: new(consumertest.TracesSink), tel: tel}
	var nextLogs consumer.Logs = e.logs
	if o.logs != nil {
		nextLogs = o.logs
	}
	var nextTraces consumer.Traces = e.traces
	if o.traces != nil {
		nextTraces = o.traces
	}
	f := NewFactory()
	lr, err := f.CreateLogs(ctx, set, cfg, nextLogs)
	require.NoError(t, err)
	if !o.noTraces {
		tr, err := f.CreateTraces(ctx, set, cfg, nextTraces)
		require.NoError(t, err)
		require.Same(t, lr, tr, "logs and traces share one receiver")
		require.NoError(t, tr.Start(ctx, host))
	}
	require.NoError(t, lr.Start(ctx, host))
	e.r = lr.(*mxinReceiver)
	e.url = "http://" + e.r.addr.String()
	t.Cleanup(func() {
		require.NoError(t, lr.Shutdown(context.Background()))
		for _, x := range exts {
			require.NoError(t, x.Shutdown(context.Background()))
		}
		require.NoError(t, tel.Shutdown(context.Background()))
	})
	return e
}

type response struct {
	code   int
	header http.Header
	body   []byte
}

func (r response) json(t *testing.T) map[string]any {
	t.Helper()
	var m map[string]any
	require.NoError(t, json.Unmarshal(r.body, &m), "body %s", r.body)
	return m
}

func (e *env) do(method, path string, headers map[string]string, body []byte) response {
	e.t.Helper()
	req, err := http.NewRequest(method, e.url+path, bytes.NewReader(body))
	require.NoError(e.t, err)
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(e.t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(e.t, err)
	return response{code: resp.StatusCode, header: resp.Header, body: b}
}

func (e *env) push(repo, key string, body []byte) response {
	e.t.Helper()
	h := map[string]string{"Content-Type": "text/plain"}
	if key != "" {
		h["x-maxim-api-key"] = key
	}
	return e.do(http.MethodPost, "/api/sdk/v3/log?id="+repo, h, body)
}

// commits decodes everything the logs sink received.
func (e *env) commits() []commit.Commit {
	e.t.Helper()
	var out []commit.Commit
	for _, ld := range e.logs.AllLogs() {
		cs, err := commit.CommitsFromLogs(ld)
		require.NoError(e.t, err)
		out = append(out, cs...)
	}
	return out
}

type captured struct {
	Scenario string `json:"scenario"`
	Seq      int    `json:"seq"`
	Method   string `json:"method"`
	Path     string `json:"path"`
	Body     string `json:"body"`
	Omitted  bool   `json:"bodyOmitted"`
	Response struct {
		Status int `json:"status"`
	} `json:"response"`
}

func loadCapture(t testing.TB) []captured {
	t.Helper()
	b, err := os.ReadFile("testdata/maxim-js-capture.ndjson")
	require.NoError(t, err)
	var out []captured
	for _, l := range bytes.Split(bytes.TrimSpace(b), []byte("\n")) {
		var c captured
		require.NoError(t, json.Unmarshal(l, &c))
		out = append(out, c)
	}
	return out
}
