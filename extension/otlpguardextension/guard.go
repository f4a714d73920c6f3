package otlpguardextension

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"strconv"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/extension/extensionmiddleware"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	"go.uber.org/zap"
	"google.golang.org/grpc/codes"

	"github.com/otelcol-genai/otelcol-genai/extension/otlpguardextension/internal/metadata"
	"github.com/otelcol-genai/otelcol-genai/internal/otlpcheck"
)

// guard is the extension. It only wraps HTTP handlers: gRPC bodies are
// protobuf, which pdata v1.71.0 decodes with a recursion bound and answers
// with a proper InvalidArgument when it is malformed.
type guard struct {
	logger    *zap.Logger
	telemetry *metadata.TelemetryBuilder
}

var _ extensionmiddleware.HTTPServer = (*guard)(nil)

func (*guard) Start(context.Context, component.Host) error { return nil }
func (*guard) Shutdown(context.Context) error              { return nil }

// Refusal reasons (the metric's reason attribute).
const (
	reasonNotUTF8    = "not_utf8"
	reasonTooDeep    = "too_deep"
	reasonTooLarge   = "too_large"
	reasonUnreadable = "unreadable"
)

// GetHTTPHandler wraps the otlp receiver's HTTP handler. A POST whose
// Content-Type is application/json has its body read (confighttp has
// already applied max_request_body_size and decompression, which run
// before any middleware) and checked with otlpcheck.JSON; a body that fails
// gets 400 in OTLP's error shape, one that passes is handed on unchanged.
// Everything else (protobuf, other methods) passes through unread.
//
// Why in front of the receiver: otlpreceiver v0.165.0 answers a JSON decode
// error whose message quotes invalid UTF-8 with 500 {"code":13,"message":
// "failed to marshal error message"} (it cannot encode its own error status;
// writeStatusResponse in otlphttp.go), and its JSON decoder recurses without
// a bound, accepting values nested 700,000 levels deep that protobuf can
// then not carry to the next tier.
func (g *guard) GetHTTPHandler(context.Context) (extensionmiddleware.WrapHTTPHandlerFunc, error) {
	return func(_ context.Context, next http.Handler) (http.Handler, error) {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.Method != http.MethodPost || !isJSON(r.Header.Get("Content-Type")) {
				next.ServeHTTP(w, r)
				return
			}
			var buf bytes.Buffer // grows with what arrives, not with a declared length
			if _, err := buf.ReadFrom(r.Body); err != nil {
				var tooBig *http.MaxBytesError
				if errors.As(err, &tooBig) {
					g.refuse(w, r, http.StatusRequestEntityTooLarge, codes.ResourceExhausted, reasonTooLarge,
						"request body over "+strconv.FormatInt(tooBig.Limit, 10)+" bytes (max_request_body_size)")
					return
				}
				g.refuse(w, r, http.StatusBadRequest, codes.InvalidArgument, reasonUnreadable, "reading the request body: "+err.Error())
				return
			}
			if err := otlpcheck.JSON(buf.Bytes()); err != nil {
				reason := reasonTooDeep
				if errors.Is(err, otlpcheck.ErrNotUTF8) {
					reason = reasonNotUTF8
				}
				g.refuse(w, r, http.StatusBadRequest, codes.InvalidArgument, reason, "undecodable OTLP/JSON: "+err.Error())
				return
			}
			_ = r.Body.Close()
			r.Body = io.NopCloser(bytes.NewReader(buf.Bytes()))
			r.ContentLength = int64(buf.Len())
			next.ServeHTTP(w, r)
		}), nil
	}, nil
}

func isJSON(contentType string) bool {
	mt, _, err := mime.ParseMediaType(contentType)
	return err == nil && mt == "application/json"
}

// refuse answers like the otlp receiver answers a bad request: the HTTP
// status and a google.rpc.Status in JSON (the request's encoding).
func (g *guard) refuse(w http.ResponseWriter, r *http.Request, status int, code codes.Code, reason, msg string) {
	g.telemetry.OtlpGuardRefusedRequests.Add(r.Context(), 1, metric.WithAttributes(attribute.String("reason", reason)))
	g.logger.Debug("otlp_guard: refused a request", zap.String("path", r.URL.Path), zap.String("reason", reason), zap.String("message", msg))
	body, _ := json.Marshal(struct {
		Code    codes.Code `json:"code"`
		Message string     `json:"message"`
	}{code, msg})
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(body)
}
