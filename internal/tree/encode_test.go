package tree_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"math"
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

// A value encoding/json refuses (here a NaN metric) fails WriteJSON as it
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
}
