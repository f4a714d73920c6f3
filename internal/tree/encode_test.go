package tree_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"

	"github.com/otelcol-genai/otelcol-genai/internal/store/memstore"
	"github.com/otelcol-genai/otelcol-genai/internal/store/storetest"
	"github.com/otelcol-genai/otelcol-genai/internal/tree"
	"github.com/otelcol-genai/otelcol-genai/internal/tree/treegen"
	"github.com/otelcol-genai/otelcol-genai/pkg/commit"
)

// sameAsMarshal checks that the streamed encoding of v is json.Marshal's,
// byte for byte, plus the newline json.Encoder ends with.
func sameAsMarshal(t *testing.T, name string, v any, write func(*bytes.Buffer) error) {
	t.Helper()
	want, err := json.Marshal(v)
	if err != nil {
		t.Fatalf("%s: marshal: %v", name, err)
	}
	var got bytes.Buffer
	if err := write(&got); err != nil {
		t.Fatalf("%s: WriteJSON: %v", name, err)
	}
	want = append(want, '\n')
	if !bytes.Equal(got.Bytes(), want) {
		i := 0
		for i < min(got.Len(), len(want)) && got.Bytes()[i] == want[i] {
			i++
		}
		lo := max(0, i-80)
		t.Fatalf("%s: WriteJSON differs from json.Marshal at byte %d of %d:\n got …%s\nwant …%s", name, i, len(want),
			got.Bytes()[lo:min(got.Len(), i+80)], want[lo:min(len(want), i+80)])
	}
}

func checkTrace(t *testing.T, name string, tr *tree.Trace) {
	t.Helper()
	sameAsMarshal(t, name, tr, func(b *bytes.Buffer) error { return tr.WriteJSON(b) })
}

// TestWriteJSONIsMarshal pins the streamed encoding to json.Marshal's on
// every kind of tree the fold makes: the captured SDK traffic, random
// traces and sessions from treegen (every field and sub-record), a
// flattened deep chain, and a 10,000-node trace (many encode windows,
// encoded in parallel).
func TestWriteJSONIsMarshal(t *testing.T) {
	ctx := context.Background()
	st := replayCapture(t)
	for _, id := range []string{"trace-001", "trace-002", "trace-edge"} {
		tr, err := tree.AssembleTrace(ctx, st, commit.NodeRef{Repo: "repo-local-1", Kind: commit.EntityTrace, ID: id})
		if err != nil {
			t.Fatal(err)
		}
		checkTrace(t, id, tr)
	}
	s, err := tree.AssembleSession(ctx, st, commit.NodeRef{Repo: "repo-local-1", Kind: commit.EntitySession, ID: "sess-001"})
	if err != nil {
		t.Fatal(err)
	}
	sameAsMarshal(t, "sess-001", s, func(b *bytes.Buffer) error { return s.WriteJSON(b) })

	for seed := uint64(1); seed <= 300; seed++ {
		c := treegen.Generate(seed, treegen.DefaultOptions)
		b := memstore.New()
		if err := storetest.Deliver(ctx, b, storetest.Deliveries(c)[0]); err != nil {
			t.Fatal(err)
		}
		tr, err := tree.AssembleTrace(ctx, b, c.Trace)
		if err != nil {
			t.Fatal(err)
		}
		checkTrace(t, "treegen trace", tr)
		for _, ref := range c.Sessions {
			s, err := tree.AssembleSession(ctx, b, ref)
			if err != nil {
				t.Fatal(err)
			}
			sameAsMarshal(t, "treegen session", s, func(b *bytes.Buffer) error { return s.WriteJSON(b) })
		}
	}

	deep := assembleT(t, load(t, chain(600)))
	if !tree.LimitDepth(deep.Root, 5) {
		t.Fatal("the chain was not flattened")
	}
	checkTrace(t, "flattened chain", deep)

	big, ref, _ := bigTrace(t, 99, 100)
	tr, err := tree.AssembleTrace(ctx, big, ref)
	if err != nil {
		t.Fatal(err)
	}
	checkTrace(t, "10k nodes", tr)

	lone := assembleT(t, load(t, `trace{id=t,action=create,data={"name":"<b>&</b>"}}`))
	checkTrace(t, "childless root", lone)
	checkTrace(t, "no root", &tree.Trace{Repo: "r"})
}

// A value encoding/json refuses (a NaN metric, broken raw JSON) fails WriteJSON as it
// fails json.Marshal, naming the node, instead of writing a broken
// document without a word.
func TestWriteJSONReportsEncodingErrors(t *testing.T) {
	tr := assembleT(t, load(t, strings.Join([]string{
		`trace{id=t,action=create,data={}}`,
		`trace{id=t,action=add-span,data={"id":"s0"}}`,
	}, "\n")))
	tr.Root.Children[0].Metrics = map[string]float64{"bad": math.NaN()}
	if _, err := json.Marshal(tr); err == nil {
		t.Fatal("json.Marshal encoded NaN: the test is moot")
	}
	var out bytes.Buffer
	err := tr.WriteJSON(&out)
	var unsupported *json.UnsupportedValueError
	if !errors.As(err, &unsupported) || !strings.Contains(err.Error(), "span s0") {
		t.Fatalf("WriteJSON error = %v, want the UnsupportedValueError of span s0", err)
	}

	// Raw JSON that is not JSON (the fold never keeps any, but a Node can
	// be built by hand) is refused as json.Marshal refuses it.
	tr.Root.Children[0].Metrics = nil
	tr.Root.Children[0].Output = json.RawMessage(`{"a":`)
	_, merr := json.Marshal(tr)
	var marshalerErr *json.MarshalerError
	if !errors.As(merr, &marshalerErr) {
		t.Fatalf("json.Marshal of broken raw JSON: %v, want a MarshalerError", merr)
	}
	err = tr.WriteJSON(&out)
	if !errors.As(err, &marshalerErr) || !strings.Contains(err.Error(), "span s0") {
		t.Fatalf("WriteJSON error = %v, want the MarshalerError of span s0", err)
	}
}

// TestWriteJSONEveryField fills every exported field of random trees of
// TreeNodes by reflection (nested structs, pointers, slices, maps and
// model-parameter values too) with values chosen to trip an encoder:
// HTML-sensitive and control characters, invalid UTF-8, U+2028, floats on
// both sides of the exponent-form bounds, raw JSON that is not compact or
// needs escaping, nil and empty maps and slices. The node heads are written
// by hand (nodejson.go), so a field added to Node, TreeNode or a type they
// hold, without its line there, fails here whatever treegen generates.
func TestWriteJSONEveryField(t *testing.T) {
	for seed := uint64(1); seed <= 400; seed++ {
		f := filler{rand.New(rand.NewPCG(seed, 7))}
		root := &tree.TreeNode{}
		f.fill(reflect.ValueOf(root).Elem(), 0)
		checkTrace(t, fmt.Sprintf("seed %d", seed), &tree.Trace{Repo: "r<&>", Root: root, CommitCount: 3, LastVersion: 9})
	}
}

// TestAppendNodeJSONIsMarshal: a Node alone (what the feed fingerprints)
// encodes as json.Marshal encodes it, every field filled at random.
func TestAppendNodeJSONIsMarshal(t *testing.T) {
	for seed := uint64(1); seed <= 400; seed++ {
		f := filler{rand.New(rand.NewPCG(seed, 11))}
		var n tree.Node
		f.fill(reflect.ValueOf(&n).Elem(), 0)
		want, werr := json.Marshal(&n)
		got, err := tree.AppendNodeJSON([]byte("x"), &n)
		if (err != nil) != (werr != nil) {
			t.Fatalf("seed %d: error %v, json.Marshal's %v", seed, err, werr)
		}
		if werr == nil && string(got[1:]) != string(want) {
			t.Fatalf("seed %d:\n got %s\nwant %s", seed, got[1:], want)
		}
	}
}

type filler struct{ r *rand.Rand }

var (
	fillStrings = []string{"", "plain", "<b>a&amp;b</b>", `q"uo\te`, "ctl\x00\x01\x1f\x7f", "\b\f\n\r\t", "héllo ☃ 😀",
		"bad\xffutf\xc3", "ls\u2028ps\u2029", "\u2027\u202a"}
	fillFloats = []float64{0, math.Copysign(0, -1), 1.5, -2, 1e-6, 9.99e-7, 1e-7, 1.234e-300, 5e-324, 1e20, 1e21,
		-3.5e25, 0.1 + 0.2, 123456789.125, math.MaxFloat64, 12}
	fillInts = []int64{0, 1, -5, 1 << 53, math.MaxInt64, math.MinInt64}
	// Valid JSON only: invalid raw JSON fails json.Marshal, which
	// TestWriteJSONReportsEncodingErrors covers.
	fillRaws = []string{"", `{"a":1}`, `[1, 2]`, ` {"b" : "c"} `, `"<x>&"`, "\"a\u2028b\"", `"\u003c"`, `1e5`,
		`null`, `true`, `{"k":"héllo"}`, `[]`, "{\"n\":\n1}", `"\/"`}
	rawType = reflect.TypeFor[json.RawMessage]()
)

func (f filler) fill(v reflect.Value, depth int) {
	if v.Type() == rawType {
		if s := fillRaws[f.r.IntN(len(fillRaws))]; s != "" {
			v.SetBytes([]byte(s))
		}
		return
	}
	switch v.Kind() {
	case reflect.String:
		v.SetString(fillStrings[f.r.IntN(len(fillStrings))])
	case reflect.Bool:
		v.SetBool(f.r.IntN(2) == 0)
	case reflect.Int, reflect.Int64:
		v.SetInt(fillInts[f.r.IntN(len(fillInts))])
	case reflect.Float64:
		v.SetFloat(fillFloats[f.r.IntN(len(fillFloats))])
	case reflect.Uint8:
		v.SetUint(uint64(f.r.IntN(256)))
	case reflect.Array:
		for i := range v.Len() {
			f.fill(v.Index(i), depth)
		}
	case reflect.Struct:
		for i := range v.NumField() {
			if v.Type().Field(i).IsExported() && f.r.IntN(4) > 0 {
				f.fill(v.Field(i), depth)
			}
		}
	case reflect.Pointer:
		// A tree has no nil children.
		if v.Type() == reflect.TypeFor[*tree.TreeNode]() || f.r.IntN(4) > 0 {
			v.Set(reflect.New(v.Type().Elem()))
			f.fill(v.Elem(), depth)
		}
	case reflect.Slice:
		// Children: a few levels of a small tree.
		if v.Type().Elem() == reflect.TypeFor[*tree.TreeNode]() && depth >= 2 {
			return
		}
		n := f.r.IntN(4)
		if n == 0 && f.r.IntN(2) == 0 {
			return // nil
		}
		s := reflect.MakeSlice(v.Type(), n, n)
		for i := range n {
			f.fill(s.Index(i), depth+1)
		}
		v.Set(s)
	case reflect.Map:
		n := f.r.IntN(4)
		if n == 0 && f.r.IntN(2) == 0 {
			return // nil
		}
		m := reflect.MakeMap(v.Type())
		for range n {
			k := reflect.New(v.Type().Key()).Elem()
			f.fill(k, depth)
			e := reflect.New(v.Type().Elem()).Elem()
			f.fill(e, depth+1)
			m.SetMapIndex(k, e)
		}
		v.Set(m)
	case reflect.Interface:
		// What decoded model parameters hold.
		vals := []any{nil, "s<", 1e-7, true, map[string]any{"x": 1.0, "<": "y"}, []any{1.0, "a", nil}}
		if x := vals[f.r.IntN(len(vals))]; x != nil {
			v.Set(reflect.ValueOf(x))
		}
	default:
		panic("filler: no values for " + v.Type().String())
	}
}

// The generations of a tree share PriceRefs, and the encoder writes each
// one's JSON once and copies it after (headJSON.price). A copy must be
// the same bytes json.Marshal writes for that node: shared refs in
// alternation, equal prices behind different pointers, more distinct refs
// than the memo holds, and a ref encoding/json refuses, which must fail
// every time it comes, not only the first.
func TestWriteJSONSharedPrices(t *testing.T) {
	refs := make([]*tree.PriceRef, 12)
	for i := range refs {
		refs[i] = &tree.PriceRef{Provider: "openai", Model: fmt.Sprintf("m<%d>", i%3), Source: "test",
			Prices: map[string]float64{"input_mtok": 0.15 * float64(i+1), "output_mtok": 0.6, "cache_read_mtok": 1e-7}}
	}
	refs[5].Provider = "" // omitted
	refs[6].Prices = nil  // omitted
	root := &tree.TreeNode{Node: tree.Node{Kind: commit.EntityTrace, ID: "t"}}
	for i := range 200 {
		ref := refs[0]
		switch {
		case i%2 == 1:
			ref = refs[1]
		case i%7 == 0:
			ref = refs[2+i%10]
		}
		root.Children = append(root.Children, &tree.TreeNode{Node: tree.Node{Kind: commit.EntityGeneration, ID: fmt.Sprintf("g%03d", i),
			Cost: &tree.Cost{Input: 1, Output: 2, Total: 3, Source: tree.CostComputed, Price: ref}}})
	}
	checkTrace(t, "shared prices", &tree.Trace{Repo: "r", Root: root})

	bad := &tree.PriceRef{Model: "m", Source: "test", Prices: map[string]float64{"input_mtok": math.NaN()}}
	for _, i := range []int{3, 150} {
		root.Children[i].Cost = &tree.Cost{Source: tree.CostComputed, Price: bad}
	}
	var out bytes.Buffer
	var unsupported *json.UnsupportedValueError
	if err := (&tree.Trace{Repo: "r", Root: root}).WriteJSON(&out); !errors.As(err, &unsupported) || !strings.Contains(err.Error(), "g003") {
		t.Fatalf("WriteJSON error = %v, want the UnsupportedValueError of g003", err)
	}
	root.Children[3].Cost = nil
	if err := (&tree.Trace{Repo: "r", Root: root}).WriteJSON(&out); !errors.As(err, &unsupported) || !strings.Contains(err.Error(), "g150") {
		t.Fatalf("WriteJSON error = %v, want the UnsupportedValueError of g150 (a refused price fails every node that has it)", err)
	}
}
