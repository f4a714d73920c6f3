package store

import (
	"cmp"
	"slices"
)

// Upsert by revision: a summary row (trace or session) carries a Revision,
// and a backend keeps, per (repo, id), the row with the highest revision it
// has been given.
//
// Invariants (pinned by storetest's TraceSummaryUpsert and SessionUpsert
// cases):
//   - a row with a revision lower than or equal to the stored row's is
//     dropped (equal: the first write wins, so replaying a batch is a no-op);
//   - within one batch, two rows of the same key act as if written in
//     order, so the higher revision wins;
//   - therefore concurrent indexers, which compute revisions from the same
//     change log, can never move a summary backwards.

// Supersedes reports whether a row with revision incoming replaces a stored
// row with revision stored.
func Supersedes(incoming, stored int64) bool { return incoming > stored }

// SummaryRow is what both summary tables hold.
type SummaryRow interface {
	TraceSummary | SessionSummary
}

// SummaryKey is the (repo, id) a summary row is upserted under.
type SummaryKey struct{ Repo, ID string }

// KeyOf returns the key and revision of a summary row.
func KeyOf[R SummaryRow](r *R) (SummaryKey, int64) {
	switch v := any(r).(type) {
	case *TraceSummary:
		return SummaryKey{v.Repo, v.TraceID}, v.Revision
	case *SessionSummary:
		return SummaryKey{v.Repo, v.SessionID}, v.Revision
	}
	panic("unreachable")
}

func compareKeys(a, b SummaryKey) int {
	return cmp.Or(cmp.Compare(a.Repo, b.Repo), cmp.Compare(a.ID, b.ID))
}

// NewestPerKey returns rows reduced to one row per key, the one that
// survives the upsert rule if the rows were written in order, sorted by
// (repo, id). Backends that write a batch in one statement (which may touch
// a row only once) or lock rows in key order use it. rows is not modified.
func NewestPerKey[R SummaryRow](rows []R) []R {
	out := slices.Clone(rows)
	slices.SortStableFunc(out, func(a, b R) int {
		ka, _ := KeyOf(&a)
		kb, _ := KeyOf(&b)
		return compareKeys(ka, kb)
	})
	uniq := out[:0]
	for _, r := range out {
		if n := len(uniq); n > 0 {
			lk, lrev := KeyOf(&uniq[n-1])
			if k, rev := KeyOf(&r); k == lk {
				if Supersedes(rev, lrev) {
					uniq[n-1] = r
				}
				continue
			}
		}
		uniq = append(uniq, r)
	}
	return uniq
}
