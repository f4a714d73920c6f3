package store

// Page limits every backend applies. They are part of the contract, not a
// backend's tuning: the query API documents them, and a client paging
// through one backend must see the same page sizes on another.
//
// Invariants (pinned by storetest's PageLimits case on every backend):
//   - a search with Limit <= 0 returns at most DefaultPageLimit rows;
//   - a search with Limit > MaxPageLimit returns at most MaxPageLimit rows;
//   - ChangedSince with limit <= 0 returns at most MaxPageLimit refs.
const (
	DefaultPageLimit = 50
	MaxPageLimit     = 1000
)

// PageLimit is the page size a search with the requested limit returns.
func PageLimit(requested int) int {
	switch {
	case requested <= 0:
		return DefaultPageLimit
	case requested > MaxPageLimit:
		return MaxPageLimit
	}
	return requested
}

// ChangeBatchLimit is how many change-log refs ChangedSince returns for the
// requested limit: no limit means one full page, not everything (a
// catching-up indexer must not load the whole log at once).
func ChangeBatchLimit(requested int) int {
	if requested <= 0 {
		return MaxPageLimit
	}
	return requested
}
