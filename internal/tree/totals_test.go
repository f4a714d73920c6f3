package tree_test

import (
	"context"
	"maps"
	"reflect"
	"strings"
	"testing"

	"github.com/otelcol-genai/otelcol-genai/internal/store/memstore"
	"github.com/otelcol-genai/otelcol-genai/internal/store/storetest"
	"github.com/otelcol-genai/otelcol-genai/internal/tree"
	"github.com/otelcol-genai/otelcol-genai/internal/tree/treegen"
	"github.com/otelcol-genai/otelcol-genai/pkg/commit"
)

// gen writes the commits of one generation under parent: usage
// (prompt/completion tokens, none when in < 0), and the OTel identity a
// span gives it (spanKind, parentSpanId) when kind is set.
func gen(parentEntity, parent, id, kind, parentSpan string, in, out int) string {
	lines := []string{parentEntity + `{id=` + parent + `,action=add-generation,data={"id":"` + id + `","model":"gpt-4o","provider":"openai","startTimestamp":"2026-01-01T00:00:01Z"}}`}
	if in >= 0 {
		lines = append(lines, `generation{id=`+id+`,action=result,data={"result":{"usage":{"prompt_tokens":`+itoa(in)+`,"completion_tokens":`+itoa(out)+`}}}}`)
	}
	if kind != "" {
		lines = append(lines, `generation{id=`+id+`,action=update,data={"spanKind":"`+kind+`","parentSpanId":"`+parentSpan+`"}}`)
	}
	return strings.Join(lines, "\n")
}

func itoa(n int) string {
	var b []byte
	if n == 0 {
		return "0"
	}
	for ; n > 0; n /= 10 {
		b = append([]byte{byte('0' + n%10)}, b...)
	}
	return string(b)
}

const traceT = `trace{id=t,action=create,data={"startTimestamp":"2026-01-01T00:00:00Z","sessionId":"s"}}`

// TestTotalsCountEachCallOnce: the totals rule (totals.go,
// docs/tree-json.md "totals") on the ways one model call is recorded
// more than once.
func TestTotalsCountEachCallOnce(t *testing.T) {
	for _, tc := range []struct {
		name   string
		body   []string
		in     int64 // expected trace totals
		out    int64
		calls  int               // leaf generation rows
		paired map[string]string // server half → its caller
	}{{
		name: "client only",
		body: []string{gen("trace", "t", "c", "client", "", 100, 10)},
		in:   100, out: 10, calls: 1,
	}, {
		name: "server half nested under the client span",
		body: []string{gen("trace", "t", "c", "client", "", 100, 10), gen("generation", "c", "g", "server", "c", 100, 10)},
		in:   100, out: 10, calls: 1, paired: map[string]string{"g": "c"},
	}, {
		name: "server half under the trace (remote parent), through the HTTP client span",
		body: []string{
			gen("trace", "t", "c", "client", "", 100, 10),
			`generation{id=c,action=add-span,data={"id":"h"}}`,
			`span{id=h,action=update,data={"spanKind":"client","parentSpanId":"c"}}`,
			gen("trace", "t", "g", "server", "h", 100, 10),
		},
		in: 100, out: 10, calls: 1, paired: map[string]string{"g": "c"},
	}, {
		name: "caller streamed without usage: the server half is the only record",
		body: []string{gen("trace", "t", "c", "client", "", -1, 0), gen("trace", "t", "g", "server", "c", 100, 10)},
		in:   100, out: 10, calls: 1,
	}, {
		name: "caller is an HTTP client only: the server half counts",
		body: []string{
			`trace{id=t,action=add-span,data={"id":"h"}}`,
			`span{id=h,action=update,data={"spanKind":"client"}}`,
			gen("trace", "t", "g", "server", "h", 100, 10),
		},
		in: 100, out: 10, calls: 1,
	}, {
		name: "caller's span never arrived: the server half counts",
		body: []string{gen("trace", "t", "g", "server", "ffff", 100, 10)},
		in:   100, out: 10, calls: 1,
	}, {
		name: "gateway is the entry point",
		body: []string{gen("trace", "t", "g", "server", "", 100, 10)},
		in:   100, out: 10, calls: 1,
	}, {
		name: "two gateways in a chain",
		body: []string{
			gen("trace", "t", "c", "client", "", 100, 10),
			gen("trace", "t", "g1", "server", "c", 100, 10),
			gen("trace", "t", "g2", "server", "g1", 100, 10),
		},
		in: 100, out: 10, calls: 1, paired: map[string]string{"g1": "c", "g2": "g1"},
	}, {
		name: "nested generations: the wrapper is an aggregate",
		body: []string{
			gen("trace", "t", "w", "", "", 300, 30),
			gen("generation", "w", "a", "", "", 100, 10),
			gen("generation", "w", "b", "", "", 200, 20),
		},
		in: 300, out: 30, calls: 2,
	}, {
		name: "wrapper over a counted call and a streamed call answered by a gateway",
		body: []string{
			gen("trace", "t", "w", "internal", "", 300, 30),
			gen("generation", "w", "a", "client", "w", 100, 10),
			gen("generation", "w", "b", "client", "w", -1, 0),
			gen("trace", "t", "b2", "server", "b", 200, 20),
		},
		in: 300, out: 30, calls: 2,
	}, {
		name: "wrapper whose only call is a paired pair counts the client once",
		body: []string{
			gen("trace", "t", "w", "", "", 100, 10),
			gen("generation", "w", "c", "client", "w", 100, 10),
			gen("generation", "c", "g", "server", "c", 100, 10),
		},
		in: 100, out: 10, calls: 1, paired: map[string]string{"g": "c"},
	}} {
		t.Run(tc.name, func(t *testing.T) {
			st := load(t, traceT+"\n"+strings.Join(tc.body, "\n"))
			ctx := context.Background()
			tr, err := tree.AssembleTrace(ctx, st, commit.NodeRef{Repo: "r", Kind: "trace", ID: "t"})
			if err != nil {
				t.Fatal(err)
			}
			if got := tr.Root.Totals; got.InputTokens != tc.in || got.OutputTokens != tc.out || got.TotalTokens != tc.in+tc.out {
				t.Errorf("trace totals = %d/%d/%d, want %d/%d", got.InputTokens, got.OutputTokens, got.TotalTokens, tc.in, tc.out)
			}
			paired := map[string]string{}
			tree.Walk(tr.Root, func(n *tree.TreeNode) {
				if n.PairedWith != "" {
					paired[n.ID] = n.PairedWith
				}
				if n.Usage == nil && n.PairedWith != "" {
					t.Errorf("%s paired without usage", n.ID)
				}
			})
			if len(paired) != len(tc.paired) {
				t.Errorf("paired = %v, want %v", paired, tc.paired)
			}
			for k, v := range tc.paired {
				if paired[k] != v {
					t.Errorf("paired[%s] = %q, want %q", k, paired[k], v)
				}
			}
			sum := tree.SummarizeTrace(tr)
			if sum.InputTokens != tc.in || sum.OutputTokens != tc.out {
				t.Errorf("summary tokens = %d/%d", sum.InputTokens, sum.OutputTokens)
			}
			leaves := 0
			var rowIn int64
			for _, r := range sum.Generations {
				if r.Leaf {
					leaves++
					rowIn += r.InputTokens
				}
			}
			if leaves != tc.calls || rowIn != tc.in {
				t.Errorf("stats rows: %d leaves with %d input tokens, want %d with %d", leaves, rowIn, tc.calls, tc.in)
			}
			ss, err := tree.AssembleSession(ctx, st, commit.NodeRef{Repo: "r", Kind: "session", ID: "s"})
			if err != nil {
				t.Fatal(err)
			}
			if s := tree.SummarizeSession(ss); s.TotalTokens != tc.in+tc.out {
				t.Errorf("session tokens = %d, want %d", s.TotalTokens, tc.in+tc.out)
			}
		})
	}
}

// TestCountsOfEveryNode: each node's Totals.Counts is the number of nodes
// by kind in its subtree, on generated trees, though the leaves of one
// kind share their map.
func TestCountsOfEveryNode(t *testing.T) {
	shared := 0
	for seed := uint64(1); seed <= 60; seed++ {
		tr := storetest.AssembledCase(t, memstore.New(), treegen.Generate(seed, treegen.DefaultOptions))
		leafMaps := map[commit.Entity]uintptr{}
		tree.Walk(tr.Root, func(n *tree.TreeNode) {
			want := map[string]int{}
			tree.Walk(n, func(d *tree.TreeNode) { want[string(d.Kind)]++ })
			if !maps.Equal(n.Totals.Counts, want) {
				t.Fatalf("seed %d %s %s: counts %v, subtree has %v", seed, n.Kind, n.ID, n.Totals.Counts, want)
			}
			if len(n.Children) == 0 {
				p := reflect.ValueOf(n.Totals.Counts).Pointer()
				if q, ok := leafMaps[n.Kind]; ok && q == p {
					shared++
				}
				leafMaps[n.Kind] = p
			}
		})
	}
	if shared == 0 {
		t.Error("no two leaves of a kind share their counts")
	}
}
