package mxinreceiver

import (
	"bytes"
	"errors"
	"net/http"
	"strconv"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/otelcol-genai/otelcol-genai/internal/admission"
)

// maxPrealloc bounds the up-front allocation for a declared Content-Length.
// The declaration is the client's word, not data: a client declaring 256 MiB
// and sending 150 bytes must not make the receiver hold 256 MiB. Past this
// size the buffer grows with what actually arrives.
const maxPrealloc = 1 << 20

// readBody reads the request body and answers 413 when it is over the
// configured limit, 429 when admission control refuses it and 400 when the
// client broke off. It returns false when it has answered; otherwise the
// caller calls release once it has answered the request, which returns the
// body's bytes to admission control.
//
// A declared Content-Length over the limit is refused before any byte is
// read (Go's server sends no 100 Continue then, so a well-behaved client
// does not even send the body). Otherwise confighttp's http.MaxBytesReader
// still caps what is read, for chunked and compressed bodies too.
func (r *mxinReceiver) readBody(w http.ResponseWriter, req *http.Request) (body []byte, release func(), ok bool) {
	limit := r.cfg.MaxRequestBodySize
	if limit > 0 && req.ContentLength > limit {
		writeTooLarge(w, limit)
		return nil, nil, false
	}
	var buf bytes.Buffer
	if n := req.ContentLength; n > 0 {
		buf.Grow(int(min(n, maxPrealloc)) + 1)
	}
	_, err := buf.ReadFrom(req.Body)
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			writeTooLarge(w, tooBig.Limit)
			return nil, nil, false
		}
		writeError(w, http.StatusBadRequest, "reading the request body: "+err.Error())
		return nil, nil, false
	}
	// Weighed by the bytes that arrived, not by a declared length: a client
	// declaring 64 MiB and sending slowly must not hold admission's
	// capacity for everyone else.
	if release, ok = r.admit(w, req, int64(buf.Len())); !ok {
		return nil, nil, false
	}
	return buf.Bytes(), release, true
}

// admit asks admission control for n bytes and answers 429 (with
// Retry-After) when it refuses, 503 when the client gave up waiting.
func (r *mxinReceiver) admit(w http.ResponseWriter, req *http.Request, n int64) (release func(), ok bool) {
	release, err := r.admission.Acquire(req.Context(), n)
	switch {
	case errors.Is(err, admission.ErrOverloaded):
		r.telemetry.MxinRequestsOverloaded.Add(req.Context(), 1)
		r.writeConsumerError(w, status.Error(codes.ResourceExhausted, err.Error()))
		return nil, false
	case err != nil:
		r.writeConsumerError(w, status.Error(codes.Unavailable, err.Error()))
		return nil, false
	}
	return release, true
}

func writeTooLarge(w http.ResponseWriter, limit int64) {
	writeError(w, http.StatusRequestEntityTooLarge, "request body over "+strconv.FormatInt(limit, 10)+" bytes (max_request_body_size)")
}
