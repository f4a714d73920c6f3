package mxinreceiver

import (
	"bytes"
	"errors"
	"net/http"
	"strconv"
)

// maxPrealloc bounds the up-front allocation for a declared Content-Length.
// The declaration is the client's word, not data: a client declaring 256 MiB
// and sending 150 bytes must not make the receiver hold 256 MiB. Past this
// size the buffer grows with what actually arrives.
const maxPrealloc = 1 << 20

// readBody reads the request body and answers 413 when it is over the
// configured limit and 400 when the client broke off. It returns false when
// it has answered.
//
// A declared Content-Length over the limit is refused before any byte is
// read (Go's server sends no 100 Continue then, so a well-behaved client
// does not even send the body). Otherwise confighttp's http.MaxBytesReader
// still caps what is read, for chunked and compressed bodies too.
func (r *mxinReceiver) readBody(w http.ResponseWriter, req *http.Request) ([]byte, bool) {
	limit := r.cfg.MaxRequestBodySize
	if limit > 0 && req.ContentLength > limit {
		writeTooLarge(w, limit)
		return nil, false
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
			return nil, false
		}
		writeError(w, http.StatusBadRequest, "reading the request body: "+err.Error())
		return nil, false
	}
	return buf.Bytes(), true
}

func writeTooLarge(w http.ResponseWriter, limit int64) {
	writeError(w, http.StatusRequestEntityTooLarge, "request body over "+strconv.FormatInt(limit, 10)+" bytes (max_request_body_size)")
}
