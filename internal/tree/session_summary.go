package tree

import (
	"time"

	"github.com/otelcol-genai/otelcol-genai/internal/store"
	"github.com/otelcol-genai/otelcol-genai/pkg/commit"
)

// A session's search-index row, computed one way whether the session was
// assembled whole (SummarizeSession) or from per-trace numbers an indexer
// kept (SummarizeSessionMembers): both put the same children in the same
// order under the session node and run the same totals() and span(), so the
// float sums come out equal, not just close.

// SummarizeSession makes the search-index row of an assembled session.
func SummarizeSession(ss *Session) store.SessionSummary {
	return sessionRow(ss.Repo, ss.Root, earliestStart(ss.Root), ss.CommitCount, ss.LastVersion)
}

// SessionMember is what a session's row needs of one of its traces. An
// indexer keeps these per trace so that a new trace in a long session does
// not re-assemble every other trace of it.
type SessionMember struct {
	// TraceID and SessionID are the trace and the session its fold names.
	TraceID   string
	SessionID string
	// start is the trace node's own start: the session orders its traces
	// by it, and the order of a float sum matters.
	start time.Time
	// earliest is the earliest start anywhere in the trace: the session's
	// start when the session node has none.
	earliest    time.Time
	totals      Totals
	commits     int
	lastVersion int64
}

// MemberOf extracts what a session's row needs from an assembled trace.
func MemberOf(t *Trace) SessionMember {
	tt := t.Root.Totals
	tt.Counts = nil // not part of a session row; keeps cached members small
	return SessionMember{
		TraceID:     t.Root.ID,
		SessionID:   t.Root.SessionID,
		start:       t.Root.start,
		earliest:    earliestStart(t.Root),
		totals:      tt,
		commits:     t.CommitCount,
		lastVersion: t.LastVersion,
	}
}

// SummarizeSessionMembers makes the row SummarizeSession(AssembleSession)
// would, from the session node's own fold and its member traces (in any
// order; members of another session must already be left out).
func SummarizeSessionMembers(repo string, session Node, members []SessionMember) store.SessionSummary {
	sn := &TreeNode{Node: session}
	commits, last := session.CommitCount, session.LastVersion
	var earliest time.Time
	if !session.start.IsZero() {
		earliest = session.start
	}
	for _, m := range members {
		// A stand-in child: enough of the trace node for sortChildren and
		// totals(), which read only kind, id, start and Totals.
		sn.Children = append(sn.Children, &TreeNode{
			Node:   Node{Kind: commit.EntityTrace, ID: m.TraceID, start: m.start},
			Totals: m.totals,
		})
		commits += m.commits
		last = max(last, m.lastVersion)
		if !m.earliest.IsZero() && (earliest.IsZero() || m.earliest.Before(earliest)) {
			earliest = m.earliest
		}
	}
	sortChildren(sn.Children)
	sn.Totals = totals(sn)
	return sessionRow(repo, sn, earliest, commits, last)
}

// sessionRow is the row of a session node whose children and Totals are
// in place; earliest is the earliest start in the whole session.
func sessionRow(repo string, root *TreeNode, earliest time.Time, commitCount int, lastVersion int64) store.SessionSummary {
	s := store.SessionSummary{
		Repo:                repo,
		SessionID:           root.ID,
		Name:                root.Name,
		TraceCount:          len(root.Children),
		TotalTokens:         root.Totals.TotalTokens,
		Cost:                root.Totals.Cost,
		UnpricedGenerations: root.Totals.UnpricedGenerations,
		Error:               root.Totals.Error,
		Tags:                copyTags(root.Tags),
		LastActivity:        time.Unix(0, lastVersion).UTC(),
		Revision:            lastVersion + int64(commitCount),
	}
	s.Start, s.End = spanWith(root, earliest, lastVersion)
	return s
}
