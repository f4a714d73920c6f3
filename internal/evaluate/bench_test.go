package evaluate

import (
	"context"
	"strings"
	"testing"
)

// BenchmarkDeterministic measures one evaluation per type on a typical
// generation (a 1 KB output); evaluations per second per core is 1e9 /
// ns/op.
func BenchmarkDeterministic(b *testing.B) {
	output := strings.Repeat("The refund was processed and should arrive within five business days. ", 14)
	subject := Subject{
		Kind: "generation", Name: "chat", Model: "gpt-4o-mini",
		Input:  "user: Where is my refund for order 10442?",
		Output: output,
		Messages: []Message{
			{Role: "user", Content: "Where is my refund for order 10442?"},
			{Role: "assistant", Content: output},
		},
		LatencyMs: 850, HasLatency: true,
		InputTokens: 420, OutputTokens: 230, TotalTokens: 650,
		CostUSD: 0.00021, HasCost: true,
	}
	jsonSubject := subject
	jsonSubject.Output = `{"answer": "` + output + `", "confidence": 0.93, "sources": ["kb/refunds.md"]}`
	cases := []struct {
		cfg Config
		s   Subject
	}{
		{Config{Type: TypeLatency, MaxMs: 2000}, subject},
		{Config{Type: TypeTokenBudget, MaxTokens: 4000}, subject},
		{Config{Type: TypeCostBudget, MaxCostUSD: 0.01}, subject},
		{Config{Type: TypeJSON}, jsonSubject},
		{Config{Type: TypeJSONSchema, Schema: `{"type":"object","required":["answer"],"properties":{"answer":{"type":"string"},"confidence":{"type":"number","minimum":0,"maximum":1}}}`}, jsonSubject},
		{Config{Type: TypeRegex, Pattern: `\border \d+`}, subject},
		{Config{Type: TypeContains, Values: []string{"refund", "business days"}, Match: MatchAll}, subject},
		{Config{Type: TypeNotContains, Values: []string{"acme corp", "globex"}}, subject},
		{Config{Type: TypeEmpty}, subject},
		{Config{Type: TypeRefusal}, subject},
		{Config{Type: TypePII, Field: FieldOutput}, subject},
		{Config{Type: TypePII}, subject},
	}
	for _, c := range cases {
		c.cfg.Name = c.cfg.Type
		label := c.cfg.Type
		if c.cfg.Field != "" {
			label += "_" + c.cfg.Field
		}
		b.Run(label, func(b *testing.B) {
			ev, err := New(c.cfg, Settings{})
			if err != nil {
				b.Fatal(err)
			}
			ctx := context.Background()
			b.ReportAllocs()
			for b.Loop() {
				if _, err := ev.Evaluate(ctx, c.s); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
