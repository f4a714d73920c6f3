package pebblestore

import (
	"testing"

	"github.com/otelcol-genai/otelcol-genai/internal/store"
	"github.com/otelcol-genai/otelcol-genai/internal/store/storetest"
)

func TestConformance(t *testing.T) {
	storetest.RunBackendTests(t, func(t *testing.T) store.Backend {
		s := openTest(t, t.TempDir())
		t.Cleanup(func() { _ = s.Close() })
		return s
	})
}
