package tree_test

import (
	"strings"
	"testing"

	"github.com/otelcol-genai/otelcol-genai/internal/tree"
	"github.com/otelcol-genai/otelcol-genai/internal/tree/treegen"
	"github.com/otelcol-genai/otelcol-genai/pkg/commit"
)

// BenchmarkAdmit runs the store's admission check (ids and edges of every
// commit) over generated traces whose add-generation commits carry 3 KB of
// messages, as real traffic does: the check needs one id out of each.
func BenchmarkAdmit(b *testing.B) {
	var cs []commit.Commit
	msgs := `"messages":[{"role":"user","content":"` + strings.Repeat("lorem ipsum dolor ", 170) + `"}],`
	for seed := uint64(1); seed <= 20; seed++ {
		for _, c := range treegen.Generate(seed, treegen.DefaultOptions).Commits {
			if c.Action == commit.ActionAddGeneration && len(c.Data) > 1 {
				c.Data = append([]byte("{"+msgs), c.Data[1:]...)
			}
			cs = append(cs, c)
		}
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := tree.Admit(cs); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(cs)), "ns/commit")
}
