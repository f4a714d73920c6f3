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

// usageKeys are genai-prices' usage keys a Usage reports, sorted (the
// order the library walks reported usage in).
var usageKeys = []string{
	"cache_audio_read_tokens",
	"cache_read_tokens",
	"cache_write_tokens",
	"input_audio_tokens",
	"input_tokens",
	"output_audio_tokens",
	"output_reasoning_tokens",
	"output_tokens",
}

// value is the usage of one of genai-prices' usage keys. Every call
// reports all of usageKeys (zero or not); keys the struct lacks count as
// not reported. A switch, not a map: it runs for every priced unit of
// every call, and a tree read prices thousands of calls.
func (u *Usage) value(key string) (float64, bool) {
	switch key {
	case "input_tokens":
		return float64(u.InputTokens), true
	case "cache_read_tokens":
		return float64(u.CacheReadTokens), true
	case "cache_write_tokens":
		return float64(u.CacheWriteTokens), true
	case "output_tokens":
		return float64(u.OutputTokens), true
	case "output_reasoning_tokens":
		return float64(u.ReasoningTokens), true
	case "input_audio_tokens":
		return float64(u.InputAudioTokens), true
	case "cache_audio_read_tokens":
		return float64(u.CacheAudioReadTokens), true
	case "output_audio_tokens":
		return float64(u.OutputAudioTokens), true
	}
	return 0, false
}

// values maps Usage onto genai-prices' usage keys (the reference test's
// input to the library).
func (u Usage) values() map[string]float64 {
	m := make(map[string]float64, len(usageKeys))
	for _, k := range usageKeys {
		m[k], _ = u.value(k)
	}
	return m
}

func (u *Usage) validate() error {
	for _, k := range usageKeys {
		if v, _ := u.value(k); v < 0 {
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
	return t.calc(u, modelName, providerID, at, nil)
}

// calc is Calc with Result.Prices appended to prices[:0] (nil: a new slice).
func (t *Table) calc(u Usage, modelName, providerID string, at time.Time, prices []UnitPrice) (Result, error) {
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
		return o.prices.cost(u, t.units, prov, modelName, sourceConfig, prices)
	}
	p, m := t.resolve(modelID, providerID)
	if m == nil {
		return Result{}, fmt.Errorf("%w: %q (provider %q)", ErrUnknownModel, modelName, providerID)
	}
	ps, err := m.selectPrice(at)
	if err != nil {
		return Result{}, fmt.Errorf("pricing: %s/%s: %w", p.id, m.id, err)
	}
	return ps.cost(u, t.units, p.id, m.id, t.source, prices)
}

const sourceConfig = "config"

// cost is the library's price calculation for one ModelPrice.
func (ps *priceSet) cost(u Usage, units *unitRegistry, providerID, modelID, source string, prices []UnitPrice) (Result, error) {
	fail := func(err error) (Result, error) {
		return Result{}, fmt.Errorf("pricing: %s/%s: %w", providerID, modelID, err)
	}
	if ps.err != nil {
		return fail(ps.err)
	}
	// Tiers are chosen by the call's total input tokens.
	var totalInput float64
	if ps.tiered {
		v, err := usageValue(&u, "input_tokens", units)
		if err != nil {
			return fail(err)
		}
		totalInput = v
	}
	var buf [16]float64
	leaves, err := ps.leafValues(buf[:0], &u, units)
	if err != nil {
		return fail(err)
	}
	if prices == nil {
		prices = make([]UnitPrice, 0, len(ps.entries))
	}
	res := Result{Provider: providerID, Model: modelID, Source: source, Prices: prices[:0]}
	for i, e := range ps.entries {
		var n float64
		switch l := ps.entryLeaf[i]; {
		case l >= 0:
			n = leaves[l]
		case ps.hasRequests && e.unit.usageKey == "requests":
			n = 1 // every call is one request
		}
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

// leafValues splits reported usage among the priced units (ps.leafOrder):
// each unit keeps its reported value less the leaf values of its priced
// descendants (ps.leafDescendants), so every token is billed once, at the
// most specific price. It appends the values to leaves in leafOrder.
func (ps *priceSet) leafValues(leaves []float64, u *Usage, units *unitRegistry) ([]float64, error) {
	order := ps.leafOrder
	for i, n := range order {
		s, err := usageValue(u, n.usageKey, units)
		if err != nil {
			return nil, err
		}
		var m float64
		for _, j := range ps.leafDescendants[i] {
			if j >= len(leaves) {
				return nil, fmt.Errorf("missing computed leaf value for %s", order[j].usageKey)
			}
			m += leaves[j]
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
		leaves = append(leaves, r)
	}
	return leaves, nil
}

// usageValue is a unit's reported usage. A unit the caller cannot report is
// zero, unless usage that must be part of it was reported (see
// unreportedValue).
func usageValue(u *Usage, key string, units *unitRegistry) (float64, error) {
	if v, ok := u.value(key); ok {
		return v, nil
	}
	mask := u.positive()
	if t := units.unreported[key]; t != nil {
		return 0, t[mask]
	}
	return 0, unreportedValue(mask, key, units)
}

// positive is the set of usageKeys (bit i: usageKeys[i]) with a positive
// value.
func (u *Usage) positive() uint8 {
	var m uint8
	for i, k := range usageKeys {
		if v, _ := u.value(k); v > 0 {
			m |= 1 << i
		}
	}
	return m
}

// unreportedValue is the library's check for a unit the caller cannot
// report (key is not one of usageKeys), given which usage keys were
// positive: its value is zero (nil), unless usage that must be part of it
// was reported (cache reads without input tokens, or cache reads and audio
// input, both positive, without cached audio reads): then its value is
// unknown and the library refuses to guess. It depends on nothing else, so
// the registry computes it once per unit and mask (unitRegistry.unreported)
// instead of per call.
func unreportedValue(positiveKeys uint8, key string, units *unitRegistry) error {
	target := units.byUsage[key]
	var positive []*unit
	for i, k := range usageKeys {
		if positiveKeys&(1<<i) == 0 || !units.reported(k) {
			continue
		}
		pu := units.byUsage[k]
		if k != key && pu.ancestors[key] {
			return fmt.Errorf("%w: missing usage value for %s with positive reported descendant %s", ErrInvalidUsage, key, k)
		}
		positive = append(positive, pu)
	}
	for i := range positive {
		for j := i + 1; j < len(positive); j++ {
			a, b := positive[i], positive[j]
			if !compatible(a, b) || related(a, b) {
				continue
			}
			if target != nil && units.join(a, b) == target {
				return fmt.Errorf("%w: missing usage value for %s with positive reported overlap %s and %s", ErrInvalidUsage, key, a.usageKey, b.usageKey)
			}
		}
	}
	return nil
}
