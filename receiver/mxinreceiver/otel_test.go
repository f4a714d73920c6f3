package mxinreceiver

import (
	"encoding/base64"
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/client"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/plog/plogotlp"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.opentelemetry.io/collector/pdata/ptrace/ptraceotlp"
)

// seedPayload is the example of Maxim's OTLP ingestion doc, including its
// non-standard "kind": "2".
const seedPayload = `{"resourceSpans":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"otel-test-genai"}}]},
"scopeSpans":[{"scope":{"name":"@opentelemetry/instrumentation-genai","version":"0.1.0"},"spans":[{"traceId":"5f8c7f9a3ef14f67af716ef4cf4a9d23","spanId":"8f2c9c1c6e5d4b2a","name":"chat gpt-4o","kind":"2",
"startTimeUnixNano":"1739340000000000000","endTimeUnixNano":"1739340000850000000",
"attributes":[{"key":"gen_ai.operation.name","value":{"stringValue":"chat"}},{"key":"gen_ai.request.model","value":{"stringValue":"gpt-4o"}},{"key":"gen_ai.usage.input_tokens","value":{"intValue":"24"}}]}]}]}]}`

func TestOTelJSON(t *testing.T) {
	e := newEnv(t, envOpts{})
	h := map[string]string{"x-maxim-api-key": testKey, "x-maxim-repo-id": testRepo, "Content-Type": "application/json"}
	resp := e.do(http.MethodPost, pathOTel, h, []byte(seedPayload))
	require.Equal(t, http.StatusOK, resp.code, string(resp.body))
	assert.JSONEq(t, `{"data":{"success":true}}`, string(resp.body))
	require.Equal(t, 1, e.traces.SpanCount())
	span := e.traces.AllTraces()[0].ResourceSpans().At(0).ScopeSpans().At(0).Spans().At(0)
	assert.Equal(t, "chat gpt-4o", span.Name())
	assert.Equal(t, ptrace.SpanKindServer, span.Kind(), `the doc's "kind": "2" is read as SERVER`)
	assert.Equal(t, []string{testRepo}, client.FromContext(e.traces.Contexts()[0]).Metadata.Get("x-maxim-repo-id"))
}

func TestOTelProtobuf(t *testing.T) {
	e := newEnv(t, envOpts{})
	td := ptrace.NewTraces()
	s := td.ResourceSpans().AppendEmpty().ScopeSpans().AppendEmpty().Spans().AppendEmpty()
	s.SetName("llm")
	s.SetTraceID([16]byte{1})
	s.SetSpanID([8]byte{2})
	body, err := ptraceotlp.NewExportRequestFromTraces(td).MarshalProto()
	require.NoError(t, err)
	for _, path := range []string{pathOTel, pathOTelTraces} {
		h := map[string]string{"x-maxim-api-key": testKey, "x-maxim-repo-id": testRepo, "Content-Type": "application/x-protobuf"}
		resp := e.do(http.MethodPost, path, h, body)
		require.Equal(t, http.StatusOK, resp.code, string(resp.body))
		assert.Equal(t, "application/x-protobuf", resp.header.Get("Content-Type"))
		er := ptraceotlp.NewExportResponse()
		require.NoError(t, er.UnmarshalProto(resp.body))
	}
	assert.Equal(t, 2, e.traces.SpanCount())
}

func TestOTelErrors(t *testing.T) {
	e := newEnv(t, envOpts{})
	tests := []struct {
		name     string
		headers  map[string]string
		body     string
		wantCode int
		wantBody string
	}{
		{"no api key", map[string]string{"x-maxim-repo-id": testRepo, "Content-Type": "application/json"}, seedPayload, http.StatusForbidden, invalidAccess},
		{"no repo id", map[string]string{"x-maxim-api-key": testKey, "Content-Type": "application/json"}, seedPayload, http.StatusForbidden, invalidAccess},
		{"repo of another key", map[string]string{"x-maxim-api-key": teamKey, "x-maxim-repo-id": foreignRepo, "Content-Type": "application/json"}, seedPayload, http.StatusForbidden, invalidAccess},
		{"bad content type", map[string]string{"x-maxim-api-key": testKey, "x-maxim-repo-id": testRepo, "Content-Type": "text/plain"}, seedPayload, http.StatusUnsupportedMediaType,
			`{"error":{"message":"Content-Type must be application/x-protobuf, application/protobuf or application/json"}}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp := e.do(http.MethodPost, pathOTel, tt.headers, []byte(tt.body))
			assert.Equal(t, tt.wantCode, resp.code)
			assert.JSONEq(t, tt.wantBody, string(resp.body))
		})
	}
	resp := e.do(http.MethodPost, pathOTel, map[string]string{"x-maxim-api-key": testKey, "x-maxim-repo-id": testRepo, "Content-Type": "application/json"}, []byte(`{"resourceSpans":[`))
	assert.Equal(t, http.StatusBadRequest, resp.code)
	assert.Contains(t, resp.json(t), "error")
	assert.Equal(t, 0, e.traces.SpanCount())
}

func TestLogsOnlyReceiverRefusesOTel(t *testing.T) {
	e := newEnv(t, envOpts{noTraces: true})
	resp := e.do(http.MethodPost, pathOTel, map[string]string{"x-maxim-api-key": testKey, "x-maxim-repo-id": testRepo, "Content-Type": "application/json"}, []byte(seedPayload))
	assert.Equal(t, http.StatusNotFound, resp.code)
	assert.JSONEq(t, `{"error":{"message":"this receiver is not in a traces pipeline"}}`, string(resp.body))
}

// OTLP logs (GenAI events) are served beside /v1/otel, at /v1/logs and at
// /v1/otel/v1/logs (an OTLP exporter given the /v1/otel base URL), and
// leave on the logs signal as they came, with the request's repository.
func TestOTelLogs(t *testing.T) {
	e := newEnv(t, envOpts{})
	const jsonBody = `{"resourceLogs":[{"scopeLogs":[{"logRecords":[{"timeUnixNano":"1739340000000000000","traceId":"5f8c7f9a3ef14f67af716ef4cf4a9d23","spanId":"8f2c9c1c6e5d4b2a",
"eventName":"gen_ai.user.message","body":{"kvlistValue":{"values":[{"key":"content","value":{"stringValue":"hi"}}]}}}]}]}]}`
	h := map[string]string{"x-maxim-api-key": testKey, "x-maxim-repo-id": testRepo, "Content-Type": "application/json"}
	resp := e.do(http.MethodPost, pathOTLPLogs, h, []byte(jsonBody))
	require.Equal(t, http.StatusOK, resp.code, string(resp.body))
	assert.JSONEq(t, `{"data":{"success":true}}`, string(resp.body))

	ld := plog.NewLogs()
	lr := ld.ResourceLogs().AppendEmpty().ScopeLogs().AppendEmpty().LogRecords().AppendEmpty()
	lr.SetEventName("gen_ai.choice")
	lr.SetSpanID([8]byte{2})
	body, err := plogotlp.NewExportRequestFromLogs(ld).MarshalProto()
	require.NoError(t, err)
	h["Content-Type"] = "application/x-protobuf"
	resp = e.do(http.MethodPost, pathOTelLogs, h, body)
	require.Equal(t, http.StatusOK, resp.code, string(resp.body))
	require.NoError(t, plogotlp.NewExportResponse().UnmarshalProto(resp.body))

	require.Equal(t, 2, e.logs.LogRecordCount())
	got := e.logs.AllLogs()[0].ResourceLogs().At(0).ScopeLogs().At(0).LogRecords().At(0)
	assert.Equal(t, "gen_ai.user.message", got.EventName())
	assert.Equal(t, "hi", got.Body().Map().AsRaw()["content"])
	assert.Equal(t, []string{testRepo}, client.FromContext(e.logs.Contexts()[0]).Metadata.Get("x-maxim-repo-id"))

	// The same refusals as /v1/otel.
	resp = e.do(http.MethodPost, pathOTLPLogs, map[string]string{"x-maxim-api-key": testKey, "Content-Type": "application/json"}, []byte(jsonBody))
	assert.Equal(t, http.StatusForbidden, resp.code)
	resp = e.do(http.MethodPost, pathOTLPLogs, map[string]string{"x-maxim-api-key": testKey, "x-maxim-repo-id": testRepo, "Content-Type": "application/json"}, []byte(`{"resourceLogs":[`))
	assert.Equal(t, http.StatusBadRequest, resp.code)
	resp = e.do(http.MethodGet, pathOTLPLogs, h, nil)
	assert.Equal(t, http.StatusMethodNotAllowed, resp.code)
	assert.Equal(t, 2, e.logs.LogRecordCount())
}

// Langfuse's SDKs export to <baseUrl>/api/public/otel/v1/traces with HTTP
// Basic credentials publicKey:secretKey: the secret key is the API key, the
// public key the repository, and explicit x-maxim-* headers win.
func TestLangfuseRoute(t *testing.T) {
	e := newEnv(t, envOpts{})
	basic := func(user, pass string) string {
		return "Basic " + base64.StdEncoding.EncodeToString([]byte(user+":"+pass))
	}
	tests := []struct {
		name     string
		headers  map[string]string
		wantCode int
		wantRepo string
	}{
		{"basic credentials", map[string]string{"Authorization": basic(teamRepo, teamKey)}, http.StatusOK, teamRepo},
		{"explicit repo header wins", map[string]string{"Authorization": basic("pk-lf-unused", testKey), "x-maxim-repo-id": testRepo}, http.StatusOK, testRepo},
		{"explicit key header wins", map[string]string{"Authorization": basic(teamRepo, "wrong"), "x-maxim-api-key": teamKey}, http.StatusOK, teamRepo},
		{"wrong secret key", map[string]string{"Authorization": basic(teamRepo, "sk-lf-nope")}, http.StatusForbidden, ""},
		{"public key names a repo the key does not own", map[string]string{"Authorization": basic(foreignRepo, teamKey)}, http.StatusForbidden, ""},
		{"no credentials", map[string]string{}, http.StatusForbidden, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e.traces.Reset()
			h := map[string]string{"Content-Type": "application/json"}
			for k, v := range tt.headers {
				h[k] = v
			}
			resp := e.do(http.MethodPost, pathLangfuse, h, []byte(seedPayload))
			require.Equal(t, tt.wantCode, resp.code, string(resp.body))
			if tt.wantCode != http.StatusOK {
				assert.JSONEq(t, invalidAccess, string(resp.body))
				assert.Equal(t, 0, e.traces.SpanCount())
				return
			}
			require.Equal(t, 1, e.traces.SpanCount())
			assert.Equal(t, []string{tt.wantRepo}, client.FromContext(e.traces.Contexts()[0]).Metadata.Get("x-maxim-repo-id"))
		})
	}
	resp := e.do(http.MethodGet, pathLangfuse, nil, nil)
	assert.Equal(t, http.StatusMethodNotAllowed, resp.code)

	off := newEnv(t, envOpts{cfg: func(c *Config) { c.Langfuse.Enabled = false }})
	resp = off.do(http.MethodPost, pathLangfuse, map[string]string{"Authorization": basic(teamRepo, teamKey), "Content-Type": "application/json"}, []byte(seedPayload))
	assert.Equal(t, http.StatusNotFound, resp.code, "langfuse.enabled: false serves no Langfuse route")
}
