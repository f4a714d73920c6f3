package mxinreceiver

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"go.opentelemetry.io/otel/metric"
	"go.uber.org/zap"

	"github.com/otelcol-genai/otelcol-genai/extension/maximauthextension"
	"github.com/otelcol-genai/otelcol-genai/internal/tree"
	"github.com/otelcol-genai/otelcol-genai/pkg/commit"
)

// maxKeyLen bounds blob keys; the SDK keys are
// <repo>/<entity>/<id>/files/original/<attId> and <repo>/large-logs/<uuid>.
const maxKeyLen = 1024

// urlSigner signs upload URLs. The Python and Go SDKs PUT to the URL without
// an API key (docs/protocol.md §2.1 #4), so the URL itself must prove it was minted
// for an authenticated caller: an HMAC over the key and the expiry.
type urlSigner struct {
	secret []byte
	ttl    time.Duration
	now    func() time.Time
}

func (s *urlSigner) clock() time.Time {
	if s.now != nil {
		return s.now()
	}
	return time.Now()
}

func (s *urlSigner) sign(key string, exp int64) string {
	m := hmac.New(sha256.New, s.secret)
	m.Write([]byte(key))
	m.Write([]byte{0})
	m.Write([]byte(strconv.FormatInt(exp, 10)))
	return hex.EncodeToString(m.Sum(nil))
}

// mint returns the query string of a signed upload URL for key.
func (s *urlSigner) mint(key string) string {
	exp := s.clock().Add(s.ttl).Unix()
	v := url.Values{}
	v.Set("key", key)
	v.Set("exp", strconv.FormatInt(exp, 10))
	v.Set("sig", s.sign(key, exp))
	return v.Encode()
}

// verify checks a signed query; it returns the key when valid.
func (s *urlSigner) verify(q url.Values) (string, bool) {
	key, expStr, sig := q.Get("key"), q.Get("exp"), q.Get("sig")
	exp, err := strconv.ParseInt(expStr, 10, 64)
	if key == "" || err != nil || sig == "" {
		return "", false
	}
	want := s.sign(key, exp)
	if !hmac.Equal([]byte(want), []byte(sig)) {
		return "", false
	}
	if s.clock().Unix() > exp {
		return "", false
	}
	return key, true
}

// validKey rejects keys that could escape their repository or confuse a
// file-backed storage.
func validKey(key string) error {
	switch {
	case key == "":
		return fmt.Errorf("missing key")
	case len(key) > maxKeyLen:
		return fmt.Errorf("key longer than %d bytes", maxKeyLen)
	case strings.HasPrefix(key, "/"), strings.Contains(key, "//"):
		return fmt.Errorf("key %q has an empty path segment", key)
	case strings.Contains(key, "#"):
		return fmt.Errorf("key %q contains '#'", key)
	}
	for _, seg := range strings.Split(key, "/") {
		if seg == "." || seg == ".." {
			return fmt.Errorf("key %q has a relative path segment", key)
		}
	}
	for _, c := range key {
		if c < 0x20 || c == 0x7f {
			return fmt.Errorf("key %q has a control character", key)
		}
	}
	return nil
}

// handleUploadURL serves GET .../attachments/upload-url?key=&mimeType=&size=.
// The repository is the key's first segment, which the caller's key must own.
func (r *mxinReceiver) handleUploadURL(w http.ResponseWriter, req *http.Request) {
	key := rawQueryValue(req.URL.RawQuery, "key")
	repo, _, _ := strings.Cut(key, "/")
	if _, ok := r.authenticate(w, req, repo); !ok {
		return
	}
	if err := validKey(key); err != nil || repo == "" || !strings.Contains(key, "/") {
		msg := "key must be <repository>/<path>"
		if err != nil {
			msg = err.Error()
		}
		writeError(w, http.StatusBadRequest, msg)
		return
	}
	if r.blobs == nil {
		writeError(w, http.StatusNotImplemented, "uploads are disabled on this receiver (no blob_storage configured)")
		return
	}
	if sizeStr := rawQueryValue(req.URL.RawQuery, "size"); sizeStr != "" {
		size, err := strconv.ParseInt(sizeStr, 10, 64)
		if err != nil || size < 0 {
			writeError(w, http.StatusBadRequest, "size must be a non-negative integer")
			return
		}
		if limit := r.cfg.MaxRequestBodySize; limit > 0 && size > limit {
			writeError(w, http.StatusRequestEntityTooLarge, fmt.Sprintf("size %d over max_request_body_size %d", size, limit))
			return
		}
	}
	base := r.cfg.UploadURL.PublicEndpoint
	if base == "" {
		scheme := "http"
		if req.TLS != nil {
			scheme = "https"
		}
		base = scheme + "://" + req.Host
	}
	u := strings.TrimRight(base, "/") + pathBlobPut + "?" + r.signer.mint(key)
	writeJSON(w, http.StatusOK, map[string]any{"data": map[string]string{"url": u, "key": key}})
}

// handleBlobPut serves the PUT to a signed URL: it stores the bytes under the
// SDK's key. If a pushed process-large-log commit was waiting for this key,
// the stored line is ingested now.
func (r *mxinReceiver) handleBlobPut(w http.ResponseWriter, req *http.Request) {
	key, ok := r.signer.verify(req.URL.Query())
	if !ok {
		maximauthextension.WriteInvalidAccess(w)
		return
	}
	if r.blobs == nil {
		writeError(w, http.StatusNotImplemented, "uploads are disabled on this receiver (no blob_storage configured)")
		return
	}
	body, release, ok := r.readBody(w, req)
	if !ok {
		return
	}
	defer release()
	ctx := req.Context()
	if err := r.blobs.Set(ctx, key, body); err != nil {
		r.logger.Warn("mxin: storing blob failed", zap.String("key", key), zap.Error(err))
		w.Header().Set("Retry-After", "1")
		writeError(w, http.StatusServiceUnavailable, "blob storage unavailable; retry")
		return
	}
	r.telemetry.MxinBlobsStored.Add(ctx, 1)
	r.telemetry.MxinBlobBytesStored.Add(ctx, int64(len(body)), metric.WithAttributes())
	if err := r.resolvePending(ctx, key, body); err != nil {
		// The blob is stored; the SDK's resend of the batch carrying the
		// storage commit, or the next PUT, resolves it. Tell the client to
		// retry so that the pending line is not forgotten.
		r.logger.Warn("mxin: ingesting a pending large-log line failed", zap.String("key", key), zap.Error(err))
		r.writeConsumerError(w, err)
		return
	}
	writeRaw(w, http.StatusOK, successBody)
}

// resolvePending ingests a large-log line whose process-large-log commit was
// pushed before the upload arrived.
func (r *mxinReceiver) resolvePending(ctx context.Context, key string, line []byte) error {
	raw, err := r.blobs.Get(ctx, pendingKey(key))
	if err != nil || raw == nil {
		return err
	}
	var m pendingMarker
	if err := json.Unmarshal(raw, &m); err != nil || m.Repo == "" || r.nextLogs == nil {
		return nil
	}
	c, err := commit.ParseLine(m.Repo, line, m.Version)
	if err == nil {
		err = tree.CheckIDs(&c)
	}
	if err != nil {
		r.logger.Warn("mxin: pending large-log line is malformed", zap.String("key", key), zap.Error(err))
		r.refused(ctx, "", "", reasonLargeLogMalformed, 1)
		return r.blobs.Delete(ctx, pendingKey(key))
	}
	if err := r.linkLargeLog(ctx, key, c); err != nil {
		return err
	}
	if err := r.consumeCommits(ctx, m.Repo, []commit.Commit{c}); err != nil {
		return err
	}
	return r.blobs.Delete(ctx, pendingKey(key))
}
