package tree_test

import (
	"context"
	"math/rand/v2"
	"testing"

	"github.com/otelcol-genai/otelcol-genai/internal/store/memstore"
	"github.com/otelcol-genai/otelcol-genai/internal/tree"
	"github.com/otelcol-genai/otelcol-genai/internal/tree/treegen"
	"github.com/otelcol-genai/otelcol-genai/pkg/commit"
)

// TestTraceFingerprintIsTheCommitSet: a trace's Fingerprint is the XOR of
// CommitFingerprint over the distinct commits of its nodes, whatever the
// order and duplication in which they arrived, and one more commit on any
// node changes it.
func TestTraceFingerprintIsTheCommitSet(t *testing.T) {
	ctx := context.Background()
	for seed := range uint64(10) {
		c := treegen.Generate(seed, treegen.DefaultOptions)
		var want uint64
		seen := map[commit.ID]bool{}
		for _, cm := range c.Commits {
			if cm.Entity != commit.EntitySession && !seen[cm.ID] {
				seen[cm.ID] = true
				want ^= tree.CommitFingerprint(cm.ID)
			}
		}
		rng := rand.New(rand.NewPCG(seed, 1))
		shuffled := append([]commit.Commit(nil), c.Commits...)
		shuffled = append(shuffled, c.Commits[:len(c.Commits)/3]...) // resent
		rng.Shuffle(len(shuffled), func(i, j int) { shuffled[i], shuffled[j] = shuffled[j], shuffled[i] })
		st := memstore.New()
		for i := 0; i < len(shuffled); i += 7 {
			batch := shuffled[i:min(i+7, len(shuffled))]
			if err := st.Apply(ctx, batch, tree.EdgesOfAll(batch)); err != nil {
				t.Fatal(err)
			}
		}
		got, err := tree.AssembleTrace(ctx, st, c.Trace)
		if err != nil {
			t.Fatal(err)
		}
		if got.Fingerprint != want || got.Fingerprint == 0 {
			t.Fatalf("seed %d: fingerprint %x, want %x", seed, got.Fingerprint, want)
		}
		// One more commit, on the trace node.
		extra := commit.Commit{Repo: c.Trace.Repo, Entity: c.Trace.Kind, EntityID: c.Trace.ID, Action: commit.ActionUpdate,
			Data: []byte(`{"tags":{"extra":"1"}}`), Version: 1}
		extra.Seal()
		if err := st.Apply(ctx, []commit.Commit{extra}, nil); err != nil {
			t.Fatal(err)
		}
		again, err := tree.AssembleTrace(ctx, st, c.Trace)
		if err != nil {
			t.Fatal(err)
		}
		if again.Fingerprint != want^tree.CommitFingerprint(extra.ID) {
			t.Fatalf("seed %d: after one more commit %x, want %x", seed, again.Fingerprint, want^tree.CommitFingerprint(extra.ID))
		}
	}
}
