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
	"strings"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/extension/extensionmiddleware"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	"go.uber.org/zap"
	"google.golang.org/grpc/codes"
	grpcstatus "google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	"github.com/otelcol-genai/otelcol-genai/extension/otlpguardextension/internal/metadata"
	"github.com/otelcol-genai/otelcol-genai/internal/admission"
	"github.com/otelcol-genai/otelcol-genai/internal/otlpcheck"
)

// guard is the extension. It only wraps HTTP handlers: gRPC bodies are
// protobuf, which pdata v1.71.0 decodes with a recursion bound, and
// grpc-go itself refuses an undecodable message (as Internal, which OTLP
// exporters do not retry) and one over max_recv_msg_size_mib.
type guard struct {
	logger    *zap.Logger
	telemetry *metadata.TelemetryBuilder
	// retryAfter is the Retry-After value (seconds) added to 429 and 503.
	retryAfter string
	// admission bounds the bodies in flight (nil: off).
	admission *admission.Limiter
}

// retryAfterWriter adds Retry-After to a 429 or 503 the receiver writes
// without one, so clients told to come back later are told when.
type retryAfterWriter struct {
	http.ResponseWriter
	seconds string
}

func (w *retryAfterWriter) WriteHeader(code int) {
	if (code == http.StatusTooManyRequests || code == http.StatusServiceUnavailable) && w.Header().Get("Retry-After") == "" {
		w.Header().Set("Retry-After", w.seconds)
	}
	w.ResponseWriter.WriteHeader(code)
}

// Unwrap lets http.ResponseController reach the connection's writer.
func (w *retryAfterWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

var _ extensionmiddleware.HTTPServer = (*guard)(nil)

func (*guard) Start(context.Context, component.Host) error { return nil }
func (*guard) Shutdown(context.Context) error              { return nil }

// Refusal reasons (the metric's reason attribute).
const (
	reasonNotUTF8    = "not_utf8"
	reasonTooDeep    = "too_deep"
	reasonTooLarge   = "too_large"
	reasonUnreadable = "unreadable"
	reasonOverloaded = "overloaded"
)

// GetHTTPHandler wraps the otlp receiver's HTTP handler. A POST of
// OTLP/JSON or OTLP/protobuf has its body read (confighttp has already
// applied max_request_body_size and decompression, which run before any
// middleware) and checked: JSON with otlpcheck.JSON, protobuf traces and
// logs with otlpcheck.Proto. A body that fails gets 400 in OTLP's error
// shape, one over the size limit 413, one that passes is handed on
// unchanged once admission control admits its bytes (429 when it refuses),
// which it holds until the receiver has answered. Everything else (other
// media types, other methods) passes through unread.
//
// Why in front of the receiver: otlpreceiver v0.165.0 answers a JSON decode
// error whose message quotes invalid UTF-8 with 500 {"code":13,"message":
// "failed to marshal error message"} (it cannot encode its own error status;
// writeStatusResponse in otlphttp.go), its JSON decoder recurses without
// a bound, accepting values nested 700,000 levels deep that protobuf can
// then not carry to the next tier, and it answers a body over the size
// limit (or a compression bomb) with 400 rather than 413.
func (g *guard) GetHTTPHandler(context.Context) (extensionmiddleware.WrapHTTPHandlerFunc, error) {
	return func(_ context.Context, next http.Handler) (http.Handler, error) {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w = &retryAfterWriter{ResponseWriter: w, seconds: g.retryAfter}
			enc := encodingOf(r.Header.Get("Content-Type"))
			if r.Method != http.MethodPost || enc == "" {
				next.ServeHTTP(w, r)
				return
			}
			var buf bytes.Buffer // grows with what arrives, not with a declared length
			if _, err := buf.ReadFrom(r.Body); err != nil {
				var tooBig *http.MaxBytesError
				if errors.As(err, &tooBig) {
					g.refuse(w, r, enc, http.StatusRequestEntityTooLarge, codes.ResourceExhausted, reasonTooLarge,
						"request body over "+strconv.FormatInt(tooBig.Limit, 10)+" bytes (max_request_body_size)")
					return
				}
				g.refuse(w, r, enc, http.StatusBadRequest, codes.InvalidArgument, reasonUnreadable, "reading the request body: "+err.Error())
				return
			}
			if err := check(enc, r.URL.Path, buf.Bytes()); err != nil {
				reason := reasonTooDeep
				if errors.Is(err, otlpcheck.ErrNotUTF8) {
					reason = reasonNotUTF8
				}
				g.refuse(w, r, enc, http.StatusBadRequest, codes.InvalidArgument, reason, "undecodable OTLP/"+enc+": "+err.Error())
				return
			}
			// Weighed by the bytes that arrived (after decompression), not
			// by a declared length a slow client could hold capacity with.
			release, err := g.admission.Acquire(r.Context(), int64(buf.Len()))
			switch {
			case errors.Is(err, admission.ErrOverloaded):
				g.refuse(w, r, enc, http.StatusTooManyRequests, codes.ResourceExhausted, reasonOverloaded, err.Error())
				return
			case err != nil:
				g.refuse(w, r, enc, http.StatusServiceUnavailable, codes.Unavailable, reasonOverloaded, err.Error())
				return
			}
			defer release()
			_ = r.Body.Close()
			r.Body = io.NopCloser(bytes.NewReader(buf.Bytes()))
			r.ContentLength = int64(buf.Len())
			next.ServeHTTP(w, r)
		}), nil
	}, nil
}

// Encodings of an OTLP/HTTP body (and of the guard's refusal).
const (
	encJSON  = "JSON"
	encProto = "protobuf"
)

// encodingOf names the OTLP encoding of a media type, "" for any other.
func encodingOf(contentType string) string {
	mt, _, err := mime.ParseMediaType(contentType)
	switch {
	case err != nil:
		return ""
	case mt == "application/json":
		return encJSON
	case mt == "application/x-protobuf", mt == "application/protobuf":
		return encProto
	}
	return ""
}

// check runs otlpcheck on a body. Protobuf is walked for the signals
// otlpcheck knows, told apart by the standard paths' last segment
// (/v1/traces, /v1/logs); other protobuf bodies are left to the decoder,
// whose own recursion bound applies.
func check(enc, path string, body []byte) error {
	if enc == encJSON {
		return otlpcheck.JSON(body)
	}
	switch {
	case strings.HasSuffix(path, "/traces"):
		return otlpcheck.Proto(body, otlpcheck.Traces)
	case strings.HasSuffix(path, "/logs"):
		return otlpcheck.Proto(body, otlpcheck.Logs)
	}
	return nil
}

// refuse answers like the otlp receiver answers a bad request: the HTTP
// status and a google.rpc.Status in the request's encoding.
func (g *guard) refuse(w http.ResponseWriter, r *http.Request, enc string, status int, code codes.Code, reason, msg string) {
	g.telemetry.OtlpGuardRefusedRequests.Add(r.Context(), 1, metric.WithAttributes(attribute.String("reason", reason)))
	g.logger.Debug("otlp_guard: refused a request", zap.String("path", r.URL.Path), zap.String("reason", reason), zap.String("message", msg))
	var body []byte
	if enc == encProto {
		body, _ = proto.Marshal(grpcstatus.New(code, msg).Proto())
		w.Header().Set("Content-Type", "application/x-protobuf")
	} else {
		body, _ = json.Marshal(struct {
			Code    codes.Code `json:"code"`
			Message string     `json:"message"`
		}{code, msg})
		w.Header().Set("Content-Type", "application/json")
	}
	w.WriteHeader(status)
	_, _ = w.Write(body)
}
