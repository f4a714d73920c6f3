// Package harness starts the built otelcol-genai binary for end-to-end
// tests: free loopback ports, a private data directory, the GENAI_*
// environment the configs read, and logs kept for failure reports.
package harness

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/otelcol-genai/otelcol-genai/internal/ci"
)

// RepoRoot is the repository root: the nearest directory above the
// working directory (go test runs in the package directory) holding go.mod.
// Source paths from runtime.Caller are useless here: builds use -trimpath.
func RepoRoot() string {
	dir, err := os.Getwd()
	if err != nil {
		return "."
	}
	for d := dir; ; d = filepath.Dir(d) {
		if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
			return d
		}
		if filepath.Dir(d) == d {
			return dir
		}
	}
}

// Binary returns the distribution binary under test: $GENAI_BINARY, else
// bin/otelcol-genai. Outside CI a missing binary skips the test (run `make
// build` or `make e2e`); in CI it fails.
func Binary(t testing.TB) string {
	t.Helper()
	bin := os.Getenv("GENAI_BINARY")
	if bin == "" {
		bin = filepath.Join(RepoRoot(), "bin", "otelcol-genai")
	}
	if _, err := os.Stat(bin); err != nil {
		ci.Unavailable(t, "distribution binary %s not built: run `make build` (or `make e2e`; `make test` builds it first): %v", bin, err)
	}
	return bin
}

// FreeAddr returns a loopback address with a port nobody listens on and
// that no earlier FreeAddr call of this test process returned. The kernel
// may hand the same ephemeral port to two consecutive bind(0) calls once the
// first listener is closed; a collector given that port for two endpoints
// then fails to start ("address already in use"), which made the vendors
// test flaky once it took a sixth port.
func FreeAddr(t testing.TB) string {
	t.Helper()
	for {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatalf("free port: %v", err)
		}
		addr := l.Addr().String()
		_ = l.Close()
		handedOut.Lock()
		seen := handedOut.addrs[addr]
		handedOut.addrs[addr] = true
		handedOut.Unlock()
		if !seen {
			return addr
		}
	}
}

// handedOut holds every address FreeAddr returned in this process: the
// ports are a process-wide resource, so the record is too.
var handedOut = struct {
	sync.Mutex
	addrs map[string]bool
}{addrs: map[string]bool{}}

// Collector is one running collector process.
type Collector struct {
	t      testing.TB
	bin    string
	config string
	// overlays are further config files, merged over config in order.
	overlays []string
	Env      map[string]string
	cmd      *exec.Cmd
	logs     *syncBuffer
	done     chan struct{}
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// NewCollector prepares a collector running configs/<config> (or config
// itself when it is an absolute path: a config a test derived from one of
// configs/) with fresh endpoints for every GENAI_* setting; env overrides or
// adds variables.
func NewCollector(t testing.TB, config string, env map[string]string) *Collector {
	t.Helper()
	e := map[string]string{
		"GENAI_DATA_DIR":            t.TempDir(),
		"GENAI_OTLP_GRPC_ENDPOINT":  FreeAddr(t),
		"GENAI_OTLP_HTTP_ENDPOINT":  FreeAddr(t),
		"GENAI_MXIN_ENDPOINT":       FreeAddr(t),
		"GENAI_QUERY_ENDPOINT":      FreeAddr(t),
		"GENAI_HEALTH_ENDPOINT":     FreeAddr(t),
		"GENAI_PROMETHEUS_ENDPOINT": FreeAddr(t),
		"GENAI_API_KEY":             "e2e-key",
	}
	_, port, _ := net.SplitHostPort(FreeAddr(t))
	e["GENAI_METRICS_PORT"] = port
	for k, v := range env {
		e[k] = v
	}
	if !filepath.IsAbs(config) {
		config = filepath.Join(RepoRoot(), "configs", config)
	}
	c := &Collector{t: t, bin: Binary(t), config: config, Env: e}
	t.Cleanup(c.Stop)
	return c
}

// Overlay adds a config file (a path relative to the test's package
// directory, or absolute) merged over configs/<config> the way the
// collector merges several --config flags: maps deeply, a list replaced as
// a whole. Call it before Start.
func (c *Collector) Overlay(path string) {
	abs, err := filepath.Abs(path)
	if err != nil {
		c.t.Fatalf("overlay %s: %v", path, err)
	}
	c.overlays = append(c.overlays, abs)
}

// Start runs the process and waits until its health check answers.
func (c *Collector) Start() {
	c.t.Helper()
	c.logs = &syncBuffer{}
	args := []string{"--config", c.config}
	for _, o := range c.overlays {
		args = append(args, "--config", o)
	}
	c.cmd = exec.Command(c.bin, args...)
	c.cmd.Env = os.Environ()
	for k, v := range c.Env {
		c.cmd.Env = append(c.cmd.Env, k+"="+v)
	}
	c.cmd.Stdout = c.logs
	c.cmd.Stderr = c.logs
	if err := c.cmd.Start(); err != nil {
		c.t.Fatalf("start %s: %v", c.bin, err)
	}
	c.done = make(chan struct{})
	go func() { _ = c.cmd.Wait(); close(c.done) }()
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case <-c.done:
			c.t.Fatalf("collector %s exited at start:\n%s", c.config, c.logs.String())
		default:
		}
		resp, err := http.Get("http://" + c.Env["GENAI_HEALTH_ENDPOINT"] + "/")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	c.t.Fatalf("collector %s not healthy after 60s:\n%s", c.config, c.logs.String())
}

// Kill sends SIGKILL: no shutdown hooks, no flush.
func (c *Collector) Kill() {
	if c.cmd == nil || c.cmd.Process == nil {
		return
	}
	_ = c.cmd.Process.Signal(syscall.SIGKILL)
	<-c.done
	c.cmd = nil
}

// Stop shuts the collector down gracefully (SIGTERM), then kills it.
func (c *Collector) Stop() {
	if c.cmd == nil || c.cmd.Process == nil {
		return
	}
	_ = c.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-c.done:
	case <-time.After(20 * time.Second):
		_ = c.cmd.Process.Signal(syscall.SIGKILL)
		<-c.done
	}
	if c.t.Failed() {
		c.t.Logf("logs of %s:\n%s", c.config, tail(c.logs.String(), 20000))
	}
	c.cmd = nil
}

// PID is the running process's id (0 when it is not started).
func (c *Collector) PID() int {
	if c.cmd == nil || c.cmd.Process == nil {
		return 0
	}
	return c.cmd.Process.Pid
}

// Exited reports whether the started process has ended (crashed, or was
// killed); a test that provokes the collector asks it after every attempt.
func (c *Collector) Exited() bool {
	if c.done == nil {
		return false
	}
	select {
	case <-c.done:
		return true
	default:
		return false
	}
}

// Logs returns what the process printed so far.
func (c *Collector) Logs() string { return c.logs.String() }

func tail(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[len(s)-n:]
}

// Eventually polls f until it returns nil or the timeout passes.
func Eventually(ctx context.Context, timeout time.Duration, f func() error) error {
	deadline := time.Now().Add(timeout)
	var err error
	for time.Now().Before(deadline) {
		if err = f(); err == nil {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
	return fmt.Errorf("still failing after %s: %w", timeout, err)
}

// NPMInstall makes sure node is on PATH and the npm project in the test's
// package directory is installed at the versions its package-lock.json
// pins (`npm ci`, skipped when marker, a path under node_modules, already
// exists). It returns the node binary.
func NPMInstall(t testing.TB, marker, what string) string {
	t.Helper()
	node, err := exec.LookPath("node")
	if err != nil {
		ci.Unavailable(t, "node is not on PATH (needed to run %s)", what)
	}
	if _, err := os.Stat(filepath.Join("node_modules", marker)); err == nil {
		return node
	}
	npm, err := exec.LookPath("npm")
	if err != nil {
		ci.Unavailable(t, "npm is not on PATH (needed to install %s)", what)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	out, err := exec.CommandContext(ctx, npm, "ci", "--no-audit", "--no-fund").CombinedOutput()
	if err != nil {
		ci.Unavailable(t, "npm ci failed (is the npm registry reachable?): %v\n%s", err, out)
	}
	return node
}

// GetJSON GETs u with the API key (x-maxim-api-key) and decodes a 200
// answer into v. It returns the status; any other status is an error
// quoting the start of the body.
func GetJSON(ctx context.Context, u, apiKey string, v any) (int, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return 0, err
	}
	req.Header.Set("x-maxim-api-key", apiKey)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return resp.StatusCode, err
	}
	if resp.StatusCode != http.StatusOK {
		return resp.StatusCode, fmt.Errorf("GET %s: %d %.300s", u, resp.StatusCode, b)
	}
	return resp.StatusCode, json.Unmarshal(b, v)
}

// WaitTrace polls GET /api/v1/traces/{id} of the query API at queryURL
// until ok accepts the root node, decoded as the test's own node type N
// (spans and records of one trace arrive in several requests, in no
// particular order), and returns it. It fails the test after 30 s, printing
// the last tree seen.
func WaitTrace[N any](t testing.TB, queryURL, repo, apiKey, id string, ok func(*N) error) *N {
	t.Helper()
	var root *N
	u := queryURL + "/api/v1/traces/" + url.PathEscape(id) + "?repo=" + url.QueryEscape(repo)
	err := Eventually(context.Background(), 30*time.Second, func() error {
		var tr struct {
			Root *N `json:"trace"`
		}
		if _, err := GetJSON(context.Background(), u, apiKey, &tr); err != nil {
			return err
		}
		if tr.Root == nil {
			return errors.New("empty trace")
		}
		root = tr.Root
		return ok(root)
	})
	if err != nil {
		b, _ := json.MarshalIndent(root, "", " ")
		t.Fatalf("trace %s: %v\n%s", id, err, b)
	}
	return root
}
