package webui

import (
	"net/http"
	"net/http/httptest"
	"testing"
)

// BenchmarkHandler measures serving the shell (SPA fallback for a deep
// link) and the largest module, the two requests every page load makes.
func BenchmarkHandler(b *testing.B) {
	h := Handler()
	for _, p := range []string{"/traces/trace-001", "/js/trace.js"} {
		b.Run(p, func(b *testing.B) {
			req := httptest.NewRequest(http.MethodGet, p, nil)
			b.ReportAllocs()
			var n int
			for b.Loop() {
				rec := httptest.NewRecorder()
				h.ServeHTTP(rec, req)
				if rec.Code != http.StatusOK {
					b.Fatalf("%s: %d", p, rec.Code)
				}
				n = rec.Body.Len()
			}
			b.SetBytes(int64(n))
		})
	}
}
