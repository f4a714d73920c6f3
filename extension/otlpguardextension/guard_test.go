package otlpguardextension

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/confmap"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/extension/extensiontest"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.opentelemetry.io/collector/pdata/ptrace/ptraceotlp"
	"go.opentelemetry.io/collector/receiver/otlpreceiver"
	"go.opentelemetry.io/collector/receiver/receivertest"
	spb "google.golang.org/genproto/googleapis/rpc/status"
	"google.golang.org/protobuf/proto"

	"github.com/otelcol-genai/otelcol-genai/extension/otlpguardextension/internal/metadata"
	"github.com/otelcol-genai/otelcol-genai/internal/admission"
)

type host struct {
	exts map[component.ID]component.Component
}

func (h host) GetExtensions() map[component.ID]component.Component { return h.exts }

// startOTLP runs the core otlp receiver's HTTP protocol, with otlp_guard as
// its middleware when guarded, and returns its address and sink.
func startOTLP(t *testing.T, guarded bool, maxBody int) (string, *consumertest.TracesSink) {
	t.Helper()
	sink := new(consumertest.TracesSink)
	return startOTLPInto(t, guarded, maxBody, sink), sink
}

// startOTLPInto starts the core otlp receiver (guarded or not) feeding next.
func startOTLPInto(t *testing.T, guarded bool, maxBody int, next consumer.Traces) string {
	t.Helper()
	return startOTLPWith(t, guarded, maxBody, next, NewFactory().CreateDefaultConfig().(*Config))
}

// startOTLPWith starts the core otlp receiver, guarded by an otlp_guard
// configured with gcfg when guarded, feeding next.
func startOTLPWith(t *testing.T, guarded bool, maxBody int, next consumer.Traces, gcfg *Config) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := ln.Addr().String()
	require.NoError(t, ln.Close())

	f := NewFactory()
	ext, err := f.Create(context.Background(), extensiontest.NewNopSettings(metadata.Type), gcfg)
	require.NoError(t, err)
	h := host{exts: map[component.ID]component.Component{component.NewID(metadata.Type): ext}}

	httpCfg := map[string]any{"endpoint": addr}
	if guarded {
		httpCfg["middlewares"] = []any{map[string]any{"id": "otlp_guard"}}
	}
	if maxBody > 0 {
		httpCfg["max_request_body_size"] = maxBody
	}
	rf := otlpreceiver.NewFactory()
	cfg := rf.CreateDefaultConfig()
	require.NoError(t, confmap.NewFromStringMap(map[string]any{"protocols": map[string]any{"http": httpCfg}}).Unmarshal(cfg))
	r, err := rf.CreateTraces(context.Background(), receivertest.NewNopSettings(rf.Type()), cfg, next)
	require.NoError(t, err)
	require.NoError(t, r.Start(context.Background(), h))
	t.Cleanup(func() { require.NoError(t, r.Shutdown(context.Background())) })
	return addr
}

// A pipeline that refuses for now (the memory_limiter's refusal is a plain,
// retryable error) makes the otlp receiver answer 503 without Retry-After;
// behind the guard the client is told when to come back.
func TestGuardAddsRetryAfterToRefusals(t *testing.T) {
	refusing, err := consumer.NewTraces(func(context.Context, ptrace.Traces) error {
		return errors.New("data refused due to high memory usage")
	})
	require.NoError(t, err)
	for _, guarded := range []bool{false, true} {
		addr := startOTLPInto(t, guarded, 0, refusing)
		req, err := http.NewRequest(http.MethodPost, "http://"+addr+"/v1/traces", bytes.NewReader(protoBody(t, "refused")))
		require.NoError(t, err)
		req.Header.Set("Content-Type", "application/x-protobuf")
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		_ = resp.Body.Close()
		require.Equal(t, http.StatusServiceUnavailable, resp.StatusCode)
		if guarded {
			assert.Equal(t, "5", resp.Header.Get("Retry-After"), "guarded refusal")
		} else {
			assert.Empty(t, resp.Header.Get("Retry-After"), "the receiver alone sets none (if it starts to, the guard's wrapper can go)")
		}
	}
}

type answer struct {
	code int
	body string
}

func post(t *testing.T, addr, contentType string, body []byte, gzipped bool) answer {
	t.Helper()
	if gzipped {
		var zb bytes.Buffer
		zw := gzip.NewWriter(&zb)
		_, err := zw.Write(body)
		require.NoError(t, err)
		require.NoError(t, zw.Close())
		body = zb.Bytes()
	}
	req, err := http.NewRequest(http.MethodPost, "http://"+addr+"/v1/traces", bytes.NewReader(body))
	require.NoError(t, err)
	req.Header.Set("Content-Type", contentType)
	if gzipped {
		req.Header.Set("Content-Encoding", "gzip")
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return answer{resp.StatusCode, string(b)}
}

func protoBody(t *testing.T, name string) []byte {
	t.Helper()
	td := ptrace.NewTraces()
	s := td.ResourceSpans().AppendEmpty().ScopeSpans().AppendEmpty().Spans().AppendEmpty()
	s.SetName(name)
	s.SetTraceID([16]byte{0x5f, 0x8c, 0x7f, 0x9a, 0x3e, 0xf1, 0x4f, 0x67, 0xaf, 0x71, 0x6e, 0xf4, 0xcf, 0x4a, 0x9d, 0x23})
	s.SetSpanID([8]byte{0x8f, 0x2c, 0x9c, 0x1c, 0x6e, 0x5d, 0x4b, 0x2a})
	b, err := ptraceotlp.NewExportRequestFromTraces(td).MarshalProto()
	require.NoError(t, err)
	return b
}

const span = `{"traceId":"5f8c7f9a3ef14f67af716ef4cf4a9d23","spanId":"8f2c9c1c6e5d4b2a","name":"chat"`

func jsonBody(attrValue string) []byte {
	return []byte(`{"resourceSpans":[{"scopeSpans":[{"spans":[` + span + `,"attributes":[{"key":"a","value":` + attrValue + `}]}]}]}]}`)
}

// badBodies are the bodies labelled application/json that the receiver
// must refuse as the client's mistake.
func badBodies(t *testing.T) map[string][]byte {
	return map[string][]byte{
		"invalid utf-8":           []byte("{\"resourceSpans\":[{\"scopeSpans\":[{\"spans\":[\xff\xfe"),
		"protobuf labelled json":  protoBody(t, "chat"),
		"invalid utf-8 in string": jsonBody(`{"stringValue":"a` + "\xff" + `"}`),
		"values nested 200,000 deep": jsonBody(strings.Repeat(`{"arrayValue":{"values":[`, 200000) + `{"stringValue":"x"}` +
			strings.Repeat(`]}}`, 200000)),
	}
}

// TestUpstreamAnswersBadJSONWith500: without the guard, otlpreceiver
// v0.165.0 answers a JSON body whose decode error quotes invalid UTF-8 with
// 500 "failed to marshal error message" (the 5xx is upstream's, not ours),
// and decodes values nested 200,000 deep. When this test fails, upstream
// has changed and the guard's reason to exist must be re-checked.
func TestUpstreamAnswersBadJSONWith500(t *testing.T) {
	addr, sink := startOTLP(t, false, 0)
	bad := badBodies(t)
	for _, name := range []string{"invalid utf-8", "protobuf labelled json"} {
		a := post(t, addr, "application/json", bad[name], false)
		assert.Equal(t, http.StatusInternalServerError, a.code, name)
		assert.JSONEq(t, `{"code":13,"message":"failed to marshal error message"}`, a.body, name)
	}
	a := post(t, addr, "application/json", bad["values nested 200,000 deep"], false)
	assert.Equal(t, http.StatusOK, a.code, a.body)
	assert.Equal(t, 1, sink.SpanCount())
}

// TestGuardRefusesBadJSONWith400: with otlp_guard as middleware, each bad
// body gets 400 and an OTLP error status that says why, nothing reaches the
// pipeline, and good JSON and protobuf (plain or gzip) pass unchanged.
func TestGuardRefusesBadJSONWith400(t *testing.T) {
	addr, sink := startOTLP(t, true, 0)
	for name, body := range badBodies(t) {
		for _, gz := range []bool{false, true} {
			a := post(t, addr, "application/json", body, gz)
			assert.Equal(t, http.StatusBadRequest, a.code, "%s (gzip %v): %s", name, gz, a.body)
			assert.Contains(t, a.body, `"code":3`, name)
			assert.Contains(t, a.body, "undecodable OTLP/JSON: ", name)
		}
	}
	assert.Equal(t, 0, sink.SpanCount())

	a := post(t, addr, "application/json; charset=utf-8", jsonBody(`{"stringValue":"ok"}`), false)
	require.Equal(t, http.StatusOK, a.code, a.body)
	a = post(t, addr, "application/json", jsonBody(strings.Repeat(`{"arrayValue":{"values":[`, 20)+`{"stringValue":"x"}`+strings.Repeat(`]}}`, 20)), true)
	require.Equal(t, http.StatusOK, a.code, a.body)
	a = post(t, addr, "application/x-protobuf", protoBody(t, "llm\xff"), false)
	require.Equal(t, http.StatusOK, a.code, a.body)
	require.Equal(t, 3, sink.SpanCount())
	got := sink.AllTraces()
	assert.Equal(t, "ok", mustAttr(t, got[0], "a"))
	assert.Equal(t, "llm\xff", got[2].ResourceSpans().At(0).ScopeSpans().At(0).Spans().At(0).Name(), "protobuf passes unread")
}

func mustAttr(t *testing.T, td ptrace.Traces, key string) string {
	t.Helper()
	v, ok := td.ResourceSpans().At(0).ScopeSpans().At(0).Spans().At(0).Attributes().Get(key)
	require.True(t, ok)
	return v.AsString()
}

// TestGuardOverLimitIs413: a JSON body over max_request_body_size is
// refused with 413 (confighttp caps the body before any middleware).
func TestGuardOverLimitIs413(t *testing.T) {
	addr, sink := startOTLP(t, true, 1024)
	a := post(t, addr, "application/json", jsonBody(`{"stringValue":"`+strings.Repeat("x", 4096)+`"}`), false)
	assert.Equal(t, http.StatusRequestEntityTooLarge, a.code, a.body)
	assert.JSONEq(t, `{"code":8,"message":"request body over 1024 bytes (max_request_body_size)"}`, a.body)
	assert.Equal(t, 0, sink.SpanCount())
}

func postProto(t *testing.T, addr, path string, body []byte) (int, *spb.Status) {
	t.Helper()
	resp, err := http.Post("http://"+addr+path, "application/x-protobuf", bytes.NewReader(body))
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	st := &spb.Status{}
	if resp.StatusCode != http.StatusOK {
		require.Equal(t, "application/x-protobuf", resp.Header.Get("Content-Type"))
		require.NoError(t, proto.Unmarshal(b, st), "a refusal of protobuf is a protobuf google.rpc.Status")
	}
	return resp.StatusCode, st
}

// deepProto is a protobuf export request whose one attribute nests levels
// deep: within pdata's own recursion bound (100), past otlpcheck's.
func deepProto(t *testing.T, levels int) []byte {
	t.Helper()
	td := ptrace.NewTraces()
	s := td.ResourceSpans().AppendEmpty().ScopeSpans().AppendEmpty().Spans().AppendEmpty()
	s.SetName("deep")
	s.SetTraceID([16]byte{1})
	s.SetSpanID([8]byte{1})
	v := s.Attributes().PutEmptySlice("a")
	for i := 1; i < levels; i++ {
		v = v.AppendEmpty().SetEmptySlice()
	}
	v.AppendEmpty().SetStr("x")
	b, err := ptraceotlp.NewExportRequestFromTraces(td).MarshalProto()
	require.NoError(t, err)
	return b
}

// TestGuardProtobuf: the receiver alone answers a protobuf body over the
// size limit with 400 and accepts values nested 40 deep; with the guard the
// first is a 413 and the second a 400 (the depth mxin's /v1/otel refuses
// too), both with a protobuf google.rpc.Status, and good protobuf passes.
func TestGuardProtobuf(t *testing.T) {
	big := protoBody(t, strings.Repeat("x", 4096))

	addr, sink := startOTLP(t, false, 1024)
	code, _ := postProto(t, addr, "/v1/traces", big)
	assert.Equal(t, http.StatusBadRequest, code, "upstream: over-limit protobuf")
	code, _ = postProto(t, addr, "/v1/traces", deepProto(t, 40))
	assert.Equal(t, http.StatusOK, code, "upstream: protobuf values nested 40 deep")
	assert.Equal(t, 1, sink.SpanCount())

	addr, sink = startOTLP(t, true, 1024)
	code, st := postProto(t, addr, "/v1/traces", big)
	assert.Equal(t, http.StatusRequestEntityTooLarge, code)
	assert.Equal(t, int32(8), st.Code, st.Message)
	code, st = postProto(t, addr, "/v1/traces", deepProto(t, 40))
	assert.Equal(t, http.StatusBadRequest, code)
	assert.Equal(t, int32(3), st.Code)
	assert.Contains(t, st.Message, "undecodable OTLP/protobuf: ")
	assert.Equal(t, 0, sink.SpanCount())
	code, _ = postProto(t, addr, "/v1/traces", protoBody(t, "ok"))
	assert.Equal(t, http.StatusOK, code)
	assert.Equal(t, 1, sink.SpanCount())
}

// TestDeepProtobufIsRefusedByPdata: a protobuf body nesting an attribute
// value 200 levels deep gets 400 and reaches no pipeline (issue 16 item 2,
// the protobuf path of the core receiver). The guard refuses it first
// (otlpcheck's bound, TestGuardProtobuf); behind it, pdata v1.71.0 bounds its
// protobuf decoder at 100 message levels.
func TestDeepProtobufIsRefusedByPdata(t *testing.T) {
	addr, sink := startOTLP(t, true, 0)
	td := ptrace.NewTraces()
	sp := td.ResourceSpans().AppendEmpty().ScopeSpans().AppendEmpty().Spans().AppendEmpty()
	sp.SetTraceID([16]byte{1})
	sp.SetSpanID([8]byte{2})
	v := sp.Attributes().PutEmpty("deep")
	for range 200 {
		v = v.SetEmptySlice().AppendEmpty()
	}
	v.SetStr("x")
	body, err := ptraceotlp.NewExportRequestFromTraces(td).MarshalProto()
	require.NoError(t, err)
	a := post(t, addr, "application/x-protobuf", body, false)
	assert.Equal(t, http.StatusBadRequest, a.code, a.body)
	assert.Equal(t, 0, sink.SpanCount())
}

// TestGuardRefusesOverloadWith429: while the pipeline works on a body that
// holds admission's whole request limit (waiting limit 0), the next request
// is refused at once with 429, Retry-After and OTLP's error body, and never
// reaches the pipeline; once the first is answered, requests pass again.
// Unguarded, the second request would queue behind the first.
func TestGuardRefusesOverloadWith429(t *testing.T) {
	entered, unblock := make(chan struct{}, 4), make(chan struct{})
	var consumed atomic.Int64
	blocking, err := consumer.NewTraces(func(_ context.Context, td ptrace.Traces) error {
		entered <- struct{}{}
		<-unblock
		consumed.Add(int64(td.SpanCount()))
		return nil
	})
	require.NoError(t, err)
	gcfg := NewFactory().CreateDefaultConfig().(*Config)
	gcfg.Admission = admission.Config{RequestLimitMiB: 1}
	addr := startOTLPWith(t, true, 0, blocking, gcfg)

	big := protoBody(t, strings.Repeat("b", 900<<10))
	first := make(chan answer, 1)
	go func() { first <- post(t, addr, "application/x-protobuf", big, false) }()
	<-entered

	resp := postFull(t, addr, "application/json", jsonBody(`{"stringValue":"`+strings.Repeat("s", 200<<10)+`"}`))
	assert.Equal(t, http.StatusTooManyRequests, resp.StatusCode)
	assert.Equal(t, "5", resp.Header.Get("Retry-After"))
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	assert.JSONEq(t, `{"code":8,"message":"too much data in flight; retry later"}`, string(body))

	close(unblock)
	require.Equal(t, http.StatusOK, (<-first).code)
	require.Equal(t, http.StatusOK, post(t, addr, "application/x-protobuf", protoBody(t, "after"), false).code)
	assert.EqualValues(t, 2, consumed.Load(), "the refused request never reached the pipeline")
}

// postFull posts body and returns the whole response (closed at cleanup).
func postFull(t *testing.T, addr, contentType string, body []byte) *http.Response {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, "http://"+addr+"/v1/traces", bytes.NewReader(body))
	require.NoError(t, err)
	req.Header.Set("Content-Type", contentType)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	t.Cleanup(func() { _ = resp.Body.Close() })
	return resp
}
