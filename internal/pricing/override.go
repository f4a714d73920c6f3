package pricing

import (
	"errors"
	"fmt"
	"math"
	"regexp"
	"strings"
	"time"
)

// Override is a price from the collector's config, checked before the data:
// for models the data lacks (fine-tunes, self-hosted models), negotiated
// prices, or a price change the data has not caught up with.
//
// An override replaces the model's whole price. Its prices are USD per
// million tokens, priced the genai-prices way: cache reads and writes are
// part of the input tokens and billed at the input price unless their own
// price is set; reasoning tokens are part of the output and billed at the
// output price unless reasoning_mtok is set.
type Override struct {
	// Model matching: at least one of these; all that are set must match.
	// Model and ModelPrefix compare case-insensitively; ModelRegex is Go
	// (RE2) syntax, case-insensitive, unanchored unless it anchors itself.
	Model       string `mapstructure:"model"`
	ModelPrefix string `mapstructure:"model_prefix"`
	ModelRegex  string `mapstructure:"model_regex"`
	// Provider limits the override to calls from this provider. It matches
	// the call's provider id case-insensitively, or when both name the same
	// genai-prices provider ("aws" and "bedrock"). Empty: any provider.
	Provider string `mapstructure:"provider"`

	InputMTok      *float64 `mapstructure:"input_mtok"`       // required
	OutputMTok     *float64 `mapstructure:"output_mtok"`      // required
	CacheReadMTok  *float64 `mapstructure:"cache_read_mtok"`  // default: input price
	CacheWriteMTok *float64 `mapstructure:"cache_write_mtok"` // default: input price
	ReasoningMTok  *float64 `mapstructure:"reasoning_mtok"`   // default: output price

	// EffectiveFrom: the override applies to calls at or after this time,
	// "2006-01-02" (midnight UTC) or RFC 3339. Of the overrides that match a
	// call, the one with the latest EffectiveFrom not after the call wins
	// (ties: the first listed); empty counts as the beginning of time.
	EffectiveFrom string `mapstructure:"effective_from"`
}

type compiledOverride struct {
	model, prefix string // lower-cased
	re            *regexp.Regexp
	provider      string
	from          time.Time
	prices        *priceSet
}

// Validate reports what is wrong with the override, if anything.
func (o *Override) Validate() error {
	_, err := o.compile(nil)
	return err
}

func (o *Override) compile(units *unitRegistry) (*compiledOverride, error) {
	var errs []error
	if strings.TrimSpace(o.Model) == "" && o.ModelPrefix == "" && o.ModelRegex == "" {
		errs = append(errs, errors.New("one of model, model_prefix or model_regex is required"))
	}
	c := &compiledOverride{
		model:    jsLower(jsTrim(o.Model)),
		prefix:   jsLower(o.ModelPrefix),
		provider: strings.TrimSpace(o.Provider),
	}
	if o.ModelRegex != "" {
		re, err := regexp.Compile("(?i)" + o.ModelRegex)
		if err != nil {
			errs = append(errs, fmt.Errorf("model_regex: %w", err))
		}
		c.re = re
	}
	if o.EffectiveFrom != "" {
		t, err := parseEffectiveFrom(o.EffectiveFrom)
		if err != nil {
			errs = append(errs, err)
		}
		c.from = t
	}
	prices := []struct {
		name, key string
		v         *float64
		required  bool
	}{
		{"input_mtok", "input_mtok", o.InputMTok, true},
		{"cache_read_mtok", "cache_read_mtok", o.CacheReadMTok, false},
		{"cache_write_mtok", "cache_write_mtok", o.CacheWriteMTok, false},
		{"output_mtok", "output_mtok", o.OutputMTok, true},
		{"reasoning_mtok", "output_reasoning_mtok", o.ReasoningMTok, false},
	}
	ps := &priceSet{}
	for _, p := range prices {
		switch {
		case p.v == nil:
			if p.required {
				errs = append(errs, fmt.Errorf("%s is required", p.name))
			}
			continue
		case math.IsNaN(*p.v) || math.IsInf(*p.v, 0) || *p.v < 0:
			errs = append(errs, fmt.Errorf("%s must be a finite non-negative USD price per million tokens, got %v", p.name, *p.v))
			continue
		}
		if units != nil {
			u := units.byPrice[p.key]
			if u == nil {
				return nil, fmt.Errorf("price data has no unit for %s", p.key)
			}
			ps.entries = append(ps.entries, priceEntry{key: p.key, unit: u, flat: *p.v})
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("%s: %w", o.describe(), err)
	}
	if units != nil {
		ps.finish(units)
		if ps.err != nil {
			return nil, fmt.Errorf("%s: %w", o.describe(), ps.err)
		}
		c.prices = ps
	}
	return c, nil
}

func (o *Override) describe() string {
	var parts []string
	for _, kv := range [][2]string{{"model", o.Model}, {"model_prefix", o.ModelPrefix}, {"model_regex", o.ModelRegex}, {"provider", o.Provider}} {
		if kv[1] != "" {
			parts = append(parts, fmt.Sprintf("%s=%q", kv[0], kv[1]))
		}
	}
	if len(parts) == 0 {
		return "price override"
	}
	return "price override " + strings.Join(parts, " ")
}

func parseEffectiveFrom(s string) (time.Time, error) {
	if t, err := time.Parse(time.DateOnly, s); err == nil {
		return t, nil
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("effective_from %q: want YYYY-MM-DD or RFC 3339", s)
	}
	return t, nil
}

// With returns a table with t's data whose Calc checks overrides first. The
// overrides replace any t had. Each is validated; the error names the bad
// one.
func (t *Table) With(overrides []Override) (*Table, error) {
	out := *t
	out.overrides = make([]*compiledOverride, 0, len(overrides))
	for i := range overrides {
		c, err := overrides[i].compile(t.units)
		if err != nil {
			return nil, fmt.Errorf("pricing: overrides[%d]: %w", i, err)
		}
		out.overrides = append(out.overrides, c)
	}
	return &out, nil
}

// findOverride: of the overrides matching the call and in effect at its
// time, the one with the latest effective_from (the first listed on ties).
func (t *Table) findOverride(modelID, providerID string, at time.Time) *compiledOverride {
	var best *compiledOverride
	for _, o := range t.overrides {
		if at.Before(o.from) || !o.matchesModel(modelID) || !t.overrideProviderMatches(o, providerID) {
			continue
		}
		if best == nil || o.from.After(best.from) {
			best = o
		}
	}
	return best
}

func (o *compiledOverride) matchesModel(modelID string) bool {
	if o.model != "" && modelID != o.model {
		return false
	}
	if o.prefix != "" && !strings.HasPrefix(modelID, o.prefix) {
		return false
	}
	return o.re == nil || o.re.MatchString(modelID)
}

func (t *Table) overrideProviderMatches(o *compiledOverride, providerID string) bool {
	if o.provider == "" {
		return true
	}
	if providerID == "" {
		return false
	}
	if strings.EqualFold(strings.TrimSpace(providerID), o.provider) {
		return true
	}
	p := t.providerByID(providerID)
	return p != nil && p == t.providerByID(o.provider)
}
