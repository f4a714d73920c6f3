package follow

import (
	"testing"

	"github.com/otelcol-genai/otelcol-genai/internal/store/indexer"
	"github.com/otelcol-genai/otelcol-genai/internal/store/memstore"
)

// newIndexer is the store every follower test reads: an indexer over an
// empty memstore.
func newIndexer(tb testing.TB) *indexer.Indexer {
	tb.Helper()
	ix, err := indexer.New(memstore.New(), indexer.DefaultConfig(), indexer.Settings{})
	if err != nil {
		tb.Fatal(err)
	}
	return ix
}
