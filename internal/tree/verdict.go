package tree

import "github.com/otelcol-genai/otelcol-genai/pkg/commit"

// VerdictOf reads one `evaluate` commit with the fold's own rule
// (folder.evaluate), so a reader outside the tree — the metrics connector
// counting verdicts as they pass — applies the same rule for score, pass
// and error. It reports false for anything but a verdict
// ({"with":"result"}).
//
// It runs the fold's evaluate step on the commit alone instead of folding
// a whole node: the connector reads every verdict the engine writes, and
// the node, its arena and its sorting were most of the cost
// (BenchmarkVerdictOf). TestVerdictOfIsTheFold holds the two to the same
// answer.
func VerdictOf(c *commit.Commit) (Evaluation, bool) {
	// The fold decodes only data that starts as an object (folder.apply);
	// anything else reaches evaluate as no object, which is no verdict.
	if c.Action != commit.ActionEvaluate || len(c.Data) == 0 || c.Data[0] != '{' {
		return Evaluation{}, false
	}
	ar := arenas.Get().(*arena)
	defer func() {
		ar.reset() // drop references to the commit before pooling
		arenas.Put(ar)
	}()
	f := folder{ar: ar}
	f.evaluate(ar.parseObject(c.Data), c)
	for _, ev := range f.evals { // at most one: one commit
		if ev.With == EvaluationWithResult {
			return *ev, true
		}
	}
	return Evaluation{}, false
}
