package maximauthextension

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"net/http"
	"strings"

	"go.opentelemetry.io/collector/client"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/extension/extensionauth"
	"go.opentelemetry.io/collector/extension/extensionmiddleware"
	"go.uber.org/zap"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/otelcol-genai/otelcol-genai/internal/repoaccess"
)

// Header and attribute names shared with the mxin receiver and the
// normalizer. The repositories a key may use travel in client.Info.Auth
// under repoaccess.Attribute, which owns the access rule.
const (
	// HeaderAPIKey carries the API key (Maxim SDKs, Maxim OTLP endpoint).
	HeaderAPIKey = "x-maxim-api-key"
	// HeaderRepoID names the log repository of an OTLP request; the
	// authenticator checks it against the key's repos and copies it into
	// client.Info.Metadata for the normalizer.
	HeaderRepoID = "x-maxim-repo-id"
	// AttributeKeyID is a short, non-reversible id of the key used (for
	// logs), as string.
	AttributeKeyID = "maxim.key_id"
)

// InvalidAccessMessage is the message Maxim's hosted API answers with a 403.
const InvalidAccessMessage = "Invalid access error"

// errInvalidAccess is a gRPC PermissionDenied status so that configgrpc
// passes it through as such (it maps plain errors to Unauthenticated).
var errInvalidAccess = status.Error(codes.PermissionDenied, InvalidAccessMessage)

// IsInvalidAccess reports whether err is this extension's refusal.
func IsInvalidAccess(err error) bool {
	s, ok := status.FromError(err)
	return ok && s.Code() == codes.PermissionDenied && s.Message() == InvalidAccessMessage
}

// InvalidAccessBody is the exact JSON body of a refusal.
const InvalidAccessBody = `{"code":403,"message":"Invalid access error"}`

var (
	_ extensionauth.Server           = (*Authenticator)(nil)
	_ extensionmiddleware.HTTPServer = (*Authenticator)(nil)
)

// Authenticator is the maxim_auth extension. It is usable three ways:
//   - as `auth: {authenticator: maxim_auth}` of any confighttp/configgrpc
//     server (the standard otlp receiver): refusals are then answered by
//     confighttp as 401 and by configgrpc as PermissionDenied;
//   - as `middlewares: [{id: maxim_auth}]` of a confighttp server, which
//     answers refusals exactly like Maxim does (403 and its JSON body);
//   - directly by the mxin receiver through Authenticate.
type Authenticator struct {
	logger   *zap.Logger
	allowAll bool
	// keys maps the SHA-256 of a key to its repos, so that the lookup
	// compares digests rather than secrets.
	keys map[[sha256.Size]byte]keyEntry
}

type keyEntry struct {
	grant repoaccess.Grant
	id    string
}

func newAuthenticator(cfg *Config, logger *zap.Logger) *Authenticator {
	a := &Authenticator{
		logger:   logger,
		allowAll: cfg.InsecureAllowAll,
		keys:     make(map[[sha256.Size]byte]keyEntry, len(cfg.Keys)),
	}
	for _, k := range cfg.Keys {
		sum := sha256.Sum256([]byte(k.Key))
		a.keys[sum] = keyEntry{grant: repoaccess.Of(k.Repos...), id: hex.EncodeToString(sum[:4])}
	}
	return a
}

// Start warns when authentication is off.
func (a *Authenticator) Start(context.Context, component.Host) error {
	if a.allowAll {
		a.logger.Warn("maxim_auth: insecure_allow_all is set; every request is accepted for every repository. Do not use this outside local development.")
	}
	return nil
}

// Shutdown does nothing.
func (a *Authenticator) Shutdown(context.Context) error { return nil }

// Authenticate checks the API key in sources (HTTP headers or gRPC metadata,
// matched case-insensitively), checks x-maxim-repo-id if present against the
// key's repositories, and returns a context whose client.Info carries the
// allowed repositories in Auth and the repo id in Metadata.
func (a *Authenticator) Authenticate(ctx context.Context, sources map[string][]string) (context.Context, error) {
	key := firstValue(sources, HeaderAPIKey)
	var entry keyEntry
	switch {
	case a.allowAll:
		entry = keyEntry{grant: repoaccess.Of(repoaccess.All), id: "insecure"}
	default:
		e, ok := a.keys[sha256.Sum256([]byte(key))]
		if key == "" || !ok {
			return ctx, errInvalidAccess
		}
		entry = e
	}
	repo := firstValue(sources, HeaderRepoID)
	if repo != "" && !entry.grant.Allows(repo) {
		return ctx, errInvalidAccess
	}

	info := client.FromContext(ctx)
	info.Auth = authData{grant: entry.grant, keyID: entry.id}
	if repo != "" {
		md := make(map[string][]string)
		for k := range info.Metadata.Keys() {
			md[k] = info.Metadata.Get(k)
		}
		md[HeaderRepoID] = []string{repo}
		info.Metadata = client.NewMetadata(md)
	}
	return client.NewContext(ctx, info), nil
}

// GetHTTPHandler lets the extension run as confighttp middleware, so that the
// standard otlp receiver refuses exactly like Maxim's endpoint (403 with
// {"code":403,"message":"Invalid access error"}) instead of confighttp's 401.
func (a *Authenticator) GetHTTPHandler(context.Context) (extensionmiddleware.WrapHTTPHandlerFunc, error) {
	return func(_ context.Context, next http.Handler) (http.Handler, error) {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			ctx, err := a.Authenticate(r.Context(), r.Header)
			if err != nil {
				WriteInvalidAccess(w)
				return
			}
			next.ServeHTTP(w, r.WithContext(ctx))
		}), nil
	}, nil
}

// WriteInvalidAccess writes Maxim's refusal: 403 and its JSON body.
func WriteInvalidAccess(w http.ResponseWriter) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusForbidden)
	_, _ = w.Write([]byte(InvalidAccessBody))
}

// ErrNoAPIKey is returned by CheckRepo when the context carries no maxim_auth
// result.
var ErrNoAPIKey = errors.New("request was not authenticated by maxim_auth")

// CheckRepo reports whether the authenticated caller in ctx may use repo.
func CheckRepo(ctx context.Context, repo string) error {
	g, ok, err := repoaccess.FromContext(ctx)
	if !ok {
		return ErrNoAPIKey
	}
	if err != nil || !g.Allows(repo) {
		return errInvalidAccess
	}
	return nil
}

func firstValue(sources map[string][]string, name string) string {
	if v, ok := sources[name]; ok && len(v) > 0 {
		return strings.TrimSpace(v[0])
	}
	for k, v := range sources {
		if len(v) > 0 && strings.EqualFold(k, name) {
			return strings.TrimSpace(v[0])
		}
	}
	return ""
}

// authData is what the extension puts into client.Info.Auth.
type authData struct {
	grant repoaccess.Grant
	keyID string
}

func (d authData) GetAttribute(name string) any {
	switch name {
	case repoaccess.Attribute:
		return d.grant.Repos()
	case AttributeKeyID:
		return d.keyID
	}
	return nil
}

func (d authData) GetAttributeNames() []string {
	return []string{repoaccess.Attribute, AttributeKeyID}
}
