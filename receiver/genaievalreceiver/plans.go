package genaievalreceiver

import "github.com/otelcol-genai/otelcol-genai/pkg/commit"

// maxPlans bounds each of the two generations of plans made from the
// indexer's trees that wait for their ref's turn (planSet). A plan holds
// only the subjects it will judge (a few kilobytes; never the tree).
// Traces wait quiet_period before their turn, so at 1,200 traces/s and the
// default 5 s about 6,000 plans wait at once, more while the follower
// lags.
const maxPlans = 1 << 13

// planSet holds the plans waiting for their ref's turn, in two generations:
// new plans go into the current one, and when it holds maxPlans it becomes
// the old one, replacing (dropping) the old. A ref whose plan was dropped
// is read as before (an assembly), so the bound costs reads, never
// evaluations.
//
// Why two generations: plans are taken roughly in the order they were
// made, a quiet period after. Dropping the whole set when it is full, as
// the engine first did, threw away the thousands of plans due next each
// time ingest outran the bound (8,190 of 20,000 first reads assembled in a
// 20 s SDK run against configs/evals.yaml). With two generations every plan
// survives at least maxPlans later ones, and a plan no ref ever takes (its
// ref was handled without a read) is still gone after two generations, so
// it cannot fill the set for good.
type planSet struct {
	max      int
	cur, old map[commit.NodeRef]plan
}

func newPlanSet(max int) planSet {
	return planSet{max: max, cur: map[commit.NodeRef]plan{}, old: map[commit.NodeRef]plan{}}
}

// put stores ref's plan, replacing an earlier one.
func (s *planSet) put(ref commit.NodeRef, pl plan) {
	delete(s.old, ref)
	if _, ok := s.cur[ref]; !ok && len(s.cur) >= s.max {
		s.old, s.cur = s.cur, make(map[commit.NodeRef]plan, len(s.cur))
	}
	s.cur[ref] = pl
}

// take removes ref's plan and returns it.
func (s *planSet) take(ref commit.NodeRef) (plan, bool) {
	if pl, ok := s.cur[ref]; ok {
		delete(s.cur, ref)
		return pl, true
	}
	pl, ok := s.old[ref]
	if ok {
		delete(s.old, ref)
	}
	return pl, ok
}

// drop removes ref's plan, if any.
func (s *planSet) drop(ref commit.NodeRef) {
	delete(s.cur, ref)
	delete(s.old, ref)
}

// has reports whether a plan of ref waits.
func (s *planSet) has(ref commit.NodeRef) bool {
	_, cur := s.cur[ref]
	_, old := s.old[ref]
	return cur || old
}

// len is how many plans wait.
func (s *planSet) len() int { return len(s.cur) + len(s.old) }
