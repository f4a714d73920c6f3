// Package browser runs the web UI's browser tests (ui.test.mjs, node's test
// runner driving Debian's chromium through playwright-core) from `go test`.
//
// The collector under test is always the built distribution (GENAI_BINARY,
// default bin/otelcol-genai, started by test/e2e/harness with
// configs/default.yaml): the UI, the query API, the live feed and the SDK
// endpoint the tests post to are the ones that ship. Nothing is served by
// the test itself, so a test double cannot pass for code that never ships.
//
// Outside CI a missing binary, chromium, node or npm skips with a message; in
// CI (CI set) the test installs chromium with apt when running as root and
// fails otherwise.
package browser

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/otelcol-genai/otelcol-genai/internal/ci"
	"github.com/otelcol-genai/otelcol-genai/test/e2e/harness"
)

const (
	testKey  = "browser-test-key"
	testRepo = "repo-local-1"
)

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
	if ci.Enabled() && os.Geteuid() == 0 {
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
	ci.Unavailable(t, "chromium not found (install Debian's chromium: apt-get install -y chromium, or set CHROMIUM_PATH)")
	return ""
}

func tail(b []byte, n int) string {
	if len(b) > n {
		b = b[len(b)-n:]
	}
	return string(b)
}

// target is the running collector: where the UI/API and the SDK endpoint are.
type target struct {
	uiURL      string
	mxinURL    string
	key, repo  string
	expectAuth bool
}

// startCollector runs the built distribution with configs/default.yaml
// (plus testdata/alerts.yaml: an alert rule) on free loopback ports and a
// private data directory, and checks that its query endpoint serves the web
// UI itself.
func startCollector(t *testing.T) target {
	t.Helper()
	key := os.Getenv("GENAI_API_KEY")
	if key == "" {
		key = testKey
	}
	repo := os.Getenv("GENAI_BROWSER_REPO")
	if repo == "" {
		repo = testRepo
	}
	c := harness.NewCollector(t, "default.yaml", map[string]string{"GENAI_API_KEY": key})
	// The alert rule the evaluations test fires (default.yaml has no
	// genai_alerts).
	c.Overlay(filepath.Join("testdata", "alerts.yaml"))
	c.Start()
	ui := "http://" + c.Env["GENAI_QUERY_ENDPOINT"]
	res, err := http.Get(ui + "/")
	if err != nil {
		t.Fatalf("query endpoint %s: %v", ui, err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	// The UI's assets are public (a browser cannot send the key while it
	// loads a page); the data behind /api/ is not.
	if res.StatusCode != http.StatusOK || !bytes.Contains(body, []byte("/js/app.js")) {
		t.Fatalf("the distribution's query endpoint must serve the web UI at / without a key: got %d %q", res.StatusCode, tail(body, 300))
	}
	expectAuth := false
	if res, err := http.Get(ui + "/api/v1/traces?repo=" + repo); err == nil {
		res.Body.Close()
		expectAuth = res.StatusCode == http.StatusUnauthorized || res.StatusCode == http.StatusForbidden
	}
	return target{uiURL: ui, mxinURL: "http://" + c.Env["GENAI_MXIN_ENDPOINT"], key: key, repo: repo, expectAuth: expectAuth}
}

// TestBrowserUI runs ui.test.mjs: the trace list with filters and the key
// prompt, an SDK-sent trace's tree/waterfall/generation transcript and
// tokens, the capture's errors and sub-records, live growth of a trace and
// the list while commits are posted, the session view, and a 10,000-node
// trace (time to first paint is reported as a METRIC line), the
// dashboard (totals against /api/v1/stats, charts, click-through; a clear
// message from a server without the stats API), and evaluations (verdicts
// in the node detail, the eval filter, the Alerts page with the alert they
// fire).
func TestBrowserUI(t *testing.T) {
	root := harness.RepoRoot()
	dir := filepath.Join(root, "test", "browser")
	chromium := findChromium(t)
	harness.NPMInstall(t, "playwright-core/package.json", "the browser tests")
	node := harness.NPMInstall(t, "@maximai/maxim-js/package.json", "the browser tests")
	tg := startCollector(t)
	t.Logf("browser tests against %s (UI %s, SDK %s)", harness.Binary(t), tg.uiURL, tg.mxinURL)

	artifacts := filepath.Join(root, "artifacts")
	docs := filepath.Join(root, "docs", "screenshots")
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
		ci.Unavailable(t, "node not found on PATH; the UI module tests need Node.js >= 20")
	}
	cmd := exec.Command(node, "--test", "--test-reporter=spec", "unit.test.mjs")
	cmd.Dir = filepath.Join(harness.RepoRoot(), "test", "browser")
	out, err := cmd.CombinedOutput()
	t.Logf("%s", out)
	if err != nil {
		t.Fatalf("UI module tests failed: %v", err)
	}
	if !bytes.Contains(out, []byte("ℹ pass 10")) {
		t.Fatalf("expected 10 passing UI module tests")
	}
}
