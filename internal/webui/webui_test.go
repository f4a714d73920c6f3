package webui

import (
	"io"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

func get(t *testing.T, h http.Handler, method, path string) *http.Response {
	t.Helper()
	req := httptest.NewRequest(method, path, nil)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec.Result()
}

func body(t *testing.T, r *http.Response) string {
	t.Helper()
	b, err := io.ReadAll(r.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestIndexAndSPAFallback(t *testing.T) {
	h := Handler()
	for _, p := range []string{"/", "/index.html", "/traces/trace-001", "/traces/a%2Fb", "/sessions", "/sessions/sess-001", "/dashboard"} {
		r := get(t, h, http.MethodGet, p)
		if r.StatusCode != http.StatusOK {
			t.Fatalf("%s: status %d", p, r.StatusCode)
		}
		if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/html") {
			t.Errorf("%s: content type %q", p, ct)
		}
		if cc := r.Header.Get("Cache-Control"); cc != "no-cache" {
			t.Errorf("%s: cache-control %q, want no-cache for the shell", p, cc)
		}
		if csp := r.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "script-src 'self'") {
			t.Errorf("%s: CSP %q", p, csp)
		}
		if b := body(t, r); !strings.Contains(b, `<script type="module" src="/js/app.js">`) {
			t.Errorf("%s: not the app shell: %.200s", p, b)
		}
	}
}

func TestAssetsHaveTypes(t *testing.T) {
	h := Handler()
	cases := map[string]string{
		"/js/app.js":                  "text/javascript",
		"/js/trace.js":                "text/javascript",
		"/style.css":                  "text/css",
		"/favicon.svg":                "image/svg+xml",
		"/js/detail.js":               "text/javascript",
		"/js/dashboard.js":            "text/javascript",
		"/vendor/uplot/uPlot.esm.js":  "text/javascript",
		"/vendor/uplot/uPlot.min.css": "text/css",
	}
	for p, want := range cases {
		r := get(t, h, http.MethodGet, p)
		if r.StatusCode != http.StatusOK {
			t.Fatalf("%s: status %d", p, r.StatusCode)
		}
		if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, want) {
			t.Errorf("%s: content type %q, want %s", p, ct, want)
		}
		if r.Header.Get("X-Content-Type-Options") != "nosniff" {
			t.Errorf("%s: missing nosniff", p)
		}
		if len(body(t, r)) == 0 {
			t.Errorf("%s: empty", p)
		}
	}
}

func TestNotFoundAndMethods(t *testing.T) {
	h := Handler()
	// A missing asset must not come back as HTML (a browser would try to
	// run the shell as script); API paths are never the UI's.
	for _, p := range []string{"/js/missing.js", "/nope.css", "/api/v1/traces", "/api", "/api/unknown/thing"} {
		if r := get(t, h, http.MethodGet, p); r.StatusCode != http.StatusNotFound {
			t.Errorf("%s: status %d, want 404", p, r.StatusCode)
		}
	}
	if r := get(t, h, http.MethodPost, "/"); r.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("POST /: status %d, want 405", r.StatusCode)
	}
	r := get(t, h, http.MethodHead, "/js/app.js")
	if r.StatusCode != http.StatusOK || body(t, r) != "" {
		t.Errorf("HEAD: status %d", r.StatusCode)
	}
	// Path cleaning keeps requests inside the embedded tree.
	if r := get(t, h, http.MethodGet, "/../../webui.go"); r.StatusCode != http.StatusNotFound {
		t.Errorf("traversal: status %d, want 404", r.StatusCode)
	}
}

// TestModuleGraph checks that every module the shell loads exists and that
// every relative import in the scripts resolves to an embedded file, so a
// renamed file cannot ship a blank page.
func TestModuleGraph(t *testing.T) {
	sub, err := fs.Sub(assets, "static")
	if err != nil {
		t.Fatal(err)
	}
	importRE := regexp.MustCompile(`(?m)^\s*import\s[^'"]*['"](\.\.?/[^'"]+)['"]`)
	seen := map[string]bool{}
	queue := []string{"js/app.js"}
	for len(queue) > 0 {
		p := queue[0]
		queue = queue[1:]
		if seen[p] {
			continue
		}
		seen[p] = true
		b, err := fs.ReadFile(sub, p)
		if err != nil {
			t.Fatalf("module %s: %v", p, err)
		}
		for _, m := range importRE.FindAllStringSubmatch(string(b), -1) {
			queue = append(queue, filepath.ToSlash(filepath.Join(filepath.Dir(p), m[1])))
		}
	}
	for _, want := range []string{"js/api.js", "js/list.js", "js/trace.js", "js/detail.js", "js/sessions.js", "js/util.js", "js/dashboard.js", "js/dashdata.js", "vendor/uplot/uPlot.esm.js"} {
		if !seen[want] {
			t.Errorf("%s is not reachable from app.js", want)
		}
	}
}

// TestScriptsParse runs node's syntax check on every module when node is
// installed (the browser tests in test/browser exercise them for real).
func TestScriptsParse(t *testing.T) {
	node, err := exec.LookPath("node")
	if err != nil {
		t.Skip("node not installed: syntax check skipped (test/browser covers the scripts in a real browser)")
	}
	dir := t.TempDir()
	entries, err := fs.ReadDir(assets, "static/js")
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		b, err := fs.ReadFile(assets, "static/js/"+e.Name())
		if err != nil {
			t.Fatal(err)
		}
		p := filepath.Join(dir, strings.TrimSuffix(e.Name(), ".js")+".mjs")
		if err := os.WriteFile(p, b, 0o600); err != nil {
			t.Fatal(err)
		}
		if out, err := exec.Command(node, "--check", p).CombinedOutput(); err != nil {
			t.Errorf("%s does not parse: %v\n%s", e.Name(), err, out)
		}
	}
}
