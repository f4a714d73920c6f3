package pricing

import (
	"fmt"
	"sort"
	"strings"
)

// genai-prices does not price fixed usage fields: it has a registry of units
// (input_tokens, cache_read_tokens, cache_audio_read_tokens, ...), each a set
// of dimensions (direction, family, modality, token_type, ...). A unit whose
// dimensions are a subset of another's is its ancestor: input_tokens is an
// ancestor of cache_read_tokens, which is an ancestor of
// cache_audio_read_tokens. Reported usage of an ancestor includes its
// descendants, and each priced unit is billed only for the part of its usage
// not claimed by a more specific priced unit. This file is that registry.

type unit struct {
	usageKey string // e.g. "cache_read_tokens"
	priceKey string // e.g. "cache_read_mtok"
	dims     map[string]string
	per      float64 // price is per this many usage units
	// ancestors: usage keys of the other units whose dimensions are all in
	// this unit's.
	ancestors map[string]bool
}

func (u *unit) direction() string { return u.dims["direction"] }

type unitRegistry struct {
	byUsage map[string]*unit
	byPrice map[string]*unit
	byDims  map[string]*unit
	// unreported holds, for every unit a Usage cannot report, the
	// outcome of unreportedValue for each set of positive usage keys.
	unreported map[string]*[256]error
}

func newUnitRegistry(raw map[string]unitJSON) (*unitRegistry, error) {
	r := &unitRegistry{byUsage: map[string]*unit{}, byPrice: map[string]*unit{}, byDims: map[string]*unit{}}
	for usageKey, uj := range raw {
		if uj.Per <= 0 {
			return nil, fmt.Errorf("unit %s: per must be positive, got %v", usageKey, uj.Per)
		}
		pk := uj.PriceKey
		if pk == "" {
			pk = usageKey
		}
		u := &unit{usageKey: usageKey, priceKey: pk, dims: uj.Dimensions, per: uj.Per}
		r.byUsage[usageKey] = u
		r.byPrice[pk] = u
		r.byDims[dimsKey(u.dims)] = u
	}
	for _, u := range r.byUsage {
		u.ancestors = map[string]bool{}
		for _, o := range r.byUsage {
			if o != u && subsetOf(o, u) {
				u.ancestors[o.usageKey] = true
			}
		}
	}
	for _, k := range []string{"input_tokens", "output_tokens"} {
		if r.byUsage[k] == nil {
			return nil, fmt.Errorf("unit registry lacks %s", k)
		}
	}
	var probe Usage
	r.unreported = map[string]*[256]error{}
	for k := range r.byUsage {
		if _, ok := probe.value(k); ok {
			continue
		}
		t := new([256]error)
		for m := range t {
			t[m] = unreportedValue(uint8(m), k, r)
		}
		r.unreported[k] = t
	}
	return r, nil
}

// reported: usage keys callers report; "requests" is implied (one per call).
func (r *unitRegistry) reported(usageKey string) bool {
	return usageKey != "requests" && r.byUsage[usageKey] != nil
}

func dimsKey(d map[string]string) string {
	keys := make([]string, 0, len(d))
	for k := range d {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	for _, k := range keys {
		b.WriteString(k)
		b.WriteByte('=')
		b.WriteString(d[k])
		b.WriteByte(';')
	}
	return b.String()
}

// subsetOf: every dimension of a is in b with the same value (a is b or an
// ancestor of b).
func subsetOf(a, b *unit) bool {
	for k, v := range a.dims {
		if bv, ok := b.dims[k]; !ok || bv != v {
			return false
		}
	}
	return true
}

// compatible: no dimension has different values in a and b, so usage can be
// both (cache_read_tokens and input_audio_tokens overlap in
// cache_audio_read_tokens).
func compatible(a, b *unit) bool {
	for k, v := range a.dims {
		if bv, ok := b.dims[k]; ok && bv != v {
			return false
		}
	}
	return true
}

// related: one is the other or its ancestor.
func related(a, b *unit) bool {
	return a == b || b.ancestors[a.usageKey] || a.ancestors[b.usageKey]
}

// join is the registered unit with both a's and b's dimensions, if any.
func (r *unitRegistry) join(a, b *unit) *unit {
	if !compatible(a, b) {
		return nil
	}
	d := make(map[string]string, len(a.dims)+len(b.dims))
	for k, v := range a.dims {
		d[k] = v
	}
	for k, v := range b.dims {
		d[k] = v
	}
	return r.byDims[dimsKey(d)]
}

// validatePriced is the library's check of a ModelPrice before pricing: every
// ancestor of a priced unit is priced too (else its leftover usage would have
// no price), and two overlapping priced units have their overlap priced (else
// the overlap would be billed twice).
func (r *unitRegistry) validatePriced(entries []priceEntry) error {
	priced := map[string]bool{}
	for _, e := range entries {
		priced[e.unit.priceKey] = true
	}
	for _, e := range entries {
		for _, a := range sortedKeys(e.unit.ancestors) {
			if au := r.byUsage[a]; au != nil && !priced[au.priceKey] {
				return fmt.Errorf("missing ancestor price key %s for %s", au.priceKey, e.unit.priceKey)
			}
		}
	}
	for i := range entries {
		for j := i + 1; j < len(entries); j++ {
			a, b := entries[i].unit, entries[j].unit
			if !compatible(a, b) {
				continue
			}
			jn := r.join(a, b)
			if jn == nil {
				return fmt.Errorf("missing registered join unit for %s and %s", a.priceKey, b.priceKey)
			}
			if !priced[jn.priceKey] {
				return fmt.Errorf("missing join price key %s for %s and %s", jn.priceKey, a.priceKey, b.priceKey)
			}
		}
	}
	return nil
}

func sortedKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
