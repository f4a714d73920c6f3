package pricing

import (
	"testing"
	"time"
)

// sampleCall is what BenchmarkCalc and TestPriceCallScratch price with:
// the embedded table, a date it has prices for, and a usage with cache
// reads and reasoning tokens, so every price component is computed.
func sampleCall() (*Table, time.Time, Usage) {
	return MustDefault(), time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC),
		Usage{InputTokens: 12000, CacheReadTokens: 8000, OutputTokens: 900, ReasoningTokens: 300}
}

func BenchmarkCalc(b *testing.B) {
	tab, at, u := sampleCall()
	for _, c := range []struct{ name, model, provider string }{
		{"openai", "gpt-4o", "openai"},
		{"bedrock", "anthropic.claude-3-5-sonnet-20240620-v1:0", "bedrock"},
		{"openrouter-last", "z-ai/glm-4.5", "openrouter"},
		{"unknown", "no-such-model", ""},
	} {
		b.Run(c.name, func(b *testing.B) {
			for b.Loop() {
				_, _ = tab.Calc(u, c.model, c.provider, at)
			}
		})
	}
}
