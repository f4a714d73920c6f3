package tree

import (
	"testing"

	"github.com/otelcol-genai/otelcol-genai/internal/store"
	"github.com/otelcol-genai/otelcol-genai/pkg/commit"
)

func mustLine(t testing.TB, line string) commit.Commit {
	t.Helper()
	c, err := commit.ParseLine("r", []byte(line), 1)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func ref(kind commit.Entity, id string) commit.NodeRef {
	return commit.NodeRef{Repo: "r", Kind: kind, ID: id}
}

func TestEdgesOf(t *testing.T) {
	pyErr := `span{id=s1,action=add-error,data={"startTimestamp": "2026-11-22T08:35:08.941910+00:00", "message": "boom", "code": "E1"}}`
	cases := []struct {
		line string
		want []store.Edge
	}{
		{`trace{id=t1,action=add-span,data={"id":"s1"}}`, []store.Edge{{Parent: ref("trace", "t1"), Child: ref("span", "s1")}}},
		{`span{id=s1,action=add-generation,data={"id":"g1","spanId":"s1"}}`, []store.Edge{{Parent: ref("span", "s1"), Child: ref("generation", "g1")}}},
		{`span{id=s1,action=add-retrieval,data={"id":"r1"}}`, []store.Edge{{Parent: ref("span", "s1"), Child: ref("retrieval", "r1")}}},
		{`trace{id=t1,action=add-tool-call,data={"id":"c1"}}`, []store.Edge{{Parent: ref("trace", "t1"), Child: ref("tool_call", "c1")}}},
		{`trace{id=t1,action=add-error,data={"id":"e1"}}`, []store.Edge{{Parent: ref("trace", "t1"), Child: ref("error", "e1")}}},
		{pyErr, []store.Edge{{Parent: ref("span", "s1"), Child: ref("error", SynthErrorID("s1", "boom", "2026-11-22T08:35:08.941910+00:00"))}}},
		{`trace{id=t1,action=create,data={"sessionId":"S"}}`, []store.Edge{{Parent: ref("session", "S"), Child: ref("trace", "t1")}}},
		{`trace{id=t1,action=update,data={"sessionId":"S2"}}`, []store.Edge{{Parent: ref("session", "S2"), Child: ref("trace", "t1")}}},
		{`tool_call{id=c9,action=create,data={"spanId":"s1","name":"x"}}`, []store.Edge{{Parent: ref("span", "s1"), Child: ref("tool_call", "c9")}}},
		{`generation{id=g9,action=create,data={"traceId":"t1"}}`, []store.Edge{{Parent: ref("trace", "t1"), Child: ref("generation", "g9")}}},
		// An entity this code does not know is hung under the parent it names.
		{`widget{id=w1,action=create,data={"spanId":"s1","traceId":"t1"}}`, []store.Edge{{Parent: ref("span", "s1"), Child: ref("widget", "w1")}}},
		{`span{id=s1,action=create,data={"spanId":"s1"}}`, nil}, // not its own parent
		{`trace{id=t1,action=create,data={"traceId":"t2"}}`, nil},
		// Sub-records and ordinary mutations imply no edge.
		{`trace{id=t1,action=add-event,data={"id":"ev"}}`, nil},
		{`trace{id=t1,action=add-attachment,data={"id":"a"}}`, nil},
		{`trace{id=t1,action=add-feedback,data={"score":1}}`, nil},
		{`trace{id=t1,action=add-span,data={}}`, nil}, // no child id: nothing to link
		{`trace{id=t1,action=add-span,data=null}`, nil},
		{`trace{id=t1,action=update,data={"output":"x"}}`, nil},
	}
	for _, tc := range cases {
		c := mustLine(t, tc.line)
		got := EdgesOf(&c)
		if len(got) != len(tc.want) {
			t.Errorf("%s: got %v want %v", tc.line, got, tc.want)
			continue
		}
		for i := range got {
			if got[i] != tc.want[i] {
				t.Errorf("%s: edge %d = %v want %v", tc.line, i, got[i], tc.want[i])
			}
		}
	}
	// The synthesized id is deterministic and depends on its inputs.
	a, b := mustLine(t, pyErr), mustLine(t, pyErr)
	ra, _ := ChildRef(&a)
	rb, _ := ChildRef(&b)
	if ra != rb {
		t.Fatal("synthesized error id not deterministic")
	}
	if SynthErrorID("s1", "boom", "x") == SynthErrorID("s2", "boom", "x") {
		t.Fatal("synthesized id ignores the parent")
	}
}
