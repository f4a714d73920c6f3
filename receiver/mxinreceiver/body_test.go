package mxinreceiver

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/pdata/plog"

	"github.com/otelcol-genai/otelcol-genai/internal/admission"
)

// rawRequest sends a request head declaring contentLength and only the
// bytes of sent, then waits (bounded) for the answer without closing the
// connection: a receiver that waits for the declared body never answers.
func rawRequest(t *testing.T, addr, method, target string, headers map[string]string, contentLength int64, sent string) *http.Response {
	t.Helper()
	conn, err := net.Dial("tcp", addr)
	require.NoError(t, err)
	t.Cleanup(func() { _ = conn.Close() })
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s HTTP/1.1\r\nHost: %s\r\nContent-Length: %d\r\n", method, target, addr, contentLength)
	for k, v := range headers {
		fmt.Fprintf(&b, "%s: %s\r\n", k, v)
	}
	b.WriteString("\r\n")
	b.WriteString(sent)
	_, err = io.WriteString(conn, b.String())
	require.NoError(t, err)
	require.NoError(t, conn.SetReadDeadline(time.Now().Add(10*time.Second)))
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	require.NoError(t, err, "no answer before the declared body was sent")
	t.Cleanup(func() { _ = resp.Body.Close() })
	return resp
}

// TestDeclaredOversizeBodyRefusedUpFront: a push or blob PUT declaring 256
// MiB is refused with 413 before its body is read, so the declaration never
// sizes a buffer.
func TestDeclaredOversizeBodyRefusedUpFront(t *testing.T) {
	e := newEnv(t, envOpts{})
	addr := e.r.addr.String()
	sent := strings.Repeat("x", 150)
	const declared = 256 << 20

	resp := rawRequest(t, addr, http.MethodPost, pathPush+"?id="+testRepo,
		map[string]string{"x-maxim-api-key": testKey, "Content-Type": "text/plain"}, declared, sent)
	assert.Equal(t, http.StatusRequestEntityTooLarge, resp.StatusCode)
	body, _ := io.ReadAll(resp.Body)
	assert.JSONEq(t, `{"error":{"message":"request body over 67108864 bytes (max_request_body_size)"}}`, string(body))

	up := e.uploadURL(testRepo+"/trace/t1/files/original/att-1", "image/png", testKey)
	require.Equal(t, http.StatusOK, up.code, string(up.body))
	u, err := url.Parse(up.json(t)["data"].(map[string]any)["url"].(string))
	require.NoError(t, err)
	resp = rawRequest(t, addr, http.MethodPut, u.RequestURI(), map[string]string{"Content-Type": "application/octet-stream"}, declared, sent)
	assert.Equal(t, http.StatusRequestEntityTooLarge, resp.StatusCode)
	assert.Empty(t, e.logs.AllLogs())
}

// TestDeclaredButShortBodyIsNotPreallocated: a declaration under the limit
// is allowed, but the buffer grows with the bytes that arrive, not with the
// declared size.
func TestDeclaredButShortBodyIsNotPreallocated(t *testing.T) {
	r := &mxinReceiver{cfg: &Config{}}
	r.cfg.MaxRequestBodySize = 64 << 20
	req := httptest.NewRequest(http.MethodPost, pathPush, strings.NewReader(strings.Repeat("x", 150)))
	req.ContentLength = 32 << 20
	body, release, ok := r.readBody(httptest.NewRecorder(), req)
	require.True(t, ok)
	release()
	assert.Len(t, body, 150)
	assert.LessOrEqual(t, cap(body), 2*maxPrealloc, "buffer sized by the declared Content-Length")
}

// TestOverloadIsRefusedAtTheDoor: while the pipeline works on one body that
// fills admission's request limit (and the waiting limit is 0), the next
// push is refused at once with 429 and Retry-After, counted, and never
// reaches the pipeline; once the first is answered, pushes are admitted
// again. Without admission control the second push would queue behind the
// first.
func TestOverloadIsRefusedAtTheDoor(t *testing.T) {
	entered, unblock := make(chan struct{}, 4), make(chan struct{})
	var consumed atomic.Int64
	blocking, err := consumer.NewLogs(func(_ context.Context, ld plog.Logs) error {
		entered <- struct{}{}
		<-unblock
		consumed.Add(int64(ld.LogRecordCount()))
		return nil
	})
	require.NoError(t, err)
	e := newEnv(t, envOpts{logs: blocking, cfg: func(c *Config) {
		c.Admission = admission.Config{RequestLimitMiB: 1}
		c.RetryAfter = 7 * time.Second
	}})
	big := []byte(`trace{id=t1,action=update,data={"output":"` + strings.Repeat("x", 800<<10) + `"}}`)
	first := make(chan response, 1)
	go func() { first <- e.push(testRepo, testKey, big) }()
	<-entered // the first body is in the pipeline, holding 800 KiB of the 1 MiB

	small := []byte(`trace{id=t2,action=update,data={"output":"` + strings.Repeat("y", 300<<10) + `"}}`)
	resp := e.push(testRepo, testKey, small)
	assert.Equal(t, http.StatusTooManyRequests, resp.code, string(resp.body))
	assert.Equal(t, "7", resp.header.Get("Retry-After"))
	assert.Contains(t, string(resp.body), "too much data in flight")
	assert.EqualValues(t, 1, counterByAttrs(t, e, "otelcol_mxin_requests_overloaded")[attrKey("", "", "")])

	close(unblock)
	require.Equal(t, http.StatusOK, (<-first).code)
	resp = e.push(testRepo, testKey, small)
	require.Equal(t, http.StatusOK, resp.code, "admitted again once the first body was answered")
	assert.EqualValues(t, 2, consumed.Load(), "the refused push never reached the pipeline")
}
