package pricing

import (
	"errors"
	"fmt"
	"math"
	"time"
)

// This file is the cost calculation: genai-prices' calcPrice after the model
// is found.

// Usage is one call's token counts, in genai-prices' inclusive convention:
// InputTokens includes cache reads and writes (and input audio), and
// OutputTokens includes reasoning (and output audio). A provider that reports
// cache tokens separately from input (Anthropic's API) must be added up by
// the caller. A zero field means none; negative fields are rejected.
type Usage struct {
	InputTokens          int64 // all input tokens, cache reads/writes and audio included
	CacheReadTokens      int64 // input tokens read from the prompt cache
	CacheWriteTokens     int64 // input tokens written to the prompt cache
	OutputTokens         int64 // all output tokens, reasoning and audio included
	ReasoningTokens      int64 // output tokens spent on reasoning
	InputAudioTokens     int64 // audio input tokens (cached audio included)
	CacheAudioReadTokens int64 // audio input tokens read from the cache
	OutputAudioTokens    int64 // audio output tokens
}

// values maps Usage onto genai-prices' usage keys. Every call reports
// all of them (zero or not); keys the struct lacks count as not reported.
func (u Usage) values() map[string]float64 {
	return map[string]float64{
		"input_tokens":            float64(u.InputTokens),
		"cache_read_tokens":       float64(u.CacheReadTokens),
		"cache_write_tokens":      float64(u.CacheWriteTokens),
		"output_tokens":           float64(u.OutputTokens),
		"output_reasoning_tokens": float64(u.ReasoningTokens),
		"input_audio_tokens":      float64(u.InputAudioTokens),
		"cache_audio_read_tokens": float64(u.CacheAudioReadTokens),
		"output_audio_tokens":     float64(u.OutputAudioTokens),
	}
}

func (u Usage) validate() error {
	for k, v := range u.values() {
		if v < 0 {
			return fmt.Errorf("%w: %s is negative (%v)", ErrInvalidUsage, k, v)
		}
	}
	return nil
}

// Result is the cost of one call.
type Result struct {
	// USD, as calcPrice's input_price, output_price and total_price.
	// OtherCost is what is neither input nor output (a per-request fee);
	// TotalCost = InputCost + OutputCost + OtherCost.
	InputCost, OutputCost, OtherCost, TotalCost float64
	// Provider and Model are the ids of the matched provider and model in
	// the data; for a config override, the override's provider (or the
	// call's) and the call's model name.
	Provider, Model string
	// Source is where the prices came from: "@pydantic/genai-prices 0.1.8",
	// "file <path>" or "config".
	Source string
	// Prices are the prices the calculation used, in the data's order, with
	// tiers already resolved for this call: what a UI shows as "the price".
	Prices []UnitPrice
}

// UnitPrice is one price applied to a call.
type UnitPrice struct {
	// Key is genai-prices' price key: input_mtok, cache_read_mtok,
	// cache_write_mtok, output_mtok, output_reasoning_mtok,
	// input_audio_mtok, requests_kcount, ...
	Key string
	// Price is USD per Per units (Per is 1e6 for the *_mtok keys).
	Price, Per float64
	// Units is how much usage was billed at this price: the usage of its
	// unit less what more specific priced units took (input_mtok bills input
	// tokens that are not cache reads when cache_read_mtok is priced).
	Units float64
	Cost  float64 // USD
}

// PerMillion returns the price for key (e.g. "input_mtok") per million
// units, if the call used it.
func (r Result) PerMillion(key string) (float64, bool) {
	for _, p := range r.Prices {
		if p.Key == key {
			return p.Price * 1e6 / p.Per, true
		}
	}
	return 0, false
}

var (
	// ErrUnknownModel: the data has no price for the model (with that
	// provider). The call has no cost, not a zero cost.
	ErrUnknownModel = errors.New("pricing: unknown model")
	// ErrInvalidUsage: the usage contradicts itself, e.g. more cache reads
	// than input tokens (often exclusive input counts passed as inclusive).
	ErrInvalidUsage = errors.New("pricing: invalid usage")
)

// Calc prices a call to model (as the call named it) from provider (the
// system's provider id, e.g. "openai", "bedrock", "vertex_ai"; may be empty)
// at time at (zero: now). Overrides from With are checked first, then the
// data. It returns an error wrapping ErrUnknownModel when nothing prices the
// model, ErrInvalidUsage for self-contradicting usage, or the data's own
// error for a model whose prices are invalid.
func (t *Table) Calc(u Usage, modelName, providerID string, at time.Time) (Result, error) {
	if at.IsZero() {
		at = time.Now()
	}
	if err := u.validate(); err != nil {
		return Result{}, err
	}
	modelID := jsLower(jsTrim(modelName))
	if o := t.findOverride(modelID, providerID, at); o != nil {
		prov := o.provider
		if prov == "" {
			prov = providerID
		}
		return o.prices.cost(u, t.units, prov, modelName, sourceConfig)
	}
	p, m := t.resolve(modelID, providerID)
	if m == nil {
		return Result{}, fmt.Errorf("%w: %q (provider %q)", ErrUnknownModel, modelName, providerID)
	}
	ps, err := m.selectPrice(at)
	if err != nil {
		return Result{}, fmt.Errorf("pricing: %s/%s: %w", p.id, m.id, err)
	}
	return ps.cost(u, t.units, p.id, m.id, t.source)
}

const sourceConfig = "config"

// cost is the library's price calculation for one ModelPrice.
func (ps *priceSet) cost(u Usage, units *unitRegistry, providerID, modelID, source string) (Result, error) {
	fail := func(err error) (Result, error) {
		return Result{}, fmt.Errorf("pricing: %s/%s: %w", providerID, modelID, err)
	}
	if ps.err != nil {
		return fail(ps.err)
	}
	usage := u.values()
	// Tiers are chosen by the call's total input tokens.
	var totalInput float64
	if ps.tiered {
		v, err := usageValue(usage, "input_tokens", units)
		if err != nil {
			return fail(err)
		}
		totalInput = v
	}
	leaves, err := leafValues(ps.leafOrder, usage, units)
	if err != nil {
		return fail(err)
	}
	if ps.hasRequests {
		leaves["requests"] = 1
	}
	res := Result{Provider: providerID, Model: modelID, Source: source, Prices: make([]UnitPrice, 0, len(ps.entries))}
	for _, e := range ps.entries {
		n := leaves[e.unit.usageKey]
		var c, price float64
		if e.tiers == nil {
			price = e.flat
			c = price * n / e.unit.per
		} else {
			price = e.tiers.base
			for _, tr := range e.tiers.tiers {
				if totalInput > float64(tr.start) {
					price = tr.price
				}
			}
			// Same operations as the library, for identical rounding.
			perMillion := 0.0
			if n > 0 {
				perMillion = price * n / 1e6
			}
			c = perMillion * 1e6 / e.unit.per
		}
		switch e.unit.direction() {
		case "input":
			res.InputCost += c
		case "output":
			res.OutputCost += c
		default:
			res.OtherCost += c
		}
		res.Prices = append(res.Prices, UnitPrice{Key: e.key, Price: price, Per: e.unit.per, Units: n, Cost: c})
	}
	res.TotalCost = res.InputCost + res.OutputCost + res.OtherCost
	return res, nil
}

// leafValues splits reported usage among the priced units: each unit keeps
// its reported value less the leaf values of its priced descendants, so
// every token is billed once, at the most specific price.
func leafValues(order []*unit, usage map[string]float64, units *unitRegistry) (map[string]float64, error) {
	leaves := make(map[string]float64, len(order))
	for _, n := range order {
		s, err := usageValue(usage, n.usageKey, units)
		if err != nil {
			return nil, err
		}
		var m float64
		for _, p := range order {
			if p == n || !subsetOf(n, p) {
				continue
			}
			l, ok := leaves[p.usageKey]
			if !ok {
				return nil, fmt.Errorf("missing computed leaf value for %s", p.usageKey)
			}
			m += l
		}
		r := s - m
		// The library forgives float rounding below a few ulps.
		tol := 0x1p-52 * math.Max(1, math.Max(math.Abs(s), math.Abs(m))) * float64(len(order)+1)
		if r < 0 && math.Abs(r) <= tol {
			r = 0
		}
		if r < 0 {
			return nil, fmt.Errorf("%w: usage more specific than %s (%v) exceeds it by %v", ErrInvalidUsage, n.usageKey, s, -r)
		}
		leaves[n.usageKey] = r
	}
	return leaves, nil
}

// usageValue is a unit's reported usage. A unit the caller cannot report is
// zero, unless usage that must be part of it was reported (cache reads
// without input tokens, or cache reads and audio input, both positive,
// without cached audio reads): then its value is unknown and the library
// refuses to guess.
func usageValue(usage map[string]float64, key string, units *unitRegistry) (float64, error) {
	if v, ok := usage[key]; ok {
		return v, nil
	}
	target := units.byUsage[key]
	var positive []*unit
	for _, k := range sortedUsageKeys(usage) {
		if usage[k] <= 0 || !units.reported(k) {
			continue
		}
		u := units.byUsage[k]
		if k != key && u.ancestors[key] {
			return 0, fmt.Errorf("%w: missing usage value for %s with positive reported descendant %s", ErrInvalidUsage, key, k)
		}
		positive = append(positive, u)
	}
	for i := range positive {
		for j := i + 1; j < len(positive); j++ {
			a, b := positive[i], positive[j]
			if !compatible(a, b) || related(a, b) {
				continue
			}
			if target != nil && units.join(a, b) == target {
				return 0, fmt.Errorf("%w: missing usage value for %s with positive reported overlap %s and %s", ErrInvalidUsage, key, a.usageKey, b.usageKey)
			}
		}
	}
	return 0, nil
}

func sortedUsageKeys(m map[string]float64) []string {
	b := make(map[string]bool, len(m))
	for k := range m {
		b[k] = true
	}
	return sortedKeys(b)
}
