package storetest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"sort"
	"testing"

	"github.com/otelcol-genai/otelcol-genai/internal/store"
	"github.com/otelcol-genai/otelcol-genai/internal/tree"
	"github.com/otelcol-genai/otelcol-genai/internal/tree/treegen"
	"github.com/otelcol-genai/otelcol-genai/pkg/commit"
)

// Delivery is one way the commits of a case can reach a store: a sequence
// of Apply batches.
type Delivery struct {
	Name    string
	Batches [][]commit.Commit
}

// Deliveries returns the orderings every backend must be indifferent to:
// in order as one batch (the reference), a random permutation in random
// batch splits, arbitrary duplication (exact copies, and replays carrying a
// later version as a resent batch would) in random batches, children before
// parents one commit per Apply, and reversed order.
func Deliveries(c treegen.Case) []Delivery {
	rng := rand.New(rand.NewPCG(c.Seed, 0xdecafbad))
	in := c.Commits
	ds := []Delivery{{Name: "in-order", Batches: [][]commit.Commit{clone(in)}}}

	perm := clone(in)
	rng.Shuffle(len(perm), func(i, j int) { perm[i], perm[j] = perm[j], perm[i] })
	ds = append(ds, Delivery{Name: "permuted", Batches: split(rng, perm)})

	dup := clone(in)
	maxV := int64(0)
	for _, x := range in {
		maxV = max(maxV, x.Version)
	}
	for i := range in {
		switch rng.IntN(3) {
		case 0:
			dup = append(dup, in[i])
		case 1:
			replay := in[i]
			replay.Version = maxV + 1 + int64(i) // a replayed batch gets new versions
			dup = append(dup, replay)
		}
	}
	rng.Shuffle(len(dup), func(i, j int) { dup[i], dup[j] = dup[j], dup[i] })
	ds = append(ds, Delivery{Name: "duplicated", Batches: split(rng, dup)})

	idx := make([]int, len(in))
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(a, b int) bool { return c.Depth[idx[a]] > c.Depth[idx[b]] })
	var one [][]commit.Commit
	for _, i := range idx {
		one = append(one, []commit.Commit{in[i]})
	}
	ds = append(ds, Delivery{Name: "children-first", Batches: one})

	rev := clone(in)
	for i, j := 0, len(rev)-1; i < j; i, j = i+1, j-1 {
		rev[i], rev[j] = rev[j], rev[i]
	}
	ds = append(ds, Delivery{Name: "reversed", Batches: split(rng, rev)})
	return ds
}

func clone(cs []commit.Commit) []commit.Commit { return append([]commit.Commit(nil), cs...) }

func split(rng *rand.Rand, cs []commit.Commit) [][]commit.Commit {
	var out [][]commit.Commit
	for len(cs) > 0 {
		n := 1 + rng.IntN(min(len(cs), 8))
		out = append(out, cs[:n])
		cs = cs[n:]
	}
	return out
}

// Deliver applies a delivery to b, each batch with the edges its commits
// imply (as the exporter does).
func Deliver(ctx context.Context, b store.Backend, d Delivery) error {
	for i, batch := range d.Batches {
		if err := b.Apply(ctx, batch, tree.EdgesOfAll(batch)); err != nil {
			return fmt.Errorf("%s: batch %d: %w", d.Name, i, err)
		}
	}
	return nil
}

// AssembledCase stores c in b, in order as one batch, and returns its
// assembled trace: the generated tree tests and benchmarks walk.
func AssembledCase(tb testing.TB, b store.Backend, c treegen.Case) *tree.Trace {
	tb.Helper()
	ctx := context.Background()
	if err := b.Apply(ctx, c.Commits, tree.EdgesOfAll(c.Commits)); err != nil {
		tb.Fatalf("seed %d: apply: %v", c.Seed, err)
	}
	t, err := tree.AssembleTrace(ctx, b, c.Trace)
	if err != nil {
		tb.Fatalf("seed %d: assemble: %v", c.Seed, err)
	}
	return t
}

// Materialize renders everything a reader sees of a case: the trace tree,
// its summary row (Revision included) and each session, as JSON.
func Materialize(ctx context.Context, r store.Reader, c treegen.Case) ([]byte, error) {
	var buf bytes.Buffer
	t, err := tree.AssembleTrace(ctx, r, c.Trace)
	if err != nil {
		return nil, fmt.Errorf("assemble trace %s: %w", c.Trace.ID, err)
	}
	if err := writeJSON(&buf, t); err != nil {
		return nil, err
	}
	sum := tree.SummarizeTrace(t)
	if err := writeJSON(&buf, sum); err != nil {
		return nil, err
	}
	fmt.Fprintf(&buf, "revision %d\n", sum.Revision)
	for _, sref := range c.Sessions {
		s, err := tree.AssembleSession(ctx, r, sref)
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			return nil, fmt.Errorf("assemble session %s: %w", sref.ID, err)
		}
		if s != nil {
			ss := tree.SummarizeSession(s)
			if err := writeJSON(&buf, s); err != nil {
				return nil, err
			}
			if err := writeJSON(&buf, ss); err != nil {
				return nil, err
			}
			fmt.Fprintf(&buf, "revision %d\n", ss.Revision)
		}
	}
	return buf.Bytes(), nil
}

func writeJSON(buf *bytes.Buffer, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	buf.Write(b)
	buf.WriteByte('\n')
	return nil
}

// CheckCase delivers one case in every ordering of Deliveries, each into a
// fresh backend from newBackend, and returns an error naming the first
// ordering whose materialized JSON is not byte-identical to in-order.
// Backends are not closed here: newBackend owns their cleanup.
func CheckCase(ctx context.Context, c treegen.Case, newBackend func() (store.Backend, error)) error {
	var want []byte
	for _, d := range Deliveries(c) {
		b, err := newBackend()
		if err != nil {
			return err
		}
		err = Deliver(ctx, b, d)
		var got []byte
		if err == nil {
			got, err = Materialize(ctx, b, c)
		}
		if err != nil {
			return fmt.Errorf("seed %d, %s: %w", c.Seed, d.Name, err)
		}
		if want == nil {
			want = got
			continue
		}
		if !bytes.Equal(got, want) {
			return fmt.Errorf("seed %d: %s delivery materializes differently from in-order:\n%s", c.Seed, d.Name, firstDiff(want, got))
		}
	}
	return nil
}

func firstDiff(a, b []byte) string {
	i := 0
	for i < len(a) && i < len(b) && a[i] == b[i] {
		i++
	}
	lo := max(0, i-200)
	return fmt.Sprintf("at byte %d\n in-order: …%s…\n      got: …%s…", i, a[lo:min(len(a), i+200)], b[lo:min(len(b), i+200)])
}

// RunInvariance checks n generated cases starting at seed against fresh
// backends from newBackend.
func RunInvariance(t *testing.T, seed uint64, n int, opts treegen.Options, newBackend func(t *testing.T) store.Backend) {
	t.Helper()
	ctx := context.Background()
	for i := 0; i < n; i++ {
		s := seed + uint64(i)
		c := treegen.Generate(s, opts)
		err := CheckCase(ctx, c, func() (store.Backend, error) { return newBackend(t), nil })
		if err != nil {
			t.Fatalf("%v\nreplay with STORETEST_SEED=%d STORETEST_CASES=1 (or TREE_SEED=%d for internal/tree)", err, s, s)
		}
	}
}
