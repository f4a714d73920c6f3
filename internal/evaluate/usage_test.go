package evaluate

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestJudgeUsageAdd(t *testing.T) {
	assert.Nil(t, (*JudgeUsage)(nil).Add(nil), "no judge, no spend")

	priced := &JudgeUsage{Model: "gpt-4o-mini", InputTokens: 100, OutputTokens: 10, CostUSD: 0.002, HasCost: true, Attempts: 1}
	sum := (*JudgeUsage)(nil).Add(priced)
	assert.Equal(t, *priced, *sum)
	assert.NotSame(t, priced, sum, "a copy: adding to it later leaves the original alone")

	// A round of 500s (calls, no usage) costs nothing but counts its calls.
	failed := &JudgeUsage{Model: "gpt-4o-mini", Attempts: 3}
	sum = failed.Add(priced)
	assert.Equal(t, JudgeUsage{Model: "gpt-4o-mini", InputTokens: 100, OutputTokens: 10, CostUSD: 0.002, HasCost: true, Attempts: 4}, *sum)
	assert.Equal(t, *sum, *priced.Add(failed), "order does not change the sum")

	// The model that answered last names the sum.
	later := &JudgeUsage{Model: "gpt-4o-mini-2024-07-18", InputTokens: 50, OutputTokens: 5, CostUSD: 0.001, HasCost: true, Attempts: 1}
	sum = priced.Add(later)
	assert.Equal(t, "gpt-4o-mini-2024-07-18", sum.Model)
	assert.InDelta(t, 0.003, sum.CostUSD, 1e-15)
	assert.True(t, sum.HasCost)

	// Usage without a price (a local model) makes the sum's cost unknown,
	// never a partial sum.
	unpriced := &JudgeUsage{Model: "llama3", InputTokens: 80, OutputTokens: 8, Attempts: 1}
	sum = priced.Add(unpriced)
	assert.False(t, sum.HasCost)
	assert.Zero(t, sum.CostUSD)
	assert.Equal(t, int64(180), sum.InputTokens)

	// Only rounds without usage: nothing was priced.
	assert.False(t, failed.Add(failed).HasCost)
}
