// Package webui is the trace explorer: a single-page application (plain
// ES modules and CSS, no build step) embedded in the binary and served by
// the tracetree_query extension at "/". Everything it shows comes from the
// query API (/api/v1/...), which the page calls with the API key the user
// typed in (kept in the browser's localStorage, sent as x-maxim-api-key).
//
// The assets carry no data, so they are safe to serve without
// authentication; the API behind them is what the key protects.
package webui

import (
	"bytes"
	"embed"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"strings"
	"time"
)

//go:embed static
var assets embed.FS

// buildTime is the Last-Modified of every asset: embedded files have no
// modification time of their own.
var buildTime = time.Unix(0, 0).UTC()

// Handler serves the UI. Existing asset paths are served as files; any
// other GET under "/" that does not look like a file or an API call gets
// index.html, so deep links such as /traces/{id} survive a reload
// (single-page-application fallback). Paths under /api/ are never answered
// here: they belong to the API, and a missing endpoint must not look like
// a page.
func Handler() http.Handler {
	sub, err := fs.Sub(assets, "static")
	if err != nil {
		// The embed pattern above guarantees the directory exists; a
		// failure here is a build defect, not a runtime condition.
		panic("webui: embedded assets missing: " + err.Error())
	}
	// The assets are small (tens of KB): read them once so a request
	// copies nothing.
	files := map[string][]byte{}
	err = fs.WalkDir(sub, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(sub, p)
		files[p] = b
		return err
	})
	if err != nil {
		panic("webui: reading embedded assets: " + err.Error())
	}
	index, ok := files["index.html"]
	if !ok {
		panic("webui: index.html missing")
	}
	return &handler{files: files, index: index}
}

type handler struct {
	files map[string][]byte
	index []byte
}

func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	p := path.Clean("/" + r.URL.Path)
	if p == "/api" || strings.HasPrefix(p, "/api/") {
		http.NotFound(w, r)
		return
	}
	name := strings.TrimPrefix(p, "/")
	if name != "" && name != "index.html" {
		if b, ok := h.files[name]; ok {
			h.serve(w, r, name, b, "public, max-age=300")
			return
		}
		// A missing file with an extension is a broken asset link; answer
		// 404 so it shows up as such instead of as HTML parsed as script.
		if path.Ext(name) != "" {
			http.NotFound(w, r)
			return
		}
	}
	// The shell is never cached so that a new binary's assets are picked
	// up on the next load.
	h.serve(w, r, "index.html", h.index, "no-cache")
}

func (h *handler) serve(w http.ResponseWriter, r *http.Request, name string, b []byte, cacheControl string) {
	hdr := w.Header()
	ct := mime.TypeByExtension(path.Ext(name))
	switch path.Ext(name) {
	case ".js", ".mjs":
		// Module scripts must have a JavaScript MIME type; some systems'
		// mime tables lack one.
		ct = "text/javascript; charset=utf-8"
	case ".svg":
		ct = "image/svg+xml"
	}
	if ct == "" {
		ct = http.DetectContentType(b)
	}
	hdr.Set("Content-Type", ct)
	hdr.Set("Cache-Control", cacheControl)
	hdr.Set("X-Content-Type-Options", "nosniff")
	hdr.Set("Referrer-Policy", "no-referrer")
	if name == "index.html" {
		// The UI loads only its own scripts and styles; images may be
		// data: or blob: URLs (attachments fetched with the API key) or
		// remote URLs that an SDK recorded in a message.
		hdr.Set("Content-Security-Policy", "default-src 'self'; img-src 'self' data: blob: https: http:; "+
			"style-src 'self'; script-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'")
		hdr.Set("X-Frame-Options", "DENY")
	}
	http.ServeContent(w, r, name, buildTime, bytes.NewReader(b))
}
