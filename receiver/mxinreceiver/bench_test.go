package mxinreceiver

import (
	"bytes"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"

	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/receiver/receivertest"

	"github.com/otelcol-genai/otelcol-genai/pkg/commit"
	"github.com/otelcol-genai/otelcol-genai/receiver/mxinreceiver/internal/metadata"
)

// benchBody builds a realistic 100-commit push: the JS session capture's
// line mix, repeated with fresh ids.
func benchBody(b *testing.B) []byte {
	b.Helper()
	lines := bytes.Split(bytes.TrimSpace(jsSessionBodyB(b)), []byte("\n"))
	var buf bytes.Buffer
	n := 0
	for round := 0; n < 100; round++ {
		for _, l := range lines {
			if n == 100 {
				break
			}
			buf.Write(bytes.ReplaceAll(l, []byte("-00"), []byte(fmt.Sprintf("-%d-", round))))
			buf.WriteByte('\n')
			n++
		}
	}
	return buf.Bytes()
}

func jsSessionBodyB(b *testing.B) []byte {
	for _, c := range loadCapture(b) {
		if c.Scenario == "js-session" && c.Method == http.MethodPost {
			return []byte(c.Body)
		}
	}
	b.Fatal("no js-session push in the capture")
	return nil
}

// BenchmarkPush measures the push handler (parse, validate, encode to logs,
// hand to a no-op consumer, answer) without the network, on one goroutine.
func BenchmarkPush(b *testing.B) {
	body := benchBody(b)
	if cs, errs := commit.ParseBody("r", body, nil); len(cs) != 100 || len(errs) != 0 {
		b.Fatalf("bench body: %d commits, %d errors", len(cs), len(errs))
	}
	cfg := createDefaultConfig().(*Config)
	cfg.InsecureNoAuth = true
	r, err := newReceiver(receivertest.NewNopSettings(metadata.Type), cfg, nil)
	if err != nil {
		b.Fatal(err)
	}
	r.setLogs(consumertest.NewNop())
	h := r.routes()
	b.ReportAllocs()
	b.SetBytes(int64(len(body)))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		req := httptest.NewRequest(http.MethodPost, "/api/sdk/v3/log?id=repo-1", bytes.NewReader(body))
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		if w.Code != http.StatusOK {
			b.Fatalf("status %d: %s", w.Code, w.Body)
		}
	}
	b.StopTimer()
	secs := b.Elapsed().Seconds()
	b.ReportMetric(float64(100*b.N)/secs, "commits/s")
}
