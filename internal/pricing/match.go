package pricing

import (
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode"

	"github.com/dlclark/regexp2"
)

// This file finds the provider and model of a call the way genai-prices'
// calcPrice does.

// matcher is a compiled MatchLogic. String rules compare case-insensitively;
// regexes are JavaScript regexes (the data uses lookaheads, which Go's RE2
// lacks) applied to the already lower-cased name, without flags.
type matcher struct {
	kind  string // or, and, equals, starts_with, ends_with, contains, regex, never
	arg   string // lower-cased for the string rules
	re    *regexp2.Regexp
	child []*matcher
}

func compileMatch(m *matchJSON) (*matcher, error) {
	// The library tests the keys in this order, so an object with several
	// keys behaves as its first one.
	switch {
	case m.Or != nil, m.And != nil:
		kind, list := "or", m.Or
		if m.Or == nil {
			kind, list = "and", m.And
		}
		out := &matcher{kind: kind}
		for i := range list {
			c, err := compileMatch(&list[i])
			if err != nil {
				return nil, err
			}
			out.child = append(out.child, c)
		}
		return out, nil
	case m.Equals != nil:
		return &matcher{kind: "equals", arg: jsLower(*m.Equals)}, nil
	case m.StartsWith != nil:
		return &matcher{kind: "starts_with", arg: jsLower(*m.StartsWith)}, nil
	case m.EndsWith != nil:
		return &matcher{kind: "ends_with", arg: jsLower(*m.EndsWith)}, nil
	case m.Contains != nil:
		return &matcher{kind: "contains", arg: jsLower(*m.Contains)}, nil
	case m.Regex != nil:
		re, err := regexp2.Compile(*m.Regex, regexp2.ECMAScript)
		if err != nil {
			return nil, fmt.Errorf("regex %q: %w", *m.Regex, err)
		}
		return &matcher{kind: "regex", re: re}, nil
	}
	return &matcher{kind: "never"}, nil
}

func (m *matcher) match(s string) bool {
	switch m.kind {
	case "or":
		for _, c := range m.child {
			if c.match(s) {
				return true
			}
		}
		return false
	case "and":
		for _, c := range m.child {
			if !c.match(s) {
				return false
			}
		}
		return true
	case "equals":
		return jsLower(s) == m.arg
	case "starts_with":
		return strings.HasPrefix(jsLower(s), m.arg)
	case "ends_with":
		return strings.HasSuffix(jsLower(s), m.arg)
	case "contains":
		return strings.Contains(jsLower(s), m.arg)
	case "regex":
		ok, err := m.re.MatchString(s)
		return err == nil && ok
	}
	return false
}

// jsLower and jsTrim stand in for String.prototype.toLowerCase and trim.
func jsLower(s string) string { return strings.ToLower(s) }

func jsTrim(s string) string {
	return strings.TrimFunc(s, func(r rune) bool { return unicode.IsSpace(r) || r == '\uFEFF' })
}

// providerByID is the library's lookup of a provider id: an exact id first,
// then the first provider whose provider_match accepts it ("bedrock" finds
// aws, "vertex_ai" google, "az.ai.openai" openai).
func (t *Table) providerByID(id string) *provider {
	id = jsLower(jsTrim(id))
	if p := t.byID[id]; p != nil {
		return p
	}
	for _, p := range t.providers {
		if p.providerMatch != nil && p.providerMatch.match(id) {
			return p
		}
	}
	return nil
}

// providerByModel: the first provider whose model_match accepts the model.
// Many providers (aws, azure, openrouter, groq, ...) have none, so their
// model names are only priced when the provider is given.
func (t *Table) providerByModel(modelID string) *provider {
	for _, p := range t.providers {
		if p.modelMatch != nil && p.modelMatch.match(modelID) {
			return p
		}
	}
	return nil
}

// resolve finds provider and model for a call. modelID is already
// lower-cased and trimmed.
//
// One deliberate difference from calcPrice: there a provider id that is
// neither a provider's id nor accepted by a provider_match prices nothing
// (except "litellm"); here it is treated like no provider at all, so a
// system name the data does not know ("x_ai", "ibm.watsonx.ai") still gets
// prices by model name.
func (t *Table) resolve(modelID, providerID string) (*provider, *model) {
	// Resolution walks every model's match rules (regexes among them) and
	// is a pure function of the immutable table, while a trace prices the
	// same few models over and over: remember the answers.
	key := resolveKey{model: modelID, provider: providerID}
	if r, ok := t.resolved.Load(key); ok {
		e := r.(resolution)
		return e.p, e.m
	}
	p, m := t.resolveUncached(modelID, providerID)
	if t.resolvedN.Load() < maxResolved {
		if _, loaded := t.resolved.LoadOrStore(key, resolution{p, m}); !loaded {
			t.resolvedN.Add(1)
		}
	}
	return p, m
}

// maxResolved bounds the resolution memo: model names come from clients,
// and a client sending endless distinct names must not grow memory
// without bound (past the bound, resolution is simply not remembered).
const maxResolved = 4096

type resolveKey struct{ model, provider string }

type resolution struct {
	p *provider
	m *model
}

func (t *Table) resolveUncached(modelID, providerID string) (*provider, *model) {
	if strings.EqualFold(providerID, "litellm") && strings.Contains(modelID, "/") {
		// LiteLLM names models "<provider>/<model>"; the library splits off a
		// prefix that names a provider.
		i := strings.IndexByte(modelID, '/')
		if pre, rest := modelID[:i], modelID[i+1:]; pre != "" && rest != "" && t.providerByID(pre) != nil {
			providerID, modelID = pre, rest
		}
	}
	var p *provider
	if providerID != "" {
		p = t.providerByID(providerID)
	}
	if p == nil {
		p = t.providerByModel(modelID)
	}
	if p == nil {
		return nil, nil
	}
	if m := t.findModel(p, modelID, true); m != nil {
		return p, m
	}
	// Dated ids like claude-3-5-sonnet-20240620 are retried as
	// claude-3-5-sonnet-2024-06-20 (how some providers spell them).
	if alt := hyphenateDates(modelID); alt != modelID {
		return p, t.findModel(p, alt, true)
	}
	return p, nil
}

// findModel: the provider's first model whose match accepts the id, else
// (one level deep) the first match among its fallback providers' models,
// e.g. azure falls back to openai's models.
func (t *Table) findModel(p *provider, modelID string, fallbacks bool) *model {
	for _, m := range p.models {
		if m.match.match(modelID) {
			return m
		}
	}
	if !fallbacks {
		return nil
	}
	for _, id := range p.fallbacks {
		if fp := t.byID[id]; fp != nil {
			if m := t.findModel(fp, modelID, false); m != nil {
				return m
			}
		}
	}
	return nil
}

var datedSuffixRE = regexp2.MustCompile(`(-)(20\d{2})(0[1-9]|1[0-2])(0[1-9]|[12]\d|3[01])(?=-|:|$)`, regexp2.ECMAScript)

// hyphenateDates rewrites each "-YYYYMMDD" that is a real calendar date and
// ends the name or precedes "-" or ":" as "-YYYY-MM-DD".
func hyphenateDates(s string) string {
	out, err := datedSuffixRE.ReplaceFunc(s, func(m regexp2.Match) string {
		g := m.Groups()
		y, mo, d := atoi(g[2].String()), atoi(g[3].String()), atoi(g[4].String())
		if tm := time.Date(y, time.Month(mo), d, 0, 0, 0, 0, time.UTC); tm.Year() != y || int(tm.Month()) != mo || tm.Day() != d {
			return m.String()
		}
		return g[1].String() + g[2].String() + "-" + g[3].String() + "-" + g[4].String()
	}, -1, -1)
	if err != nil {
		return s
	}
	return out
}

func atoi(s string) int {
	n := 0
	for _, c := range s {
		n = n*10 + int(c-'0')
	}
	return n
}

// selectPrice picks the price in force at a call: conditional prices are
// tried from last to first, the first whose constraint holds wins, and the
// first one is the default when none holds.
func (m *model) selectPrice(at time.Time) (*priceSet, error) {
	if len(m.prices) == 0 {
		return nil, errors.New("model has no prices")
	}
	if len(m.prices) == 1 && m.prices[0].constraint == nil {
		return m.prices[0].prices, nil
	}
	// JavaScript dates have millisecond precision.
	at = at.UTC().Truncate(time.Millisecond)
	sec := float64(at.Hour()*3600+at.Minute()*60+at.Second()) + float64(at.Nanosecond()/1e6)/1e3
	for i := len(m.prices) - 1; i >= 0; i-- {
		c := m.prices[i]
		switch {
		case c.constraint == nil:
			return c.prices, nil
		case !c.constraint.timeOfDay:
			if !at.Before(c.constraint.startDate) {
				return c.prices, nil
			}
		case c.constraint.endSec < c.constraint.startSec: // wraps midnight
			if sec >= c.constraint.startSec || sec < c.constraint.endSec {
				return c.prices, nil
			}
		default:
			if sec >= c.constraint.startSec && sec < c.constraint.endSec {
				return c.prices, nil
			}
		}
	}
	return m.prices[0].prices, nil
}
