package indexer

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"reflect"
	"regexp"
	"sync/atomic"
	"testing"
	"time"

	"github.com/otelcol-genai/otelcol-genai/internal/store"
	"github.com/otelcol-genai/otelcol-genai/internal/store/memstore"
	"github.com/otelcol-genai/otelcol-genai/internal/store/pebblestore"
	"github.com/otelcol-genai/otelcol-genai/internal/tree"
	"github.com/otelcol-genai/otelcol-genai/internal/tree/treegen"
	"github.com/otelcol-genai/otelcol-genai/pkg/commit"
)

var (
	genNodeID = regexp.MustCompile(`"((?:att|call|err|evt|gen|ret|span|trace)-\d+-\d+)"`)
	genSessID = regexp.MustCompile(`"(sess-\d+-\d+)"`)
)

// sharedSessionTraffic merges treegen cases (one trace each) into one
// repository whose traces share a few sessions: node ids get a per-case
// suffix so cases do not collide, and each case's sessions are mapped onto
// the shared ones (a moved trace moves between two shared sessions).
func sharedSessionTraffic(seed uint64, cases, sessions int) (repo string, commits []commit.Commit, sessionRefs []commit.NodeRef) {
	rng := rand.New(rand.NewPCG(seed, 7))
	repo = "repo-0"
	for s := range sessions {
		sessionRefs = append(sessionRefs, commit.NodeRef{Repo: repo, Kind: commit.EntitySession, ID: fmt.Sprintf("shared-%d", s)})
	}
	for k := range cases {
		c := treegen.Generate(seed*1000+uint64(k)*3, treegen.DefaultOptions) // seeds ≡ 0 mod 3: repo-0
		first := rng.IntN(sessions)
		mapped := map[string]string{}
		for i, s := range c.Sessions {
			// The second session of a moved trace is always another one.
			mapped[s.ID] = sessionRefs[(first+i)%sessions].ID
		}
		rename := func(id string) string {
			if m, ok := mapped[id]; ok {
				return m
			}
			if genNodeID.MatchString(`"` + id + `"`) {
				return fmt.Sprintf("%s-c%d", id, k)
			}
			return id
		}
		for _, cm := range c.Commits {
			cm.Repo = repo
			cm.EntityID = rename(cm.EntityID)
			data := genSessID.ReplaceAllStringFunc(string(cm.Data), func(q string) string {
				if m, ok := mapped[q[1:len(q)-1]]; ok {
					return `"` + m + `"`
				}
				return q
			})
			data = genNodeID.ReplaceAllString(data, fmt.Sprintf(`"${1}-c%d"`, k))
			cm.Data = []byte(data)
			cm.Seal()
			commits = append(commits, cm)
		}
	}
	return repo, commits, sessionRefs
}

// wantSession is the reference: the session assembled in full and
// summarized by the tree package, as the indexer used to do it.
func wantSession(t *testing.T, r store.Reader, ref commit.NodeRef) (store.SessionSummary, bool) {
	t.Helper()
	s, err := tree.AssembleSession(context.Background(), r, ref)
	if errors.Is(err, store.ErrNotFound) {
		return store.SessionSummary{}, false
	}
	if err != nil {
		t.Fatal(err)
	}
	return tree.SummarizeSession(s), true
}

func sessionRows(t *testing.T, b store.Backend, repo string) map[string]store.SessionSummary {
	t.Helper()
	out := map[string]store.SessionSummary{}
	q := store.SessionQuery{Repo: repo, Limit: 1000}
	for {
		p, err := b.SearchSessions(context.Background(), q)
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range p.Sessions {
			out[s.SessionID] = normalizeSession(s)
		}
		if p.NextCursor == "" {
			return out
		}
		q.Cursor = p.NextCursor
	}
}

func normalizeSession(s store.SessionSummary) store.SessionSummary {
	s.Start, s.End, s.LastActivity = s.Start.UTC(), s.End.UTC(), s.LastActivity.UTC()
	if len(s.Tags) == 0 {
		s.Tags = nil
	}
	return s
}

// TestSessionSummaryEqualsAssembly feeds generated SDK traffic, many traces
// sharing a few sessions (some traces moving between them), in a shuffled
// order with indexing passes in between, and after every pass compares each
// session row with tree.SummarizeSession(tree.AssembleSession(...)) over the
// same backend: every field, Revision and the float Cost included.
func TestSessionSummaryEqualsAssembly(t *testing.T) {
	ctx := context.Background()
	backends := map[string]func(t *testing.T) store.Backend{
		"memstore": func(*testing.T) store.Backend { return memstore.New() },
		"pebble": func(t *testing.T) store.Backend {
			pcfg := pebblestore.DefaultConfig()
			pcfg.Directory = t.TempDir()
			pcfg.Sync = false
			b, err := pebblestore.Open(pcfg, nil)
			if err != nil {
				t.Fatal(err)
			}
			return b
		},
	}
	for name, open := range backends {
		t.Run(name, func(t *testing.T) {
			anyMoved := false
			for seed := range uint64(4) {
				repo, commits, sessions := sharedSessionTraffic(seed, 12, 3)
				b := open(t)
				cfg := testConfig()
				cfg.PollInterval, cfg.Debounce = 1<<62, 1<<62
				cfg.BatchSize = 17 // several passes per flush: rows of earlier passes are reused
				// treegen versions are in 2001: a wall-clock stamp for a
				// commit-less session would outrank every later real row.
				ix, err := New(b, cfg, Settings{Now: func() time.Time { return time.Unix(0, 0) }})
				if err != nil {
					t.Fatal(err)
				}
				if err := ix.Start(ctx); err != nil {
					t.Fatal(err)
				}
				rng := rand.New(rand.NewPCG(seed, 99))
				rng.Shuffle(len(commits), func(i, j int) { commits[i], commits[j] = commits[j], commits[i] })
				checks, stored, moved := 0, 0, 0
				for i := 0; i < len(commits); {
					n := min(1+rng.IntN(25), len(commits)-i)
					batch := commits[i : i+n]
					i += n
					if err := ix.Apply(ctx, batch, tree.EdgesOfAll(batch)); err != nil {
						t.Fatal(err)
					}
					if err := ix.Flush(ctx); err != nil {
						t.Fatal(err)
					}
					got := sessionRows(t, b, repo)
					for _, s := range sessions {
						want, ok := wantSession(t, b, s)
						computed, err := ix.summarizeSession(ctx, b, s)
						if !ok {
							if !errors.Is(err, store.ErrNotFound) {
								t.Fatalf("seed %d: session %s does not exist, got %v", seed, s.ID, err)
							}
							if _, has := got[s.ID]; has {
								t.Fatalf("seed %d: row for session %s that does not exist", seed, s.ID)
							}
							continue
						}
						if err != nil {
							t.Fatal(err)
						}
						checks++
						if !reflect.DeepEqual(normalizeSession(computed), normalizeSession(want)) {
							t.Fatalf("seed %d after %d commits: session %s\n got %+v\nwant %+v", seed, i, s.ID, computed, want)
						}
						// The stored row is the one the pass wrote unless
						// the backend kept a row of higher Revision (a
						// session's Revision can drop when a trace leaves
						// it, on either path).
						if g := got[s.ID]; g.Revision == want.Revision && want.Revision != 0 {
							if !reflect.DeepEqual(g, normalizeSession(want)) {
								t.Fatalf("seed %d after %d commits: stored session %s\n got %+v\nwant %+v", seed, i, s.ID, g, want)
							}
							stored++
						}
					}
				}
				// The traffic must exercise what the test claims: sessions
				// with several traces, and a trace that left one.
				total := 0
				for _, s := range sessions {
					kids, err := b.Children(ctx, []commit.NodeRef{s})
					if err != nil {
						t.Fatal(err)
					}
					total += sessionRows(t, b, repo)[s.ID].TraceCount
					moved += len(kids[s])
				}
				if moved > total {
					anyMoved = true
				}
				if total < 6 || checks == 0 || stored < checks/2 {
					t.Fatalf("seed %d: weak traffic: %d traces in sessions, %d session edges, %d checks, %d stored rows checked", seed, total, moved, checks, stored)
				}
				if err := ix.Close(); err != nil {
					t.Fatal(err)
				}
			}
			if !anyMoved {
				t.Fatal("no generated trace moved between sessions")
			}
		})
	}
}

// countingReader counts the nodes whose commits are read.
type countingReader struct {
	store.Backend
	nodes atomic.Int64
}

func (c *countingReader) Commits(ctx context.Context, refs []commit.NodeRef) (map[commit.NodeRef][]commit.Commit, error) {
	c.nodes.Add(int64(len(refs)))
	return c.Backend.Commits(ctx, refs)
}

// TestSessionPassCostIndependentOfSessionSize proves the point of the
// incremental scheme: once a session's traces are indexed, adding one more
// trace reads the commits of that trace and the session node only, not of
// every trace of the session.
func TestSessionPassCostIndependentOfSessionSize(t *testing.T) {
	ctx := context.Background()
	cr := &countingReader{Backend: memstore.New()}
	cfg := testConfig()
	cfg.PollInterval, cfg.Debounce = 1<<62, 1<<62
	ix := newIndexer(t, cr, cfg, nil)
	v := int64(1000)
	addTrace := func(i int) {
		tr, sp := fmt.Sprintf("t%d", i), fmt.Sprintf("s%d", i)
		cs := []commit.Commit{
			mk(commit.EntityTrace, tr, commit.ActionCreate, `{"name":"turn","sessionId":"big","startTimestamp":"2026-11-22T10:00:00Z"}`, v+1),
			mk(commit.EntityTrace, tr, commit.ActionAddSpan, fmt.Sprintf(`{"id":%q,"name":"step"}`, sp), v+2),
			mk(commit.EntitySpan, sp, commit.ActionAddGeneration, fmt.Sprintf(`{"id":"g%d","model":"m"}`, i), v+3),
			mk(commit.EntityGeneration, fmt.Sprintf("g%d", i), commit.ActionResult, `{"result":{"usage":{"prompt_tokens":3,"completion_tokens":4,"total_tokens":7}}}`, v+4),
		}
		v += 10
		if err := ix.Apply(ctx, cs, tree.EdgesOfAll(cs)); err != nil {
			t.Fatal(err)
		}
		if err := ix.Flush(ctx); err != nil {
			t.Fatal(err)
		}
	}
	const n = 200
	for i := range n {
		addTrace(i)
	}
	cr.nodes.Store(0)
	addTrace(n)
	// One trace is 3 nodes (trace, span, generation) plus the session node.
	if got := cr.nodes.Load(); got > 4 {
		t.Fatalf("adding one trace to a %d-trace session read commits of %d nodes, want at most 4", n, got)
	}
	rows := sessionRows(t, cr, "r")
	want, ok := wantSession(t, cr, commit.NodeRef{Repo: "r", Kind: commit.EntitySession, ID: "big"})
	if !ok || !reflect.DeepEqual(rows["big"], normalizeSession(want)) {
		t.Fatalf("session row\n got %+v\nwant %+v", rows["big"], want)
	}
	if rows["big"].TraceCount != n+1 || rows["big"].TotalTokens != 7*(n+1) {
		t.Fatalf("session row counts %d traces, %d tokens", rows["big"].TraceCount, rows["big"].TotalTokens)
	}
}
