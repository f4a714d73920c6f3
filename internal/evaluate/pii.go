package evaluate

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/otelcol-genai/otelcol-genai/internal/evaluate/pii"
)

// piiEval fails when the texts hold personal data or secrets. Its reason
// names kinds, counts and where they were found, never the values.
type piiEval struct {
	name, field string
	det         *pii.Detector
}

func newPII(cfg Config) (*piiEval, error) {
	det, err := pii.New(pii.Config{Kinds: cfg.Kinds, PhoneRegions: cfg.PhoneRegions})
	if err != nil {
		return nil, err
	}
	return &piiEval{name: cfg.Name, field: cfg.field(), det: det}, nil
}

func (e *piiEval) Name() string { return e.name }

func (e *piiEval) Evaluate(_ context.Context, s Subject) (Result, error) {
	// A value seen in the input and again in the messages (the input is
	// often the messages rendered) counts once.
	seen := map[string]bool{}
	counts := map[pii.Kind]int{}
	var where []string
	for _, p := range parts(&s, e.field) {
		found := false
		for _, f := range e.det.Find(p.text) {
			found = true
			key := string(f.Kind) + "\x00" + f.Normalized(p.text)
			if !seen[key] {
				seen[key] = true
				counts[f.Kind]++
			}
		}
		if found {
			where = append(where, p.where)
		}
	}
	if len(counts) == 0 {
		return Result{Evaluator: e.name, Score: 1, Pass: true, Reason: "no PII found in " + label(e.field)}, nil
	}
	var kinds []string
	total := 0
	for _, k := range pii.Kinds {
		if n := counts[k]; n > 0 {
			kinds = append(kinds, fmt.Sprintf("%d %s", n, k))
			total += n
		}
	}
	slices.Sort(where)
	where = slices.Compact(where)
	return Result{Evaluator: e.name, Score: 0, Pass: false,
		Reason: fmt.Sprintf("found %d PII %s in %s: %s", total, plural(total, "item", "items"),
			strings.Join(where, ", "), strings.Join(kinds, ", "))}, nil
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
