package mxinreceiver

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"

	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/receiver/receivertest"

	"github.com/otelcol-genai/otelcol-genai/receiver/mxinreceiver/internal/metadata"
)

// FuzzPush: whatever the body, the push handler answers 200 with a JSON
// object without an `error` key (bad input is never a 5xx and never makes
// the SDK resend), and accepted+rejected lines never exceed the body's lines.
func FuzzPush(f *testing.F) {
	for _, c := range loadCapture(f) {
		if c.Method == http.MethodPost {
			f.Add([]byte(c.Body))
		}
	}
	f.Add([]byte("trace{id=a,action=create,data={\"x\": NaN}}\r\n\n"))
	f.Add([]byte("storage{id=u,action=process-large-log,data={\"key\":\"repo-1/large-logs/u\"}}"))
	f.Add([]byte("x{id=,action=,data=}"))
	f.Add([]byte{0xff, 0xfe, '\n', '{'})

	cfg := createDefaultConfig().(*Config)
	cfg.InsecureNoAuth = true
	r, err := newReceiver(receivertest.NewNopSettings(metadata.Type), cfg, nil)
	if err != nil {
		f.Fatal(err)
	}
	r.setLogs(consumertest.NewNop())
	h := r.routes()

	f.Fuzz(func(t *testing.T, body []byte) {
		req := httptest.NewRequest(http.MethodPost, "/api/sdk/v3/log?id=repo-1", bytes.NewReader(body))
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		if w.Code != http.StatusOK {
			t.Fatalf("status %d for body %q: %s", w.Code, body, w.Body)
		}
		var resp struct {
			Error *json.RawMessage `json:"error"`
			Data  pushData         `json:"data"`
		}
		if err := json.Unmarshal(w.Body.Bytes(), &resp); err != nil {
			t.Fatalf("response is not JSON: %v: %s", err, w.Body)
		}
		if resp.Error != nil || !resp.Data.Success {
			t.Fatalf("response signals failure: %s", w.Body)
		}
		lines := bytes.Count(body, []byte("\n")) + 1
		if got := resp.Data.Accepted + resp.Data.RejectedCount; got > lines {
			t.Fatalf("accepted %d + rejected %d > %d lines", resp.Data.Accepted, resp.Data.RejectedCount, lines)
		}
	})
}
