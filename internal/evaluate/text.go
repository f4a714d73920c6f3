package evaluate

import (
	"context"
	"fmt"
	"regexp"
	"strings"
)

// fold prepares text for a case-insensitive comparison and makes curly
// apostrophes straight, so "I can’t" matches "I can't".
func fold(s string, caseSensitive bool) string {
	s = strings.ReplaceAll(s, "\u2019", "'")
	if !caseSensitive {
		s = strings.ToLower(s)
	}
	return s
}

// regexEval passes when the pattern matches the text (or, inverted, when
// it does not).
type regexEval struct {
	name, field, pattern string
	re                   *regexp.Regexp
	invert               bool
}

func newRegex(cfg Config) (*regexEval, error) {
	p := cfg.Pattern
	if !cfg.CaseSensitive {
		p = "(?i)" + p
	}
	re, err := regexp.Compile(p)
	if err != nil {
		return nil, fmt.Errorf("pattern: %w", err)
	}
	return &regexEval{name: cfg.Name, field: cfg.field(), pattern: cfg.Pattern, re: re, invert: cfg.Invert}, nil
}

func (e *regexEval) Name() string { return e.name }

func (e *regexEval) Evaluate(_ context.Context, s Subject) (Result, error) {
	matched := e.re.MatchString(text(&s, e.field))
	r := Result{Evaluator: e.name, Pass: matched != e.invert}
	if r.Pass {
		r.Score = 1
	}
	verb := "does not match"
	if matched {
		verb = "matches"
	}
	r.Reason = fmt.Sprintf("%s %s /%s/", label(e.field), verb, clip(e.pattern, 100))
	return r, nil
}

// contains passes when any (or all) values occur; not_contains fails when
// any does.
type contains struct {
	name, field   string
	values        []string // as configured, for reasons
	folded        []string
	negate, all   bool
	caseSensitive bool
}

func newContains(cfg Config) *contains {
	e := &contains{
		name: cfg.Name, field: cfg.field(), values: cfg.Values,
		negate: cfg.Type == TypeNotContains, all: cfg.Match == MatchAll,
		caseSensitive: cfg.CaseSensitive,
	}
	for _, v := range cfg.Values {
		e.folded = append(e.folded, fold(v, cfg.CaseSensitive))
	}
	return e
}

func (e *contains) Name() string { return e.name }

func (e *contains) Evaluate(_ context.Context, s Subject) (Result, error) {
	t := fold(text(&s, e.field), e.caseSensitive)
	var found, missing []string
	for i, v := range e.folded {
		if strings.Contains(t, v) {
			found = append(found, quoteList(e.values[i]))
		} else {
			missing = append(missing, quoteList(e.values[i]))
		}
	}
	r := Result{Evaluator: e.name}
	switch {
	case e.negate:
		r.Pass = len(found) == 0
		if r.Pass {
			r.Reason = fmt.Sprintf("%s contains none of the %d forbidden values", label(e.field), len(e.values))
		} else {
			r.Reason = fmt.Sprintf("%s contains forbidden %s", label(e.field), strings.Join(found, ", "))
		}
		r.Score = 1 - float64(len(found))/float64(len(e.values))
		if !r.Pass {
			r.Score = min(r.Score, 0.5) // one forbidden value is already a failure
		}
		return r, nil
	case e.all:
		r.Pass = len(missing) == 0
		r.Score = float64(len(found)) / float64(len(e.values))
	default:
		r.Pass = len(found) > 0
		if r.Pass {
			r.Score = 1
		}
	}
	switch {
	case r.Pass && e.all:
		r.Reason = fmt.Sprintf("%s contains all %d values", label(e.field), len(e.values))
	case r.Pass:
		r.Reason = fmt.Sprintf("%s contains %s", label(e.field), strings.Join(found, ", "))
	default:
		r.Reason = fmt.Sprintf("%s lacks %s", label(e.field), strings.Join(missing, ", "))
	}
	return r, nil
}

func quoteList(v string) string { return fmt.Sprintf("%q", clip(v, 60)) }

// empty passes when the text has something besides white space.
type empty struct{ name, field string }

func (e *empty) Name() string { return e.name }

func (e *empty) Evaluate(_ context.Context, s Subject) (Result, error) {
	t := strings.TrimSpace(text(&s, e.field))
	if t == "" {
		return Result{Evaluator: e.name, Score: 0, Reason: label(e.field) + " is empty"}, nil
	}
	return Result{Evaluator: e.name, Score: 1, Pass: true,
		Reason: fmt.Sprintf("%s has %d characters", label(e.field), len([]rune(t)))}, nil
}

// DefaultRefusals are the phrases the refusal evaluator looks for when no
// values are configured: the stock openings with which chat models decline
// (compared case-insensitively, curly apostrophes as straight ones).
var DefaultRefusals = []string{
	"I'm sorry, but I can't",
	"I'm sorry, but I cannot",
	"I am sorry, but I cannot",
	"I apologize, but I can't",
	"I apologize, but I cannot",
	"I can't help with that",
	"I cannot help with that",
	"I can't assist with",
	"I cannot assist with",
	"I can't provide",
	"I cannot provide",
	"I can't comply",
	"I cannot comply",
	"I can't fulfill",
	"I cannot fulfill",
	"I'm unable to help",
	"I am unable to help",
	"I'm unable to assist",
	"I am unable to assist",
	"I'm not able to help",
	"I am not able to help",
	"I must decline",
	"I won't be able to help",
	"I'm not allowed to",
	"against my guidelines",
	"As an AI language model",
}

// refusal fails when the text contains a refusal phrase.
type refusal struct {
	name, field   string
	phrases       []string
	folded        []string
	caseSensitive bool
}

func newRefusal(cfg Config) *refusal {
	e := &refusal{name: cfg.Name, field: cfg.field(), phrases: cfg.Values, caseSensitive: cfg.CaseSensitive}
	if len(e.phrases) == 0 {
		e.phrases = DefaultRefusals
	}
	for _, p := range e.phrases {
		e.folded = append(e.folded, fold(p, cfg.CaseSensitive))
	}
	return e
}

func (e *refusal) Name() string { return e.name }

func (e *refusal) Evaluate(_ context.Context, s Subject) (Result, error) {
	t := fold(text(&s, e.field), e.caseSensitive)
	for i, p := range e.folded {
		if strings.Contains(t, p) {
			return Result{Evaluator: e.name, Score: 0,
				Reason: fmt.Sprintf("%s is a refusal (%q)", label(e.field), e.phrases[i])}, nil
		}
	}
	return Result{Evaluator: e.name, Score: 1, Pass: true, Reason: label(e.field) + " is not a refusal"}, nil
}
