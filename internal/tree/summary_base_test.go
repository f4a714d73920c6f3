package tree_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"reflect"
	"testing"

	"github.com/otelcol-genai/otelcol-genai/internal/store"
	"github.com/otelcol-genai/otelcol-genai/internal/store/memstore"
	"github.com/otelcol-genai/otelcol-genai/internal/tree"
	"github.com/otelcol-genai/otelcol-genai/internal/tree/treegen"
	"github.com/otelcol-genai/otelcol-genai/pkg/commit"
)

// baseOf assembles c's trace from st and makes its row and base, with the
// node sets read from st (what the assembly folded).
func baseOf(t *testing.T, st store.Reader, ref commit.NodeRef) (*tree.Trace, store.TraceSummary, *tree.SummaryBase) {
	t.Helper()
	ctx := context.Background()
	tr, err := tree.AssembleTrace(ctx, st, ref)
	if err != nil {
		t.Fatal(err)
	}
	row := tree.SummarizeTrace(tr)
	b, ok := tree.NewSummaryBase(tr, &row, func(r commit.NodeRef) ([]commit.Commit, bool) {
		m, err := st.Commits(ctx, []commit.NodeRef{r})
		if err != nil {
			t.Fatal(err)
		}
		return m[r], true
	})
	if !ok {
		t.Fatalf("trace %s: no base", ref.ID)
	}
	return tr, row, b
}

// verdict is an evaluate commit as the genai_eval receiver writes one (or,
// with result false, an SDK's evaluation request).
func verdict(rng *rand.Rand, ref commit.NodeRef, version int64) commit.Commit {
	evaluators := []string{"pii", "latency", "relevance", "clarity"}
	var data string
	switch rng.IntN(6) {
	case 0:
		data = fmt.Sprintf(`{"with":"evaluators","evaluators":[%q],"timestamp":"2026-01-01T00:00:%02dZ"}`, evaluators[rng.IntN(4)], rng.IntN(60))
	case 1:
		// No timestamp: the row takes the trace's start.
		data = fmt.Sprintf(`{"with":"result","evaluator":%q,"score":%.2f,"pass":%t}`, evaluators[rng.IntN(4)], rng.Float64(), rng.IntN(2) == 0)
	case 2:
		data = fmt.Sprintf(`{"with":"result","evaluator":%q,"error":"judge: status 500","timestamp":"2026-01-01T00:01:%02dZ"}`, evaluators[rng.IntN(4)], rng.IntN(60))
	default:
		data = fmt.Sprintf(`{"with":"result","evaluator":%q,"score":%.2f,"pass":%t,"reason":"r%d","timestamp":"2026-01-01T00:02:%02dZ"}`,
			evaluators[rng.IntN(4)], rng.Float64(), rng.IntN(3) > 0, rng.IntN(1000), rng.IntN(60))
	}
	c := commit.Commit{Repo: ref.Repo, Entity: ref.Kind, EntityID: ref.ID, Action: commit.ActionEvaluate, Data: []byte(data), Version: version}
	c.Seal()
	return c
}

// TestPatchEqualsAssembly: after any number of rounds of evaluate commits
// on any nodes of a generated trace (results that replace earlier ones of
// the same evaluator, requests, resends), the patched row is exactly the
// row of a fresh assembly, Revision and EvalRows order included, and the
// base's fingerprint is the trace's.
func TestPatchEqualsAssembly(t *testing.T) {
	ctx := context.Background()
	for seed := range uint64(40) {
		c := treegen.Generate(seed, treegen.DefaultOptions)
		st := memstore.New()
		if err := st.Apply(ctx, c.Commits, tree.EdgesOfAll(c.Commits)); err != nil {
			t.Fatal(err)
		}
		tr, _, b := baseOf(t, st, c.Trace)
		var nodes []commit.NodeRef
		tree.Walk(tr.Root, func(n *tree.TreeNode) { nodes = append(nodes, commit.NodeRef{Repo: tr.Repo, Kind: n.Kind, ID: n.ID}) })
		rng := rand.New(rand.NewPCG(seed, 11))
		version := tr.LastVersion
		var sent []commit.Commit
		for round := range 6 {
			var batch []commit.Commit
			for range 1 + rng.IntN(5) {
				version += int64(rng.IntN(3)) - 1 // sometimes older than the newest
				switch {
				case len(sent) > 0 && rng.IntN(5) == 0:
					batch = append(batch, sent[rng.IntN(len(sent))]) // resent
				default:
					batch = append(batch, verdict(rng, nodes[rng.IntN(len(nodes))], version))
				}
			}
			sent = append(sent, batch...)
			if err := st.Apply(ctx, batch, tree.EdgesOfAll(batch)); err != nil {
				t.Fatal(err)
			}
			changedRefs := map[commit.NodeRef]bool{}
			for _, cm := range batch {
				changedRefs[cm.Node()] = true
			}
			changed := map[commit.NodeRef][]commit.Commit{}
			for r := range changedRefs {
				m, err := st.Commits(ctx, []commit.NodeRef{r})
				if err != nil {
					t.Fatal(err)
				}
				changed[r] = m[r]
			}
			got, ok := b.Patch(changed)
			if !ok {
				t.Fatalf("seed %d round %d: evaluate commits only, but Patch refused", seed, round)
			}
			fresh, err := tree.AssembleTrace(ctx, st, c.Trace)
			if err != nil {
				t.Fatal(err)
			}
			want := tree.SummarizeTrace(fresh)
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("seed %d round %d: patched row differs\n got %+v\nwant %+v", seed, round, got, want)
			}
			if b.Fingerprint() != fresh.Fingerprint || b.Commits() != fresh.CommitCount || b.LastVersion() != fresh.LastVersion {
				t.Fatalf("seed %d round %d: base state (%x, %d, %d), trace (%x, %d, %d)", seed, round,
					b.Fingerprint(), b.Commits(), b.LastVersion(), fresh.Fingerprint, fresh.CommitCount, fresh.LastVersion)
			}
		}
	}
}

// TestPatchRefusesAnythingButEvaluations: a changed node that gained any
// other commit, a node the tree does not hold, or a node of another
// repository leaves the row to an assembly, and a refused Patch leaves the
// base as it was.
func TestPatchRefusesAnythingButEvaluations(t *testing.T) {
	ctx := context.Background()
	c := treegen.Generate(3, treegen.DefaultOptions)
	st := memstore.New()
	if err := st.Apply(ctx, c.Commits, tree.EdgesOfAll(c.Commits)); err != nil {
		t.Fatal(err)
	}
	tr, row, b := baseOf(t, st, c.Trace)
	var gen commit.NodeRef
	tree.Walk(tr.Root, func(n *tree.TreeNode) {
		if n.Kind == commit.EntityGeneration && gen.ID == "" {
			gen = commit.NodeRef{Repo: tr.Repo, Kind: n.Kind, ID: n.ID}
		}
	})
	if gen.ID == "" {
		t.Fatal("case without a generation")
	}
	rng := rand.New(rand.NewPCG(1, 2))
	update := commit.Commit{Repo: gen.Repo, Entity: gen.Kind, EntityID: gen.ID, Action: commit.ActionUpdate, Data: []byte(`{"tags":{"late":"1"}}`), Version: tr.LastVersion + 1}
	update.Seal()
	stranger := commit.NodeRef{Repo: gen.Repo, Kind: commit.EntitySpan, ID: "not-in-this-tree"}
	otherRepo := gen
	otherRepo.Repo = "elsewhere"
	for name, changed := range map[string]map[commit.NodeRef][]commit.Commit{
		"update":     {gen: append(nodeCommits(t, st, gen), update, verdict(rng, gen, 5))},
		"stranger":   {stranger: {verdict(rng, stranger, 5)}},
		"other repo": {otherRepo: append(nodeCommits(t, st, gen), verdict(rng, otherRepo, 5))},
		"one of two": {gen: append(nodeCommits(t, st, gen), verdict(rng, gen, 5)), c.Trace: append(nodeCommits(t, st, c.Trace), update)},
	} {
		if _, ok := b.Patch(changed); ok {
			t.Errorf("%s: Patch accepted a change that is not evaluations only", name)
		}
	}
	// Refusals left the base alone: an empty change gives the base's row.
	got, ok := b.Patch(map[commit.NodeRef][]commit.Commit{gen: nodeCommits(t, st, gen)})
	if !ok || !reflect.DeepEqual(got, row) || b.Fingerprint() != tr.Fingerprint {
		t.Errorf("a refused Patch changed the base")
	}
}

func nodeCommits(t *testing.T, st store.Reader, ref commit.NodeRef) []commit.Commit {
	t.Helper()
	m, err := st.Commits(context.Background(), []commit.NodeRef{ref})
	if err != nil {
		t.Fatal(err)
	}
	return m[ref]
}
