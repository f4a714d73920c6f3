// Command uiserve runs the browser tests' fake collector (SDK ingest, the
// query API over the real in-memory store and fold, and the web UI) on a
// loopback address, for working on the UI without building the
// distribution:
//
//	go run ./test/browser/cmd/uiserve -addr 127.0.0.1:16700 -replay test/browser/testdata/js-session.body
//
// Point a Maxim SDK at it with baseUrl http://127.0.0.1:16700.
package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/signal"
	"syscall"

	"github.com/otelcol-genai/otelcol-genai/test/browser/fakeapi"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:16700", "listen address (keep it on loopback)")
	key := flag.String("key", "dev-key", "the accepted x-maxim-api-key")
	repo := flag.String("repo", "repo-local-1", "the log repository the key grants")
	replay := flag.String("replay", "", "an SDK push body (commit lines) to ingest at start")
	flag.Parse()

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	srv, err := fakeapi.New(ctx, *key, *repo)
	if err != nil {
		log.Fatal(err)
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		log.Fatal(err)
	}
	base := "http://" + ln.Addr().String()
	srv.SetBaseURL(base)
	h := srv.Handler()
	if *replay != "" {
		body, err := os.ReadFile(*replay)
		if err != nil {
			log.Fatal(err)
		}
		req := httptest.NewRequest(http.MethodPost, "/api/sdk/v3/log?id="+*repo, bytes.NewReader(body))
		req.Header.Set("x-maxim-api-key", *key)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK {
			log.Fatalf("replay %s: %d %s", *replay, rec.Code, rec.Body.String())
		}
	}
	fmt.Printf("UI on %s/?api_key=%s&repo=%s\n", base, *key, *repo)
	hs := &http.Server{Handler: h}
	go func() { <-ctx.Done(); _ = hs.Close() }()
	if err := hs.Serve(ln); err != nil && err != http.ErrServerClosed {
		log.Fatal(err)
	}
	_ = srv.Close(context.Background())
}
