package store

import (
	"slices"
	"unicode/utf8"
)

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

// Summary bounds. A trace summary row is what the search index and the
// stats rollups are built from, and it is indexed once per tag and per
// model, each entry carrying the filterable fields (pebblestore's
// projection): an unbounded row costs its size times its tag count. One
// trace with 50,000 tags asked the indexer for a 4 GB batch and crashed the
// process (issue 16). The tree read by id is folded from the commits and
// keeps everything; only the summary is bounded, the same way on every
// backend:
//   - at most MaxSummaryTags tags, the first by key order, leaving out any
//     whose key or value is longer than MaxSummaryFieldBytes;
//   - at most MaxSummaryModels models, the first in order, leaving out
//     names longer than MaxSummaryFieldBytes;
//   - the name cut to MaxSummaryFieldBytes (at a UTF-8 boundary).
//
// So a search by tag, model or name cannot find a trace by what lies past
// these bounds.
const (
	MaxSummaryTags       = 64
	MaxSummaryModels     = 32
	MaxSummaryFieldBytes = 1024
)

// Bound applies the summary bounds to r in place.
func (r *TraceSummary) Bound() {
	r.Name = cutUTF8(r.Name, MaxSummaryFieldBytes)
	if len(r.Tags) > 0 {
		keys := make([]string, 0, len(r.Tags))
		for k, v := range r.Tags {
			if len(k) <= MaxSummaryFieldBytes && len(v) <= MaxSummaryFieldBytes {
				keys = append(keys, k)
			}
		}
		if len(keys) < len(r.Tags) || len(keys) > MaxSummaryTags {
			slices.Sort(keys)
			keys = keys[:min(len(keys), MaxSummaryTags)]
			tags := make(map[string]string, len(keys))
			for _, k := range keys {
				tags[k] = r.Tags[k]
			}
			r.Tags = tags
		}
	}
	if len(r.Models) > 0 {
		models := r.Models[:0:0]
		for _, m := range r.Models {
			if len(models) == MaxSummaryModels {
				break
			}
			if len(m) <= MaxSummaryFieldBytes {
				models = append(models, m)
			}
		}
		r.Models = models
	}
}

// cutUTF8 cuts s to at most n bytes without splitting a character: it
// backs up from the cut to the start of the character it falls in.
func cutUTF8(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}
