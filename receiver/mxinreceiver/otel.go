package mxinreceiver

import (
	"bytes"
	"context"
	"encoding/json"
	"mime"
	"net/http"
	"strconv"

	"go.opentelemetry.io/collector/pdata/plog/plogotlp"
	"go.opentelemetry.io/collector/pdata/ptrace/ptraceotlp"

	"github.com/otelcol-genai/otelcol-genai/extension/maximauthextension"
	"github.com/otelcol-genai/otelcol-genai/internal/otlpcheck"
)

// handleOTel serves POST /v1/otel (and /v1/otel/v1/traces, where OTLP
// exporters configured with the base URL send): OTLP/HTTP traces in protobuf
// or JSON, like Maxim's hosted endpoint. The repository comes from the
// x-maxim-repo-id header; a request without it is refused the way Maxim
// refuses it (403).
func (r *mxinReceiver) handleOTel(w http.ResponseWriter, req *http.Request) {
	r.handleOTLP(w, req, otlpTraces{r})
}

// handleOTelLogs serves POST /v1/logs (and /v1/otel/v1/logs) beside
// /v1/otel: OTLP/HTTP logs, the GenAI events of instrumentations that send
// message content as log records. They leave on the logs signal as they
// came; the genai_normalize processor in the logs pipeline turns them into
// commits (configs/*.yaml put it there).
func (r *mxinReceiver) handleOTelLogs(w http.ResponseWriter, req *http.Request) {
	r.handleOTLP(w, req, otlpLogs{r})
}

// handleLangfuseOTel serves POST /api/public/otel/v1/traces, where
// Langfuse's SDKs export (`@langfuse/otel`'s LangfuseSpanProcessor and the
// Python SDK v3 send OTLP/HTTP to `<baseUrl>/api/public/otel/v1/traces` with
// `Authorization: Basic base64(publicKey:secretKey)`), so pointing their base
// URL at this receiver is all a Langfuse user changes. The secret key is the
// API key and the public key the repository; an x-maxim-api-key or
// x-maxim-repo-id header sent beside them (the SDKs' additionalHeaders) wins.
// From there the request is exactly a /v1/otel one.
func (r *mxinReceiver) handleLangfuseOTel(w http.ResponseWriter, req *http.Request) {
	if user, pass, ok := req.BasicAuth(); ok {
		h := req.Header.Clone()
		if h.Get(maximauthextension.HeaderAPIKey) == "" && pass != "" {
			h.Set(maximauthextension.HeaderAPIKey, pass)
		}
		if h.Get(maximauthextension.HeaderRepoID) == "" && user != "" {
			h.Set(maximauthextension.HeaderRepoID, user)
		}
		r2 := *req
		r2.Header = h
		req = &r2
	}
	r.handleOTel(w, req)
}

// otlpSignal is what handleOTLP needs to know about one OTLP signal.
type otlpSignal interface {
	name() string
	// wire is the export request a protobuf body holds.
	wire() otlpcheck.Signal
	// ready reports whether the receiver is in a pipeline of the signal.
	ready() bool
	// decode reads an export request; it returns the item count and a
	// function that consumes the decoded data.
	decode(body []byte, isJSON bool) (n int, consume func(ctx context.Context) error, err error)
	// start and end report the request to the collector's receiver metrics.
	start(ctx context.Context) context.Context
	end(ctx context.Context, format string, n int, err error)
	response() ([]byte, error)
}

// handleOTLP is the one OTLP/HTTP request path: authentication, the repo
// header, media type, body limits, depth check, decode, consume.
func (r *mxinReceiver) handleOTLP(w http.ResponseWriter, req *http.Request, sig otlpSignal) {
	repo := req.Header.Get(maximauthextension.HeaderRepoID)
	ctx, ok := r.authenticate(w, req, repo)
	if !ok {
		return
	}
	if repo == "" {
		maximauthextension.WriteInvalidAccess(w)
		return
	}
	if !sig.ready() {
		writeError(w, http.StatusNotFound, "this receiver is not in a "+sig.name()+" pipeline")
		return
	}
	mt, _, _ := mime.ParseMediaType(req.Header.Get("Content-Type"))
	isJSON := mt == "application/json"
	if !isJSON && mt != "application/x-protobuf" && mt != "application/protobuf" {
		writeError(w, http.StatusUnsupportedMediaType, "Content-Type must be application/x-protobuf, application/protobuf or application/json")
		return
	}
	body, release, ok := r.readBody(w, req)
	if !ok {
		return
	}
	defer release()
	// Checked before decoding (internal/otlpcheck): JSON must be UTF-8
	// (pdata copies invalid bytes into strings unchecked, and they fail
	// later as a 5xx for the client's own bad input), and values may not
	// nest past what pdata's protobuf decoder takes (its JSON decoder has
	// no bound at all).
	check := func(b []byte) error { return otlpcheck.Proto(b, sig.wire()) }
	if isJSON {
		check = otlpcheck.JSON
	}
	if err := check(body); err != nil {
		writeError(w, http.StatusBadRequest, "undecodable OTLP "+sig.name()+": "+err.Error())
		return
	}
	n, consume, err := sig.decode(body, isJSON)
	if err != nil {
		writeError(w, http.StatusBadRequest, "undecodable OTLP "+sig.name()+": "+err.Error())
		return
	}
	if n > 0 {
		ctx = withRepo(ctx, repo)
		ctx = sig.start(ctx)
		err = consume(ctx)
		sig.end(ctx, "otlp_"+map[bool]string{true: "json", false: "proto"}[isJSON], n, err)
		if err != nil {
			r.writeConsumerError(w, err)
			return
		}
	}
	if isJSON {
		// Maxim's documented answer for its OTLP endpoint.
		writeRaw(w, http.StatusOK, successBody)
		return
	}
	resp, err := sig.response()
	if err != nil {
		writeError(w, http.StatusInternalServerError, "encoding the response failed")
		return
	}
	w.Header().Set("Content-Type", "application/x-protobuf")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(resp)
}

type otlpTraces struct{ r *mxinReceiver }

func (otlpTraces) name() string           { return "traces" }
func (otlpTraces) wire() otlpcheck.Signal { return otlpcheck.Traces }
func (s otlpTraces) ready() bool          { return s.r.nextTraces != nil }
func (s otlpTraces) start(ctx context.Context) context.Context {
	return s.r.obsTraces.StartTracesOp(ctx)
}
func (s otlpTraces) end(ctx context.Context, format string, n int, err error) {
	s.r.obsTraces.EndTracesOp(ctx, format, n, err)
}
func (otlpTraces) response() ([]byte, error) { return ptraceotlp.NewExportResponse().MarshalProto() }

func (s otlpTraces) decode(body []byte, isJSON bool) (int, func(context.Context) error, error) {
	otlpReq := ptraceotlp.NewExportRequest()
	var err error
	if isJSON {
		err = otlpReq.UnmarshalJSON(body)
		if err != nil {
			// Maxim's own documentation example sends "kind": "2" (an enum
			// number as a string), which the strict OTLP/JSON decoder
			// refuses; retry once with such enum strings made numbers.
			if fixed, ok := lenientOTLPJSON(body); ok {
				retry := ptraceotlp.NewExportRequest()
				if retry.UnmarshalJSON(fixed) == nil {
					otlpReq, err = retry, nil
				}
			}
		}
	} else {
		err = otlpReq.UnmarshalProto(body)
	}
	if err != nil {
		return 0, nil, err
	}
	td := otlpReq.Traces()
	return td.SpanCount(), func(ctx context.Context) error { return s.r.nextTraces.ConsumeTraces(ctx, td) }, nil
}

type otlpLogs struct{ r *mxinReceiver }

func (otlpLogs) name() string                                { return "logs" }
func (otlpLogs) wire() otlpcheck.Signal                      { return otlpcheck.Logs }
func (s otlpLogs) ready() bool                               { return s.r.nextLogs != nil }
func (s otlpLogs) start(ctx context.Context) context.Context { return s.r.obsLogs.StartLogsOp(ctx) }
func (s otlpLogs) end(ctx context.Context, format string, n int, err error) {
	s.r.obsLogs.EndLogsOp(ctx, format, n, err)
}
func (otlpLogs) response() ([]byte, error) { return plogotlp.NewExportResponse().MarshalProto() }

func (s otlpLogs) decode(body []byte, isJSON bool) (int, func(context.Context) error, error) {
	otlpReq := plogotlp.NewExportRequest()
	var err error
	if isJSON {
		err = otlpReq.UnmarshalJSON(body)
	} else {
		err = otlpReq.UnmarshalProto(body)
	}
	if err != nil {
		return 0, nil, err
	}
	ld := otlpReq.Logs()
	return ld.LogRecordCount(), func(ctx context.Context) error { return s.r.nextLogs.ConsumeLogs(ctx, ld) }, nil
}

// lenientOTLPJSON rewrites span "kind" and status "code" values given as
// digit strings ("2") into numbers. It reports whether it changed anything.
func lenientOTLPJSON(body []byte) ([]byte, bool) {
	var doc map[string]any
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	if dec.Decode(&doc) != nil {
		return nil, false
	}
	changed := false
	fix := func(m map[string]any, key string) {
		if s, ok := m[key].(string); ok {
			if _, err := strconv.Atoi(s); err == nil {
				m[key] = json.Number(s)
				changed = true
			}
		}
	}
	for _, rs := range asSlice(doc["resourceSpans"]) {
		for _, ss := range asSlice(asMap(rs)["scopeSpans"]) {
			for _, sp := range asSlice(asMap(ss)["spans"]) {
				span := asMap(sp)
				if span == nil {
					continue
				}
				fix(span, "kind")
				if st := asMap(span["status"]); st != nil {
					fix(st, "code")
				}
			}
		}
	}
	if !changed {
		return nil, false
	}
	out, err := json.Marshal(doc)
	return out, err == nil
}

func asSlice(v any) []any {
	s, _ := v.([]any)
	return s
}

func asMap(v any) map[string]any {
	m, _ := v.(map[string]any)
	return m
}
