package tree

import (
	"context"
	"math"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/otelcol-genai/otelcol-genai/internal/pricing"
	"github.com/otelcol-genai/otelcol-genai/internal/store/memstore"
	"github.com/otelcol-genai/otelcol-genai/pkg/commit"
)

// These tests pin how the fold and assembly wire usage to the price table
// (which model, which time, which usage, sent vs computed, unknown models,
// leaf-only totals). The price table's own arithmetic is checked against
// the reference library in internal/pricing.

// assembleLines stores an SDK body and assembles trace t.
func assembleLines(t *testing.T, opts []Option, ls ...string) *Trace {
	t.Helper()
	st := memstore.New()
	cs := lines(t, strings.Join(ls, "\n"))
	if err := st.Apply(context.Background(), cs, EdgesOfAll(cs)); err != nil {
		t.Fatal(err)
	}
	tr, err := AssembleTrace(context.Background(), st, commit.NodeRef{Repo: "r", Kind: commit.EntityTrace, ID: "t"}, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return tr
}

func findNode(t *testing.T, root *TreeNode, id string) *TreeNode {
	t.Helper()
	var out *TreeNode
	Walk(root, func(n *TreeNode) {
		if n.ID == id {
			out = n
		}
	})
	if out == nil {
		t.Fatalf("node %s not in tree", id)
	}
	return out
}

func calc(t *testing.T, u pricing.Usage, model, provider string, at time.Time) pricing.Result {
	t.Helper()
	r, err := pricing.MustDefault().Calc(u, model, provider, at)
	if err != nil {
		t.Fatalf("price %s/%s: %v", provider, model, err)
	}
	return r
}

func near(a, b float64) bool { return math.Abs(a-b) <= 1e-12*math.Max(1, math.Abs(b)) }

const start = `"startTimestamp":"2025-06-01T10:00:00Z"`

func gen(id, model, provider string) string {
	return `trace{id=t,action=add-generation,data={"id":"` + id + `","model":"` + model + `","provider":"` + provider + `","messages":[],"modelParameters":{},` + start + `}}`
}

func result(id, model, usage string) string {
	return `generation{id=` + id + `,action=result,data={"result":{"id":"x","object":"chat.completion","created":1,"model":"` + model + `","choices":[],"usage":` + usage + `}}}`
}

func TestCostComputedFromUsage(t *testing.T) {
	tr := assembleLines(t, nil,
		`trace{id=t,action=create,data={"name":"n",`+start+`}}`,
		gen("g", "gpt-4o", "openai"),
		result("g", "gpt-4o-2024-08-06", `{"prompt_tokens":1000,"completion_tokens":500,"total_tokens":1500,"prompt_tokens_details":{"cached_tokens":400},"completion_tokens_details":{"reasoning_tokens":100}}`),
	)
	g := findNode(t, tr.Root, "g")
	if g.Usage == nil || g.Usage.InputTokens != 1000 || g.Usage.CacheReadTokens != 400 || g.Usage.ReasoningTokens != 100 {
		t.Fatalf("usage = %+v", g.Usage)
	}
	if g.Cost == nil || g.Cost.Source != CostComputed || g.Cost.Price == nil {
		t.Fatalf("cost = %+v, want a computed cost with its price", g.Cost)
	}
	// The response model (dated snapshot) is priced, at the start time.
	want := calc(t, pricing.Usage{InputTokens: 1000, CacheReadTokens: 400, OutputTokens: 500, ReasoningTokens: 100},
		"gpt-4o-2024-08-06", "openai", time.Date(2025, 6, 1, 10, 0, 0, 0, time.UTC))
	if !near(g.Cost.Total, want.TotalCost) || !near(g.Cost.Input, want.InputCost) || !near(g.Cost.Output, want.OutputCost) {
		t.Fatalf("cost = %+v, want %+v", g.Cost, want)
	}
	// Cache reads are cheaper than fresh input: the computed input cost is
	// below 1000 tokens at the full input rate.
	in := g.Cost.Price.Prices["input_mtok"]
	if in <= 0 || !(g.Cost.Input < 1000*in/1e6) || g.Cost.Price.Prices["cache_read_mtok"] <= 0 {
		t.Fatalf("cache reads not priced at their own rate: %+v", g.Cost)
	}
	if tr.Root.Totals.Cost != g.Cost.Total || tr.Root.Totals.UnpricedGenerations != 0 {
		t.Fatalf("trace totals = %+v", tr.Root.Totals)
	}
}

func TestSentCostWins(t *testing.T) {
	tr := assembleLines(t, nil,
		`trace{id=t,action=create,data={"name":"n",`+start+`}}`,
		gen("g", "gpt-4o", "openai"),
		result("g", "gpt-4o", `{"prompt_tokens":1000,"completion_tokens":500,"total_tokens":1500}`),
		`generation{id=g,action=add-cost,data={"cost":{"input":0.5,"output":0.25,"total":0.75}}}`,
	)
	g := findNode(t, tr.Root, "g")
	if g.Cost == nil || g.Cost.Source != CostSent || g.Cost.Total != 0.75 || g.Cost.Price != nil {
		t.Fatalf("cost = %+v, want the sent cost", g.Cost)
	}
	if tr.Root.Totals.Cost != 0.75 {
		t.Fatalf("totals cost = %v", tr.Root.Totals.Cost)
	}
}

func TestUnknownModelIsUnpricedNotZero(t *testing.T) {
	tr := assembleLines(t, nil,
		`trace{id=t,action=create,data={"name":"n",`+start+`}}`,
		gen("a", "gpt-4o", "openai"),
		result("a", "gpt-4o", `{"prompt_tokens":10,"completion_tokens":5,"total_tokens":15}`),
		gen("b", "totally-unknown-model-xyz", "nobody"),
		result("b", "totally-unknown-model-xyz", `{"prompt_tokens":10,"completion_tokens":5,"total_tokens":15}`),
	)
	b := findNode(t, tr.Root, "b")
	if b.Cost != nil {
		t.Fatalf("unknown model got cost %+v", b.Cost)
	}
	a := findNode(t, tr.Root, "a")
	tot := tr.Root.Totals
	if tot.UnpricedGenerations != 1 || a.Cost == nil || tot.Cost != a.Cost.Total || tot.TotalTokens != 30 {
		t.Fatalf("totals = %+v, want a's cost, 1 unpriced, both generations' tokens", tot)
	}
	if row := SummarizeTrace(tr); row.UnpricedGenerations != 1 || row.Cost != a.Cost.Total {
		t.Fatalf("summary row = %+v", row)
	}
}

// An Anthropic usage object counts cache reads and writes outside
// input_tokens; the fold makes input inclusive so each token is priced
// once, at its own rate.
func TestAnthropicUsageIsMadeInclusive(t *testing.T) {
	tr := assembleLines(t, nil,
		`trace{id=t,action=create,data={"name":"n",`+start+`}}`,
		gen("g", "claude-3-5-sonnet-20241022", "anthropic"),
		`generation{id=g,action=result,data={"result":{"id":"m","object":"chat.completion","created":1,"model":"claude-3-5-sonnet-20241022","choices":[],"usage":{"input_tokens":100,"cache_read_input_tokens":2000,"cache_creation_input_tokens":300,"output_tokens":50}}}}`,
	)
	g := findNode(t, tr.Root, "g")
	u := g.Usage
	if u == nil || u.InputTokens != 2400 || u.CacheReadTokens != 2000 || u.CacheWriteTokens != 300 || u.OutputTokens != 50 || u.TotalTokens != 2450 {
		t.Fatalf("usage = %+v", u)
	}
	want := calc(t, pricing.Usage{InputTokens: 2400, CacheReadTokens: 2000, CacheWriteTokens: 300, OutputTokens: 50},
		"claude-3-5-sonnet-20241022", "anthropic", time.Date(2025, 6, 1, 10, 0, 0, 0, time.UTC))
	if g.Cost == nil || !near(g.Cost.Total, want.TotalCost) {
		t.Fatalf("cost = %+v, want %v", g.Cost, want.TotalCost)
	}
}

// A generation whose subtree holds generations is an aggregate: shown with
// its own usage and cost, counted once through its children.
func TestNestedGenerationsCountedOnce(t *testing.T) {
	tr := assembleLines(t, nil,
		`trace{id=t,action=create,data={"name":"n",`+start+`}}`,
		gen("outer", "gpt-4o", "openai"),
		result("outer", "gpt-4o", `{"prompt_tokens":300,"completion_tokens":30,"total_tokens":330}`),
		`generation{id=outer,action=add-generation,data={"id":"in1","model":"gpt-4o","provider":"openai","messages":[],"modelParameters":{},`+start+`}}`,
		result("in1", "gpt-4o", `{"prompt_tokens":100,"completion_tokens":10,"total_tokens":110}`),
		`generation{id=outer,action=add-generation,data={"id":"in2","model":"gpt-4o","provider":"openai","messages":[],"modelParameters":{},`+start+`}}`,
		result("in2", "gpt-4o", `{"prompt_tokens":200,"completion_tokens":20,"total_tokens":220}`),
	)
	outer := findNode(t, tr.Root, "outer")
	if outer.Usage == nil || outer.Usage.TotalTokens != 330 || outer.Cost == nil {
		t.Fatalf("outer keeps its own usage and cost: %+v %+v", outer.Usage, outer.Cost)
	}
	in1, in2 := findNode(t, tr.Root, "in1"), findNode(t, tr.Root, "in2")
	tot := tr.Root.Totals
	if tot.TotalTokens != 330 || tot.InputTokens != 300 || !near(tot.Cost, in1.Cost.Total+in2.Cost.Total) {
		t.Fatalf("totals = %+v, want the two leaf calls once (330 tokens)", tot)
	}
	if outer.Totals.TotalTokens != 330 {
		t.Fatalf("outer subtree totals = %+v", outer.Totals)
	}
}

// The price in force at the generation's start is used: an override that
// takes effect later does not apply to an earlier call.
func TestPriceAtStartTime(t *testing.T) {
	table, err := pricing.MustDefault().With([]pricing.Override{
		{Model: "house-model", InputMTok: ptr(1.0), OutputMTok: ptr(2.0)},
		{Model: "house-model", InputMTok: ptr(10.0), OutputMTok: ptr(20.0), EffectiveFrom: "2025-07-01"},
	})
	if err != nil {
		t.Fatal(err)
	}
	tr := assembleLines(t, []Option{WithPrices(table)},
		`trace{id=t,action=create,data={"name":"n",`+start+`}}`,
		gen("june", "house-model", "acme"),
		result("june", "house-model", `{"prompt_tokens":1000000,"completion_tokens":1000000,"total_tokens":2000000}`),
		`trace{id=t,action=add-generation,data={"id":"july","model":"house-model","provider":"acme","messages":[],"modelParameters":{},"startTimestamp":"2025-07-02T00:00:00Z"}}`,
		result("july", "house-model", `{"prompt_tokens":1000000,"completion_tokens":1000000,"total_tokens":2000000}`),
	)
	june, july := findNode(t, tr.Root, "june"), findNode(t, tr.Root, "july")
	if june.Cost == nil || !near(june.Cost.Total, 3) || june.Cost.Price.Source != "config" {
		t.Fatalf("june = %+v", june.Cost)
	}
	if july.Cost == nil || !near(july.Cost.Total, 30) {
		t.Fatalf("july = %+v", july.Cost)
	}
	// Without the option the embedded table knows no such model.
	plain := assembleLines(t, nil,
		`trace{id=t,action=create,data={"name":"n",`+start+`}}`,
		gen("june", "house-model", "acme"),
		result("june", "house-model", `{"prompt_tokens":1,"completion_tokens":1,"total_tokens":2}`),
	)
	if c := findNode(t, plain.Root, "june").Cost; c != nil {
		t.Fatalf("embedded table priced house-model: %+v", c)
	}
}

func ptr(f float64) *float64 { return &f }

// A router-style "<provider>/<model>" name is priced as that provider's
// model when the price data does not know the prefixed name.
func TestProviderPrefixedModel(t *testing.T) {
	tr := assembleLines(t, nil,
		`trace{id=t,action=create,data={"name":"n",`+start+`}}`,
		gen("g", "openai/gpt-4o", ""),
		result("g", "openai/gpt-4o", `{"prompt_tokens":100,"completion_tokens":10,"total_tokens":110}`),
	)
	g := findNode(t, tr.Root, "g")
	want := calc(t, pricing.Usage{InputTokens: 100, OutputTokens: 10}, "gpt-4o", "openai", time.Date(2025, 6, 1, 10, 0, 0, 0, time.UTC))
	if g.Cost == nil || !near(g.Cost.Total, want.TotalCost) {
		t.Fatalf("cost = %+v, want %v", g.Cost, want.TotalCost)
	}
}

// TestGenerationsPricedAlikeShareTheirPrice: in one tree, generations
// priced by the same model and price share one PriceRef (read-only, as the
// tree is), each with its own cost; a generation of another model has its
// own. Each PriceRef says what it says for that node alone (Fold).
func TestGenerationsPricedAlikeShareTheirPrice(t *testing.T) {
	tr := assembleLines(t, nil,
		`trace{id=t,action=create,data={"name":"n",`+start+`}}`,
		gen("g1", "gpt-4o-mini", "openai"),
		result("g1", "gpt-4o-mini", `{"prompt_tokens":100,"completion_tokens":20,"total_tokens":120}`),
		gen("g2", "gpt-4o-mini", "openai"),
		result("g2", "gpt-4o-mini", `{"prompt_tokens":5000,"completion_tokens":7,"total_tokens":5007,"prompt_tokens_details":{"cached_tokens":4000}}`),
		gen("g3", "gpt-4o", "openai"),
		result("g3", "gpt-4o", `{"prompt_tokens":100,"completion_tokens":20,"total_tokens":120}`),
	)
	g1, g2, g3 := findNode(t, tr.Root, "g1"), findNode(t, tr.Root, "g2"), findNode(t, tr.Root, "g3")
	for _, g := range []*TreeNode{g1, g2, g3} {
		if g.Cost == nil || g.Cost.Price == nil {
			t.Fatalf("%s: cost = %+v", g.ID, g.Cost)
		}
	}
	if g1.Cost.Price != g2.Cost.Price {
		t.Errorf("g1 and g2 (gpt-4o-mini) have two PriceRefs: %+v, %+v", g1.Cost.Price, g2.Cost.Price)
	}
	if g1.Cost.Price == g3.Cost.Price {
		t.Error("g3 (gpt-4o) shares gpt-4o-mini's PriceRef")
	}
	if g1.Cost == g2.Cost || near(g1.Cost.Total, g2.Cost.Total) {
		t.Errorf("g1 and g2 share a cost: %+v, %+v", g1.Cost, g2.Cost)
	}
	// Each says what it would say in a tree of that generation alone.
	alone := map[string][2]string{
		"g1": {"gpt-4o-mini", `{"prompt_tokens":100,"completion_tokens":20,"total_tokens":120}`},
		"g2": {"gpt-4o-mini", `{"prompt_tokens":5000,"completion_tokens":7,"total_tokens":5007,"prompt_tokens_details":{"cached_tokens":4000}}`},
		"g3": {"gpt-4o", `{"prompt_tokens":100,"completion_tokens":20,"total_tokens":120}`},
	}
	for _, g := range []*TreeNode{g1, g2, g3} {
		a := alone[g.ID]
		single := findNode(t, assembleLines(t, nil, `trace{id=t,action=create,data={"name":"n",`+start+`}}`,
			gen(g.ID, a[0], "openai"), result(g.ID, a[0], a[1])).Root, g.ID)
		if !reflect.DeepEqual(single.Cost, g.Cost) {
			t.Errorf("%s: cost %+v (price %+v) in the tree, %+v (price %+v) alone", g.ID, g.Cost, g.Cost.Price, single.Cost, single.Cost.Price)
		}
	}
}
