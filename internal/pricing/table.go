package pricing

import (
	"sync"
	"sync/atomic"
)

// Table is a parsed price data set plus optional config overrides. It is
// immutable: With returns a new Table, and a Table is safe for concurrent use.
type Table struct {
	source    string // Result.Source for prices from the data
	units     *unitRegistry
	providers []*provider          // data order: matching is first-match-wins
	byID      map[string]*provider // first provider with each id
	overrides []*compiledOverride  // checked before the data, config order

	// resolved memoizes resolve (model, provider → data entries); the
	// table's data never changes, so entries never go stale.
	resolved  *sync.Map
	resolvedN *atomic.Int64
}

// Source describes the table's data, e.g. "@pydantic/genai-prices 0.1.8".
func (t *Table) Source() string { return t.source }

// Providers returns the ids of the data's providers, in data order.
func (t *Table) Providers() []string {
	out := make([]string, len(t.providers))
	for i, p := range t.providers {
		out[i] = p.id
	}
	return out
}
