package tree

import (
	"encoding/json"
	"strings"
	"time"

	"github.com/otelcol-genai/otelcol-genai/internal/pricing"
	"github.com/otelcol-genai/otelcol-genai/pkg/commit"
)

// Option adjusts how trees are computed from their commits.
type Option func(*options)

type options struct {
	prices *pricing.Table
}

// WithPrices sets the price table computed costs come from (the
// tracetree_store extension builds it from the embedded price data, a data
// file and config overrides). Without it the embedded price data is used.
func WithPrices(t *pricing.Table) Option {
	return func(o *options) {
		if t != nil {
			o.prices = t
		}
	}
}

func newOptions(opts []Option) options {
	var o options
	for _, fn := range opts {
		fn(&o)
	}
	if o.prices == nil {
		o.prices = pricing.MustDefault()
	}
	return o
}

// priceNode derives a generation's cost from its usage when the client sent
// none. It runs on the folded node, at read time, so a corrected price
// applies to old traces too and the commit order never matters. A cost the
// client sent always wins (Source "sent"); otherwise pricing.PriceCall's
// rule applies (response model, else requested; price at the start, else at
// the first commit). A model the table does not know gets no cost at all
// (nil), never 0, so totals can say how many generations were unpriced.
//
// refs, when not nil, shares one PriceRef among the generations of a tree
// priced alike (priceRefs).
func priceNode(n *Node, prices *pricing.Table, refs *priceRefs) {
	if n.Kind != commit.EntityGeneration || n.Cost != nil || n.Usage == nil {
		return
	}
	call := pricing.Call{RequestModel: n.Model, Provider: n.Provider, Start: n.start}
	if n.Completion != nil {
		call.ResponseModel = n.Completion.Model
	}
	if call.Start.IsZero() {
		call.Start = time.Unix(0, n.FirstVersion).UTC()
	}
	u := n.Usage
	call.Usage = pricing.Usage{
		InputTokens:      u.InputTokens,
		CacheReadTokens:  u.CacheReadTokens,
		CacheWriteTokens: u.CacheWriteTokens,
		OutputTokens:     u.OutputTokens,
		ReasoningTokens:  u.ReasoningTokens,
	}
	if refs != nil {
		call.Scratch = refs.scratch
	}
	r, err := prices.PriceCall(call)
	if refs != nil && cap(r.Prices) > cap(refs.scratch) {
		refs.scratch = r.Prices[:0] // grown: keep the larger buffer
	}
	if err != nil {
		// Unknown model, or usage that contradicts itself (more cache
		// reads than input): no cost rather than a wrong one.
		return
	}
	cost := Cost{Input: r.InputCost, Output: r.OutputCost, Total: r.TotalCost, Source: CostComputed}
	if shared := refs.find(&r); shared != nil {
		cost.Price = shared
		n.Cost = &cost
		return
	}
	// The cost and its price in one allocation: every generation of a
	// big trace gets both.
	pc := &struct {
		cost Cost
		ref  PriceRef
	}{
		cost: cost,
		ref:  PriceRef{Provider: r.Provider, Model: r.Model, Source: r.Source},
	}
	ref := &pc.ref
	pc.cost.Price = ref
	if len(r.Prices) > 0 {
		ref.Prices = make(map[string]float64, len(r.Prices))
		for _, p := range r.Prices {
			if appliedPrice(p) {
				ref.Prices[p.Key] = p.Price
			}
		}
	}
	refs.add(ref)
	n.Cost = &pc.cost
}

// appliedPrice reports whether a price goes on the PriceRef: token rates
// are the price of the model; other units (web searches, per-request
// fees) only when the call used them.
func appliedPrice(p pricing.UnitPrice) bool {
	return p.Units > 0 || strings.HasSuffix(p.Key, "_mtok")
}

// priceRefs are the PriceRefs of one tree (or of one fold goroutine's
// share of it) by provider, model and source. A big agent run makes
// thousands of calls to a handful of models, and a map of the applied
// prices for each was a tenth of what reading a 10,000-node tree
// allocated. A tree is read-only once assembled, so its generations can
// share one. The map is made on first use: most levels price nothing. A
// nil *priceRefs shares nothing (Fold).
type priceRefs struct {
	m map[[3]string][]*PriceRef
	// scratch holds each pricing.Result's prices until the node is
	// priced (pricing.Call.Scratch): they are copied into a PriceRef or
	// dropped, never kept.
	scratch []pricing.UnitPrice
}

// find returns the PriceRef already made for a price like r, or nil.
func (rs *priceRefs) find(r *pricing.Result) *PriceRef {
	if rs == nil {
		return nil
	}
	for _, ref := range rs.m[[3]string{r.Provider, r.Model, r.Source}] {
		n := 0
		same := true
		for _, p := range r.Prices {
			if !appliedPrice(p) {
				continue
			}
			n++
			if v, ok := ref.Prices[p.Key]; !ok || v != p.Price {
				same = false
				break
			}
		}
		if same && n == len(ref.Prices) {
			return ref
		}
	}
	return nil
}

func (rs *priceRefs) add(ref *PriceRef) {
	if rs == nil {
		return
	}
	if rs.m == nil {
		rs.m = map[[3]string][]*PriceRef{}
	}
	k := [3]string{ref.Provider, ref.Model, ref.Source}
	rs.m[k] = append(rs.m[k], ref)
}

// unpriced reports whether a generation has usage but no cost: a partial
// sum must say so.
func unpriced(n *Node) bool {
	return n.Kind == commit.EntityGeneration && n.Usage != nil && n.Cost == nil
}

func (f *folder) setCost(c *Cost, _ int64) { f.n.Cost = c }

// parseCost reads a sent cost: {input, output, total} (total defaults to
// input+output) or a bare number as the total.
func (a *arena) parseCost(raw json.RawMessage) *Cost {
	c := a.subObject(raw)
	if !c.OK {
		if f, ok := amount(raw); ok {
			return &Cost{Total: f, Source: CostSent}
		}
		return nil
	}
	in, ok1 := amount(c.Get("input"))
	out, ok2 := amount(c.Get("output"))
	total, ok3 := amount(c.Get("total"))
	if !ok1 && !ok2 && !ok3 {
		return nil
	}
	if !ok3 {
		total = in + out
	}
	return &Cost{Input: in, Output: out, Total: total, Source: CostSent}
}
