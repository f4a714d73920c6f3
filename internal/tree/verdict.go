package tree

import "github.com/otelcol-genai/otelcol-genai/pkg/commit"

// VerdictOf reads one `evaluate` commit the way the fold does (it folds
// the commit alone), so a reader outside the tree — the metrics connector
// counting verdicts as they pass — applies the same rule for score, pass
// and error. It reports false for anything but a verdict
// ({"with":"result"}).
func VerdictOf(c *commit.Commit) (Evaluation, bool) {
	if c.Action != commit.ActionEvaluate {
		return Evaluation{}, false
	}
	n := Fold(commit.NodeRef{Repo: c.Repo, Kind: c.Entity, ID: c.EntityID}, []commit.Commit{*c})
	for _, ev := range n.Evaluations {
		if ev.With == EvaluationWithResult {
			return ev, true
		}
	}
	return Evaluation{}, false
}
