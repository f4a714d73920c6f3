// Package pricing computes the USD cost of an LLM call exactly as Pydantic's
// genai-prices library (npm @pydantic/genai-prices, MIT) does, from that
// library's own data. See README.md for where the prices come from, how to
// override them in config and how to refresh them.
//
//	tab, err := pricing.MustDefault().With(cfg.PriceOverrides)
//	res, err := tab.Calc(pricing.Usage{InputTokens: 1200, CacheReadTokens: 1000, OutputTokens: 80},
//		"gpt-4o", "openai", spanStart)
//	if errors.Is(err, pricing.ErrUnknownModel) { /* no cost, not a zero cost */ }
package pricing
