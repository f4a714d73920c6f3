package tree

import (
	"slices"
	"strings"
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

// TestCheckIDs: a commit whose data names a node by an id the query API
// cannot read (over commit.MaxIDLen bytes, control characters) is refused
// like a commit with such an id of its own, whichever field names it.
func TestCheckIDs(t *testing.T) {
	long := strings.Repeat("x", commit.MaxIDLen+1)
	atLimit := strings.Repeat("x", commit.MaxIDLen)
	bad := map[string]string{
		`trace{id=t1,action=create,data={"sessionId":"` + long + `"}}`:        "data names a session: entity id is 513 bytes, over the 512-byte limit",
		`trace{id=t1,action=update,data={"sessionId":"a\u0000b"}}`:            "data names a session: entity id",
		`trace{id=t1,action=add-span,data={"id":"` + long + `"}}`:             "data names a span: entity id is 513 bytes",
		`span{id=s1,action=add-generation,data={"id":"g\u0007"}}`:             "data names a generation: entity id",
		`tool_call{id=c9,action=create,data={"spanId":"` + long + `"}}`:       "data names a span: entity id is 513 bytes",
		`generation{id=g9,action=create,data={"traceId":"` + long + `"}}`:     "data names a trace: entity id is 513 bytes",
		`trace{id=t1,action=add-span,data={"id":{"k":"` + atLimit + `"}}}`:    "data names a span: entity id is 520 bytes",
		`trace{id=t1,action=add-tool-call,data={"id":"c1\u007f","name":"x"}}`: "data names a tool_call: entity id",
	}
	for line, want := range bad {
		c := mustLine(t, line)
		err := CheckIDs(&c)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%.80s: got %v, want %q", line, err, want)
		}
	}
	good := []string{
		`trace{id=t1,action=create,data={"sessionId":"` + atLimit + `"}}`,
		`trace{id=t1,action=add-span,data={"id":"` + atLimit + `"}}`,
		`span{id=s1,action=add-error,data={"message":"` + long + `"}}`, // synthesized id
		`trace{id=t1,action=update,data={"tags":{"` + long + `":"v"}}}`,
	}
	for _, line := range good {
		c := mustLine(t, line)
		if err := CheckIDs(&c); err != nil {
			t.Errorf("%.80s: %v", line, err)
		}
	}
	c := commit.Commit{Repo: "r", Entity: commit.EntityTrace, EntityID: long, Action: commit.ActionCreate, Data: []byte(`{}`)}
	if err := CheckIDs(&c); err == nil {
		t.Error("a commit's own id over the limit passed")
	}
}

// TestAdmit keeps the good commits with their edges and reports each bad
// one; a batch without bad commits comes back as it was.
func TestAdmit(t *testing.T) {
	long := strings.Repeat("x", commit.MaxIDLen+1)
	good1 := mustLine(t, `trace{id=t1,action=add-span,data={"id":"s1"}}`)
	bad := mustLine(t, `trace{id=t1,action=create,data={"sessionId":"`+long+`"}}`)
	good2 := mustLine(t, `trace{id=t1,action=create,data={"sessionId":"S"}}`)
	kept, edges, err := Admit([]commit.Commit{good1, bad, good2})
	if err == nil || !strings.Contains(err.Error(), "trace create: data names a session") {
		t.Fatalf("error %v", err)
	}
	if len(kept) != 2 || kept[0].ID != good1.ID || kept[1].ID != good2.ID {
		t.Fatalf("kept %d commits", len(kept))
	}
	want := []store.Edge{{Parent: ref("trace", "t1"), Child: ref("span", "s1")}, {Parent: ref("session", "S"), Child: ref("trace", "t1")}}
	if !slices.Equal(edges, want) {
		t.Fatalf("edges %v, want %v", edges, want)
	}
	all := []commit.Commit{good1, good2}
	kept, edges, err = Admit(all)
	if err != nil || len(kept) != 2 || &kept[0] != &all[0] || !slices.Equal(edges, want) {
		t.Fatalf("clean batch: %v, %d kept, edges %v", err, len(kept), edges)
	}
}
