package pgstore

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"github.com/otelcol-genai/otelcol-genai/internal/store"
	"github.com/otelcol-genai/otelcol-genai/internal/store/memstore"
	"github.com/otelcol-genai/otelcol-genai/internal/tree"
	"github.com/otelcol-genai/otelcol-genai/pkg/commit"
)

// TestMultiWriterConverges is two collectors of a gateway fleet writing the
// same traces: two pgstore instances with separate pools apply one
// session's commits shuffled, duplicated, split into random batches and
// spread across both, concurrently. The trees and the session read back
// from either instance must equal, byte for byte, the trees of the same
// commits applied once and in order.
func TestMultiWriterConverges(t *testing.T) {
	t.Parallel()
	requirePostgres(t)
	ctx := context.Background()
	const repo = "repo-fleet"
	at := time.Date(2026, 11, 22, 9, 0, 0, 0, time.UTC)
	v := fixedVersioner(at)
	var all []commit.Commit
	traces := []string{"tr-a", "tr-b", "tr-c"}
	all = append(all, sdkCommits(t, repo, []byte(`session{id=sess-1,action=create,data={"name":"support","tags":{"channel":"web"},"startTimestamp":"2026-11-22T09:00:00.000Z"}}`), v)...)
	for i, id := range traces {
		all = append(all, sdkCommits(t, repo, sdkTrace(id, "sess-1", 4+i, at.Add(time.Duration(i)*time.Second)), v)...)
	}
	// Late mutations after end, and a trace that moves in (sessionId set
	// by update).
	all = append(all, sdkCommits(t, repo, []byte(
		"trace{id=tr-a,action=update,data={\"tags\":{\"late\":\"yes\"}}}\n"+
			"trace{id=tr-d,action=create,data={\"name\":\"moved\",\"startTimestamp\":\"2026-11-22T09:00:05.000Z\"}}\n"+
			"trace{id=tr-d,action=update,data={\"sessionId\":\"sess-1\"}}\n"+
			"session{id=sess-1,action=end,data={\"endTimestamp\":\"2026-11-22T09:01:00.000Z\"}}"), v)...)
	traces = append(traces, "tr-d")

	want := inOrderReference(t, all, repo, traces)

	for round := range 3 {
		t.Run(fmt.Sprintf("round%d", round), func(t *testing.T) {
			schema := testSchema()
			w1 := openTestStore(t, schema, true)
			w2 := openTestStore(t, schema, false)
			rng := rand.New(rand.NewPCG(uint64(round), 42))
			// Every commit once, a third of them again, in random order.
			work := append([]commit.Commit(nil), all...)
			for _, i := range rng.Perm(len(all))[:len(all)/3] {
				work = append(work, all[i])
			}
			rng.Shuffle(len(work), func(i, j int) { work[i], work[j] = work[j], work[i] })
			var batches [2][][]commit.Commit
			for len(work) > 0 {
				n := min(len(work), 1+rng.IntN(25))
				w := rng.IntN(2)
				batches[w] = append(batches[w], work[:n])
				work = work[n:]
			}
			var wg sync.WaitGroup
			errs := make(chan error, 8)
			for wi, st := range []*Store{w1, w2} {
				// Two goroutines per collector, like exporter workers.
				for g := range 2 {
					wg.Add(1)
					go func() {
						defer wg.Done()
						for bi := g; bi < len(batches[wi]); bi += 2 {
							b := batches[wi][bi]
							if err := st.Apply(ctx, b, tree.EdgesOfAll(b)); err != nil {
								errs <- err
								return
							}
						}
					}()
				}
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				t.Fatal(err)
			}
			for _, st := range []*Store{w1, w2} {
				got := assembleAll(t, st, repo, traces)
				for name, w := range want {
					if !bytes.Equal(got[name], w) {
						t.Errorf("%s differs from the in-order result\n got %s\nwant %s", name, got[name], w)
					}
				}
			}
			// The shared change log names every node (once per Apply that
			// changed it); an indexer reading it misses nothing.
			refs, _, err := w2.ChangedSince(ctx, 0, 100000)
			if err != nil {
				t.Fatal(err)
			}
			logged := map[commit.NodeRef]bool{}
			for _, r := range refs {
				logged[r] = true
			}
			for i := range all {
				if !logged[all[i].Node()] {
					t.Errorf("node %v missing from the change log", all[i].Node())
				}
			}
		})
	}
}

// inOrderReference applies the commits once, in order, to the reference
// store and returns the JSON of every trace and of the session.
func inOrderReference(t *testing.T, all []commit.Commit, repo string, traces []string) map[string][]byte {
	t.Helper()
	ref := memstore.New()
	for i := range all {
		c := all[i : i+1]
		if err := ref.Apply(context.Background(), c, tree.EdgesOfAll(c)); err != nil {
			t.Fatal(err)
		}
	}
	out := assembleAll(t, ref, repo, traces)
	sess := &tree.Session{}
	if err := json.Unmarshal(out["session"], sess); err != nil || sess.Root == nil || len(sess.Root.Children) != len(traces) {
		t.Fatalf("reference session should hold %d traces: %s", len(traces), out["session"])
	}
	return out
}

func assembleAll(t *testing.T, r store.Reader, repo string, traces []string) map[string][]byte {
	t.Helper()
	ctx := context.Background()
	out := map[string][]byte{}
	for _, id := range traces {
		tr, err := tree.AssembleTrace(ctx, r, commit.NodeRef{Repo: repo, Kind: commit.EntityTrace, ID: id})
		if err != nil {
			t.Fatalf("assemble %s: %v", id, err)
		}
		b, err := json.Marshal(tr)
		if err != nil {
			t.Fatal(err)
		}
		out[id] = b
	}
	ss, err := tree.AssembleSession(ctx, r, commit.NodeRef{Repo: repo, Kind: commit.EntitySession, ID: "sess-1"})
	if err != nil {
		t.Fatalf("assemble session: %v", err)
	}
	b, err := json.Marshal(ss)
	if err != nil {
		t.Fatal(err)
	}
	out["session"] = b
	return out
}

// TestChangeLogNeverShowsGaps reads the change log while four writers on
// two pools append to it. Every page a reader gets must be contiguous
// (next-after equals the number of entries): with positions taken at
// INSERT time instead of COMMIT time, a reader could see position n+1
// before n commits and its checkpoint would skip n for good. At the end
// the reader has seen every entry exactly once. (Checked: with positions
// from a sequence and a short sleep before COMMIT this test fails within a
// second; with the counter row it passes.)
func TestChangeLogNeverShowsGaps(t *testing.T) {
	t.Parallel()
	requirePostgres(t)
	ctx := context.Background()
	schema := testSchema()
	w1 := openTestStore(t, schema, true)
	w2 := openTestStore(t, schema, false)
	reader := openTestStore(t, schema, false)

	const writers, applies = 4, 60
	var wg sync.WaitGroup
	for w := range writers {
		st := []*Store{w1, w2}[w%2]
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range applies {
				c := mkCommit("r", commit.EntitySpan, fmt.Sprintf("w%d-%d", w, i), commit.ActionCreate, `{}`, int64(i))
				if err := st.Apply(ctx, []commit.Commit{c}, nil); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()

	var pos uint64
	seen := map[commit.NodeRef]int{}
	polls := 0
	for finished := false; ; {
		select {
		case <-done:
			finished = true
		default:
		}
		refs, next, err := reader.ChangedSince(ctx, pos, 7)
		if err != nil {
			t.Fatal(err)
		}
		polls++
		if next-pos != uint64(len(refs)) {
			t.Fatalf("page after %d returned %d entries but next=%d: a gap was visible", pos, len(refs), next)
		}
		for _, r := range refs {
			seen[r]++
		}
		pos = next
		if finished && len(refs) == 0 {
			break
		}
		time.Sleep(200 * time.Microsecond)
	}
	if len(seen) != writers*applies {
		t.Fatalf("reader saw %d distinct nodes, want %d", len(seen), writers*applies)
	}
	for r, n := range seen {
		if n != 1 {
			t.Fatalf("%v seen %d times", r, n)
		}
	}
	t.Logf("%d polls, head at %d", polls, pos)
}
