package maximjs

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"github.com/otelcol-genai/otelcol-genai/test/e2e/harness"
	"io"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"
)

// installSDK makes sure node is there and the real @maximai/maxim-js is
// installed from npm at the versions package-lock.json pins.
func installSDK(t *testing.T) string {
	t.Helper()
	return harness.NPMInstall(t, "@maximai/maxim-js/package.json", "the real @maximai/maxim-js SDK")
}

// pushRecord is one SDK push seen by the proxy.
type pushRecord struct {
	status int
	body   []byte
}

// faultProxy sits between the SDK and the collector. It answers the first
// commit push with 503 (the SDK then keeps the batch and re-sends it), and
// passes everything else through, recording every push.
type faultProxy struct {
	rp *httputil.ReverseProxy

	mu       sync.Mutex
	injected bool
	pushes   []pushRecord
	requests []string
}

func newFaultProxy(target string) *faultProxy {
	u, _ := url.Parse(target)
	return &faultProxy{rp: httputil.NewSingleHostReverseProxy(u)}
}

func (p *faultProxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	p.mu.Lock()
	p.requests = append(p.requests, r.Method+" "+r.URL.Path)
	p.mu.Unlock()
	if r.Method != http.MethodPost || r.URL.Path != "/api/sdk/v3/log" {
		p.rp.ServeHTTP(w, r)
		return
	}
	body, _ := io.ReadAll(r.Body)
	p.mu.Lock()
	inject := !p.injected
	p.injected = true
	p.mu.Unlock()
	if inject {
		p.record(http.StatusServiceUnavailable, body)
		w.Header().Set("Retry-After", "0")
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusServiceUnavailable)
		_, _ = w.Write([]byte(`{"error":{"message":"injected by the e2e proxy"}}`))
		return
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	r.ContentLength = int64(len(body))
	rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
	p.rp.ServeHTTP(rec, r)
	p.record(rec.status, body)
}

func (p *faultProxy) record(status int, body []byte) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.pushes = append(p.pushes, pushRecord{status: status, body: body})
}

func (p *faultProxy) snapshot() ([]pushRecord, []string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]pushRecord(nil), p.pushes...), append([]string(nil), p.requests...)
}

type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (s *statusRecorder) WriteHeader(code int) {
	s.status = code
	s.ResponseWriter.WriteHeader(code)
}

// startProxy serves the fault proxy on a loopback port.
func startProxy(t *testing.T, target string) (*faultProxy, string) {
	t.Helper()
	p := newFaultProxy(target)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: p, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Close() })
	return p, "http://" + ln.Addr().String()
}

// driverIDs is what drive.js prints: the ids it used.
type driverIDs struct {
	Session          string `json:"session"`
	Trace            string `json:"trace"`
	BigTrace         string `json:"bigTrace"`
	Span             string `json:"span"`
	ChildSpan        string `json:"childSpan"`
	Generation       string `json:"generation"`
	ToolCall         string `json:"toolCall"`
	FailingToolCall  string `json:"failingToolCall"`
	Retrieval        string `json:"retrieval"`
	SpanEvent        string `json:"spanEvent"`
	TraceEvent       string `json:"traceEvent"`
	TraceError       string `json:"traceError"`
	Attachment       string `json:"attachment"`
	AttachmentText   string `json:"attachmentText"`
	LargeOutputChars int    `json:"largeOutputChars"`
}

// runDriver runs drive.js with the real SDK against baseURL.
func runDriver(t *testing.T, node, baseURL, apiKey, repo string) driverIDs {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, "drive.js")
	tmp := t.TempDir() // the SDK parks failed batches under os.tmpdir()
	cmd.Env = append(os.Environ(),
		"MAXIM_BASE_URL="+baseURL, "MAXIM_API_KEY="+apiKey, "MAXIM_REPO_ID="+repo,
		"RUN_ID="+fmt.Sprint(time.Now().UnixNano()), "TMPDIR="+tmp)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("drive.js: %v\nstderr:\n%s\nstdout:\n%s", err, stderr.String(), out)
	}
	var ids driverIDs
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	var last string
	for sc.Scan() {
		if l := strings.TrimSpace(sc.Text()); strings.HasPrefix(l, "{") {
			last = l
		}
	}
	if err := json.Unmarshal([]byte(last), &ids); err != nil || ids.Trace == "" {
		t.Fatalf("drive.js printed no ids (%v):\n%s\nstderr:\n%s", err, out, stderr.String())
	}
	return ids
}

// checkRetried asserts the fault injection worked: one push got 503, and its
// lines were all delivered by a later successful push.
func checkRetried(t *testing.T, p *faultProxy) {
	t.Helper()
	pushes, reqs := p.snapshot()
	if len(pushes) < 2 || pushes[0].status != http.StatusServiceUnavailable {
		t.Fatalf("want a 503'd push followed by others, got %d pushes (requests: %v)", len(pushes), reqs)
	}
	for i, pr := range pushes {
		t.Logf("push %d: status %d, %d bytes, %d lines", i, pr.status, len(pr.body), strings.Count(string(pr.body), "\n")+1)
	}
	t.Logf("requests through the proxy: %v", reqs)
	delivered := map[string]bool{}
	for _, pr := range pushes[1:] {
		if pr.status != http.StatusOK {
			t.Errorf("push answered %d", pr.status)
		}
		for _, l := range strings.Split(string(pr.body), "\n") {
			delivered[strings.TrimSpace(l)] = true
		}
	}
	for _, l := range strings.Split(string(pushes[0].body), "\n") {
		if l = strings.TrimSpace(l); l != "" && !delivered[l] {
			t.Errorf("line of the 503'd push was never re-sent: %.200s", l)
		}
	}
}

func freePort(t *testing.T) string { return harness.FreeAddr(t) }
