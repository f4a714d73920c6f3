package pricing

import (
	"errors"
	"strings"
	"time"
)

// Call is one model call as an observability system sees it: the model the
// client asked for, the model the provider answered with (often a dated
// snapshot), the provider id and the start time.
type Call struct {
	Usage         Usage
	RequestModel  string
	ResponseModel string
	Provider      string
	Start         time.Time
	// Scratch, when not nil, is reused for Result.Prices: a caller that
	// prices many calls and keeps no Result past the next call (the tree
	// fold, once per generation) saves an allocation per call.
	Scratch []UnitPrice
}

// PriceCall is the one rule for pricing a recorded call, used by the tree
// fold (internal/tree) and the metrics connector alike:
//
//   - the response model is priced when known, else the requested model;
//   - at the price in force at the call's start;
//   - a router-style "<provider>/<model>" name (LiteLLM, OpenRouter, the
//     Vercel AI gateway) that the data does not know as such is priced as
//     that provider's model.
//
// Errors are Calc's: ErrUnknownModel means the call has no cost (not a zero
// cost), ErrInvalidUsage that its usage contradicts itself.
func (t *Table) PriceCall(c Call) (Result, error) {
	model := c.ResponseModel
	if model == "" {
		model = c.RequestModel
	}
	if model == "" {
		return Result{}, ErrUnknownModel
	}
	r, err := t.calc(c.Usage, model, c.Provider, c.Start, c.Scratch)
	if prefix, rest, ok := strings.Cut(model, "/"); ok && errors.Is(err, ErrUnknownModel) && prefix != "" && rest != "" {
		r, err = t.calc(c.Usage, rest, prefix, c.Start, c.Scratch)
	}
	return r, err
}
