// Package browser runs the web UI's browser tests (ui.test.mjs, node's test
// runner driving Debian's chromium through playwright-core) from `go test`.
//
// The collector under test is always the built distribution
// (GENAI_BINARY, default bin/otelcol-genai, run with configs/default.yaml):
// a test double of the API could pass against code that never ships.
//
// Outside CI a missing binary, chromium, node or npm skips with a message; in CI
// (CI set) the test installs chromium with apt when running as root and
// fails otherwise.
package browser

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/otelcol-genai/otelcol-genai/internal/webui"
)

const (
	testKey  = "browser-test-key"
	testRepo = "repo-local-1"
)

// repoRoot is two levels above the package directory, which `go test`
// makes the working directory (runtime.Caller is no help: the module is
// built with -trimpath).
func repoRoot() string {
	wd, err := os.Getwd()
	if err != nil {
		panic(err)
	}
	return filepath.Clean(filepath.Join(wd, "..", ".."))
}

func inCI() bool { return os.Getenv("CI") != "" }

// unavailable skips outside CI and fails in CI.
func unavailable(t *testing.T, format string, args ...any) {
	t.Helper()
	msg := fmt.Sprintf(format, args...)
	if inCI() {
		t.Fatal(msg)
	}
	t.Skip(msg)
}

func findChromium(t *testing.T) string {
	t.Helper()
	candidates := []string{os.Getenv("CHROMIUM_PATH"), "/usr/bin/chromium", "/usr/bin/chromium-browser"}
	find := func() string {
		for _, c := range candidates {
			if c == "" {
				continue
			}
			if _, err := os.Stat(c); err == nil {
				return c
			}
		}
		return ""
	}
	if p := find(); p != "" {
		return p
	}
	if inCI() && os.Geteuid() == 0 {
		t.Log("chromium missing in CI: installing Debian's chromium with apt-get (takes a few minutes)")
		for _, args := range [][]string{{"update"}, {"install", "-y", "--no-install-recommends", "chromium"}} {
			cmd := exec.Command("apt-get", args...)
			cmd.Env = append(os.Environ(), "DEBIAN_FRONTEND=noninteractive")
			if out, err := cmd.CombinedOutput(); err != nil {
				t.Fatalf("apt-get %s failed: %v\n%s", strings.Join(args, " "), err, tail(out, 4000))
			}
		}
		if p := find(); p != "" {
			return p
		}
		t.Fatal("apt-get installed chromium but /usr/bin/chromium is still missing")
	}
	unavailable(t, "chromium not found (install Debian's chromium: apt-get install -y chromium, or set CHROMIUM_PATH); browser tests skipped")
	return ""
}

// ensureNodeModules installs the npm project (package-lock.json) when
// playwright-core or the Maxim SDK is missing.
func ensureNodeModules(t *testing.T, dir string) string {
	t.Helper()
	node, err := exec.LookPath("node")
	if err != nil {
		unavailable(t, "node not found on PATH; browser tests need Node.js >= 20")
	}
	need := []string{"playwright-core/package.json", "@maximai/maxim-js/package.json"}
	missing := false
	for _, n := range need {
		if _, err := os.Stat(filepath.Join(dir, "node_modules", n)); err != nil {
			missing = true
		}
	}
	if missing {
		npm, err := exec.LookPath("npm")
		if err != nil {
			unavailable(t, "npm not found; run `npm ci` in test/browser")
		}
		cmd := exec.Command(npm, "ci", "--no-audit", "--no-fund")
		cmd.Dir = dir
		if out, err := cmd.CombinedOutput(); err != nil {
			unavailable(t, "npm ci in %s failed: %v\n%s", dir, err, tail(out, 4000))
		}
	}
	return node
}

func tail(b []byte, n int) string {
	if len(b) > n {
		b = b[len(b)-n:]
	}
	return string(b)
}

func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("free port: %v", err)
	}
	defer l.Close()
	return l.Addr().String()
}

// target is a running collector: where the UI/API and the SDK endpoint are.
type target struct {
	name       string
	uiURL      string
	mxinURL    string
	key, repo  string
	expectAuth bool
}

// binaryUsable reports why the built distribution cannot serve the UI
// tests yet ("" when it can).
func binaryUsable(bin, config string) string {
	if _, err := os.Stat(bin); err != nil {
		return fmt.Sprintf("binary %s not built", bin)
	}
	out, err := exec.Command(bin, "components").CombinedOutput()
	if err != nil {
		return fmt.Sprintf("%s components: %v", bin, err)
	}
	for _, c := range []string{"tracetree_query", "tracetree_store", "mxin"} {
		if !bytes.Contains(out, []byte(c)) {
			return fmt.Sprintf("binary %s has no %s component yet", bin, c)
		}
	}
	cfg, err := os.ReadFile(config)
	if err != nil {
		return err.Error()
	}
	if !bytes.Contains(cfg, []byte("tracetree_query")) {
		return fmt.Sprintf("%s does not run tracetree_query yet", config)
	}
	return ""
}

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// startBinary runs the distribution with configs/default.yaml on free
// loopback ports and a private data directory. It returns ok=false (and
// the reason) when the binary does not serve the UI at "/".
func startBinary(t *testing.T, bin, config string) (target, string) {
	t.Helper()
	query, mxin := freeAddr(t), freeAddr(t)
	key := os.Getenv("GENAI_API_KEY")
	if key == "" {
		key = testKey
	}
	repo := os.Getenv("GENAI_BROWSER_REPO")
	if repo == "" {
		repo = testRepo
	}
	cmd := exec.Command(bin, "--config", config)
	cmd.Env = append(os.Environ(),
		"GENAI_QUERY_ENDPOINT="+query,
		"GENAI_MXIN_ENDPOINT="+mxin,
		"GENAI_DATA_DIR="+t.TempDir(),
		"GENAI_API_KEY="+key,
		"GENAI_OTLP_GRPC_ENDPOINT="+freeAddr(t),
		"GENAI_OTLP_HTTP_ENDPOINT="+freeAddr(t),
		"GENAI_HEALTH_ENDPOINT="+freeAddr(t),
		"GENAI_PROMETHEUS_ENDPOINT="+freeAddr(t),
	)
	logs := &lockedBuffer{}
	cmd.Stdout, cmd.Stderr = logs, logs
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", bin, err)
	}
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); close(done) }()
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-done:
		case <-time.After(15 * time.Second):
			_ = cmd.Process.Kill()
			<-done
		}
		if t.Failed() {
			t.Logf("collector logs:\n%s", tail([]byte(logs.String()), 8000))
		}
	})
	ui := "http://" + query
	deadline := time.Now().Add(60 * time.Second)
	uiMissing := ""
	for {
		select {
		case <-done:
			t.Fatalf("collector exited during startup:\n%s", tail([]byte(logs.String()), 8000))
		default:
		}
		res, err := http.Get(ui + "/")
		if err == nil {
			body, _ := io.ReadAll(res.Body)
			res.Body.Close()
			switch {
			case res.StatusCode == http.StatusOK && bytes.Contains(body, []byte("/js/app.js")):
			case res.StatusCode == http.StatusOK:
				uiMissing = "the binary's query endpoint does not serve the web UI at / yet (placeholder page)"
			case res.StatusCode == http.StatusUnauthorized || res.StatusCode == http.StatusForbidden:
				uiMissing = fmt.Sprintf("the binary's query endpoint answers / with %d: the UI assets must be served without the API key", res.StatusCode)
			default:
				uiMissing = fmt.Sprintf("the binary's query endpoint answers / with %d", res.StatusCode)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("collector query endpoint %s not ready after 60s (last error %v):\n%s", ui, err, tail([]byte(logs.String()), 8000))
		}
		time.Sleep(250 * time.Millisecond)
	}
	expectAuth := false
	if res, err := http.Get(ui + "/api/v1/traces?repo=" + repo); err == nil {
		res.Body.Close()
		expectAuth = res.StatusCode == http.StatusUnauthorized || res.StatusCode == http.StatusForbidden
	}
	return target{name: "binary " + bin, uiURL: ui, mxinURL: "http://" + mxin, key: key, repo: repo, expectAuth: expectAuth}, uiMissing
}

// frontUI serves webui.Handler() in front of a collector whose query
// endpoint does not serve the UI itself yet, proxying /api/ (and the live
// stream, unbuffered) to it: the browser then exercises the real API, the
// real receiver and the real store.
func frontUI(t *testing.T, api string) string {
	t.Helper()
	u, err := url.Parse(api)
	if err != nil {
		t.Fatal(err)
	}
	proxy := httputil.NewSingleHostReverseProxy(u)
	proxy.FlushInterval = -1
	mux := http.NewServeMux()
	mux.Handle("/api/", proxy)
	mux.Handle("/", webui.Handler())
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	hs := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = hs.Serve(ln) }()
	t.Cleanup(func() { _ = hs.Close() })
	return "http://" + ln.Addr().String()
}

func pickTarget(t *testing.T) target {
	t.Helper()
	root := repoRoot()
	bin := os.Getenv("GENAI_BINARY")
	if bin == "" {
		bin = filepath.Join(root, "bin", "otelcol-genai")
	}
	config := filepath.Join(root, "configs", "default.yaml")
	// The real binary only: a test double of the API could pass against
	// code that never ships.
	if why := binaryUsable(bin, config); why != "" {
		unavailable(t, "browser tests need the built distribution (make build): %s", why)
	}
	return binaryTarget(t, bin, config)
}

func binaryTarget(t *testing.T, bin, config string) target {
	t.Helper()
	tg, uiMissing := startBinary(t, bin, config)
	if uiMissing != "" {
		// Not a reason to skip the real collector: serve the UI in front
		// of it, and say loudly that the binary should do this itself.
		t.Logf("WARNING: %s; serving webui.Handler() in front of the binary's API for this test", uiMissing)
		tg.uiURL = frontUI(t, tg.uiURL)
		tg.name += " (UI served by the test in front of its API)"
	}
	return tg
}

// TestBrowserUI runs ui.test.mjs: the trace list with filters and the key
// prompt, an SDK-sent trace's tree/waterfall/generation transcript and
// tokens, the capture's errors and sub-records, live growth of a trace and
// the list while commits are posted, the session view, and a 10,000-node
// trace (time to first paint is reported as a METRIC line), and the
// dashboard (totals against /api/v1/stats, charts, click-through; a clear
// message from a server without the stats API).
func TestBrowserUI(t *testing.T) {
	dir := filepath.Join(repoRoot(), "test", "browser")
	chromium := findChromium(t)
	node := ensureNodeModules(t, dir)
	tg := pickTarget(t)
	t.Logf("browser tests against %s (UI %s, SDK %s)", tg.name, tg.uiURL, tg.mxinURL)

	artifacts := filepath.Join(repoRoot(), "artifacts")
	docs := filepath.Join(repoRoot(), "docs", "screenshots")
	env := append(os.Environ(),
		"UI_URL="+tg.uiURL, "MXIN_URL="+tg.mxinURL, "API_KEY="+tg.key, "REPO="+tg.repo,
		"CHROMIUM_PATH="+chromium, "ARTIFACTS_DIR="+artifacts,
		fmt.Sprintf("RUN_ID=%d", time.Now().UnixNano()),
	)
	if tg.expectAuth {
		env = append(env, "EXPECT_AUTH=1")
	}
	// The committed README screenshots are refreshed on request, or when
	// missing, so an ordinary test run does not rewrite tracked files.
	if os.Getenv("GENAI_UPDATE_SCREENSHOTS") != "" || !allExist(docs, "list.png", "trace.png", "generation.png") {
		env = append(env, "DOCS_SCREENSHOTS_DIR="+docs)
	} else if !allExist(docs, "dashboard.png") {
		// Added later: written once, without rewriting the others.
		env = append(env, "DOCS_SCREENSHOTS_DIR="+docs, "DOCS_ONLY=dashboard")
	}

	ctx, cancel := context.WithTimeout(context.Background(), 8*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, "--test", "--test-reporter=spec", "--test-concurrency=1", "ui.test.mjs")
	cmd.Dir = dir
	cmd.Env = env
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	// Kill the whole group (node and its chromium) on timeout.
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatalf("start node: %v", err)
	}
	var metrics []string
	sc := bufio.NewScanner(stdout)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	passed, total, skipped := 0, 0, 0
	for sc.Scan() {
		line := sc.Text()
		t.Log(line)
		if m, ok := strings.CutPrefix(strings.TrimSpace(line), "METRIC "); ok {
			metrics = append(metrics, m)
		}
		switch l := strings.TrimSpace(line); {
		case strings.HasPrefix(l, "ℹ pass "):
			_, _ = fmt.Sscanf(l, "ℹ pass %d", &passed)
		case strings.HasPrefix(l, "ℹ tests "):
			_, _ = fmt.Sscanf(l, "ℹ tests %d", &total)
		case strings.HasPrefix(l, "ℹ skipped "):
			_, _ = fmt.Sscanf(l, "ℹ skipped %d", &skipped)
		}
	}
	err = cmd.Wait()
	if stderr.Len() > 0 {
		t.Logf("node stderr:\n%s", tail(stderr.Bytes(), 8000))
	}
	if len(metrics) > 0 {
		_ = os.MkdirAll(artifacts, 0o755)
		_ = os.WriteFile(filepath.Join(artifacts, "browser-metrics.txt"), []byte(strings.Join(metrics, "\n")+"\n"), 0o644)
		for _, m := range metrics {
			t.Logf("metric: %s", m)
		}
	}
	var exitErr *exec.ExitError
	switch {
	case ctx.Err() != nil:
		t.Fatalf("browser tests timed out: %v", ctx.Err())
	case errors.As(err, &exitErr):
		t.Fatalf("browser tests failed (exit %d); see the log above", exitErr.ExitCode())
	case err != nil:
		t.Fatalf("node: %v", err)
	}
	// Every test must run and pass: a skipped browser test proves nothing.
	if passed == 0 || passed != total || skipped != 0 {
		t.Fatalf("node reported %d passing of %d browser tests (%d skipped), want all passing", passed, total, skipped)
	}
	for _, shot := range []string{"list.png", "trace.png", "generation.png"} {
		if fi, err := os.Stat(filepath.Join(artifacts, "screenshots", shot)); err != nil || fi.Size() < 5000 {
			t.Errorf("screenshot %s missing or empty: %v", shot, err)
		}
	}
}

func allExist(dir string, names ...string) bool {
	for _, n := range names {
		if _, err := os.Stat(filepath.Join(dir, n)); err != nil {
			return false
		}
	}
	return true
}

// TestUIModules runs unit.test.mjs: the live feed's SSE parser (every
// chunk split), the tree indexer behind the virtual tree and the
// dashboard's data logic, under node without a browser.
func TestUIModules(t *testing.T) {
	node, err := exec.LookPath("node")
	if err != nil {
		unavailable(t, "node not found on PATH; the UI module tests need Node.js >= 20")
	}
	cmd := exec.Command(node, "--test", "--test-reporter=spec", "unit.test.mjs")
	cmd.Dir = filepath.Join(repoRoot(), "test", "browser")
	out, err := cmd.CombinedOutput()
	t.Logf("%s", out)
	if err != nil {
		t.Fatalf("UI module tests failed: %v", err)
	}
	if !bytes.Contains(out, []byte("ℹ pass 10")) {
		t.Fatalf("expected 10 passing UI module tests")
	}
}
