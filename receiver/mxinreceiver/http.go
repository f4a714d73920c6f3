package mxinreceiver

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"go.opentelemetry.io/collector/client"
	"go.opentelemetry.io/collector/config/confighttp"
	"go.opentelemetry.io/collector/consumer/consumererror"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/otelcol-genai/otelcol-genai/extension/maximauthextension"
	"github.com/otelcol-genai/otelcol-genai/internal/repoaccess"
)

// successBody is the answer every SDK accepts (docs/protocol.md §2.5): 200, JSON
// object, no `error` key.
const successBody = `{"data":{"success":true}}`

func writeJSON(w http.ResponseWriter, code int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		code, b = http.StatusInternalServerError, []byte(`{"error":{"message":"encoding the response failed"}}`)
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_, _ = w.Write(b)
}

func writeRaw(w http.ResponseWriter, code int, body string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_, _ = io.WriteString(w, body)
}

// errorBody is the shape of refusals. Maxim's SDKs treat a JSON `error` key
// as failure, which is what a refusal is.
type errorBody struct {
	Error errorDetail `json:"error"`
}

type errorDetail struct {
	Message string `json:"message"`
}

func writeError(w http.ResponseWriter, code int, msg string) {
	writeJSON(w, code, errorBody{Error: errorDetail{Message: msg}})
}

// confighttpErrorHandler makes confighttp's own refusals (undecodable
// Content-Encoding, body over the limit while decompressing) JSON like ours.
func confighttpErrorHandler() confighttp.ToServerOption {
	return confighttp.WithErrorHandler(func(w http.ResponseWriter, _ *http.Request, msg string, code int) {
		writeError(w, code, msg)
	})
}

// repoAllowed checks, after authenticate, a repository that was only known
// once the body was read (public API). It answers 403 and returns false on
// refusal.
func repoAllowed(w http.ResponseWriter, ctx context.Context, repo string) bool {
	if !mayWrite(ctx, repo) {
		maximauthextension.WriteInvalidAccess(w)
		return false
	}
	return true
}

// mayWrite applies the repository rule to an authenticated request. When
// the authenticator leaves no grant (none configured, or one that knows
// nothing of repositories), its yes is the whole decision and any
// repository may be written. A grant that cannot be read refuses.
func mayWrite(ctx context.Context, repo string) bool {
	g, present, err := repoaccess.FromContext(ctx)
	return !present || (err == nil && g.Allows(repo))
}

// authenticate runs the configured authenticator on the request headers and
// checks that the caller may use repo (when the authenticator reports the
// allowed repositories, as maxim_auth does). It answers 403 and returns false
// on refusal.
func (r *mxinReceiver) authenticate(w http.ResponseWriter, req *http.Request, repo string) (context.Context, bool) {
	ctx := req.Context()
	if r.auth == nil {
		return ctx, true
	}
	ctx, err := r.auth.Authenticate(ctx, req.Header)
	if err != nil {
		maximauthextension.WriteInvalidAccess(w)
		return nil, false
	}
	if repo != "" {
		if !mayWrite(ctx, repo) {
			maximauthextension.WriteInvalidAccess(w)
			return nil, false
		}
	}
	return ctx, true
}

// withRepo puts the repository into client.Info.Metadata under
// x-maxim-repo-id, where the normalizer (and any metadata-aware batching)
// reads it.
func withRepo(ctx context.Context, repo string) context.Context {
	info := client.FromContext(ctx)
	md := make(map[string][]string)
	for k := range info.Metadata.Keys() {
		md[k] = info.Metadata.Get(k)
	}
	md[maximauthextension.HeaderRepoID] = []string{repo}
	info.Metadata = client.NewMetadata(md)
	return client.NewContext(ctx, info)
}

// writeConsumerError maps a pipeline error to a status the way the otlp
// receiver does: a gRPC status keeps its meaning (ResourceExhausted → 429,
// Unavailable → 503, …), other errors are retryable (503) unless permanent,
// which is a server-side failure (500): it is never the client's input, which
// the receiver validated before handing it on.
func (r *mxinReceiver) writeConsumerError(w http.ResponseWriter, err error) {
	code := http.StatusServiceUnavailable
	if s, ok := status.FromError(err); ok {
		code = httpStatusFromCode(s.Code())
	} else if consumererror.IsPermanent(err) {
		code = http.StatusInternalServerError
	}
	if code == http.StatusServiceUnavailable || code == http.StatusTooManyRequests {
		w.Header().Set("Retry-After", strconv.Itoa(int((r.cfg.RetryAfter+time.Second-1)/time.Second)))
	}
	if code < http.StatusInternalServerError && code != http.StatusTooManyRequests {
		// The client's own input (InvalidArgument, PermissionDenied …):
		// resending it cannot help.
		writeError(w, code, "pipeline refused the data: "+err.Error())
		return
	}
	writeError(w, code, "pipeline refused the data; resend later: "+err.Error())
}

func httpStatusFromCode(c codes.Code) int {
	switch c {
	case codes.Canceled, codes.DeadlineExceeded, codes.Aborted, codes.OutOfRange, codes.Unavailable, codes.DataLoss:
		return http.StatusServiceUnavailable
	case codes.ResourceExhausted:
		return http.StatusTooManyRequests
	case codes.InvalidArgument:
		return http.StatusBadRequest
	case codes.Unauthenticated:
		return http.StatusUnauthorized
	case codes.PermissionDenied:
		return http.StatusForbidden
	case codes.Unimplemented:
		return http.StatusNotFound
	default:
		return http.StatusInternalServerError
	}
}

// rawQueryValue reads a query parameter without treating '+' as a space: the
// JS and Python SDKs do not URL-encode upload-url values (docs/protocol.md §2.1), so
// a MIME type like image/svg+xml arrives with a literal '+'. Percent escapes
// are decoded when they are valid.
func rawQueryValue(rawQuery, name string) string {
	for _, part := range strings.Split(rawQuery, "&") {
		k, v, _ := strings.Cut(part, "=")
		if k != name {
			continue
		}
		if strings.Contains(v, "%") {
			if dec, err := url.PathUnescape(v); err == nil {
				return dec
			}
		}
		return v
	}
	return ""
}
