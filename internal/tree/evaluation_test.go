package tree

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"github.com/otelcol-genai/otelcol-genai/pkg/commit"
)

// Verdicts are keyed by evaluator: whatever order two verdicts of one
// evaluator arrive in (a replay, two collectors judging at once), the node
// holds exactly one, the same one, beside the SDK's evaluation requests.
func TestFoldEvaluationVerdictOnePerEvaluator(t *testing.T) {
	request := `generation{id=g,action=evaluate,data={"with":"evaluators","evaluators":["pii"],"timestamp":"2026-01-01T00:00:00Z"}}`
	a := `generation{id=g,action=evaluate,data={"with":"result","evaluator":"relevance","score":0.9,"pass":true,"reason":"on topic","judge":{"model":"gpt-4o-mini","inputTokens":120,"outputTokens":30,"cost":0.0001,"attempts":2},"timestamp":"2026-01-01T00:00:01Z"}}`
	b := `generation{id=g,action=evaluate,data={"with":"result","evaluator":"relevance","score":0.2,"pass":false,"reason":"off topic","timestamp":"2026-01-01T00:00:02Z"}}`
	pii := `generation{id=g,action=evaluate,data={"with":"result","evaluator":"pii","score":1,"pass":true,"reason":"none found","timestamp":"2026-01-01T00:00:03Z"}}`
	ref := commit.NodeRef{Repo: "r", Kind: "generation", ID: "g"}
	var want []byte
	for i, order := range [][]string{{request, a, b, pii}, {pii, b, a, request}, {b, request, pii, a, b}} {
		n := Fold(ref, lines(t, strings.Join(order, "\n")))
		got, err := json.Marshal(n.Evaluations)
		if err != nil {
			t.Fatal(err)
		}
		if i == 0 {
			want = got
			if len(n.Evaluations) != 3 {
				t.Fatalf("want the request and one verdict per evaluator, got %s", got)
			}
			var verdicts int
			for _, ev := range n.Evaluations {
				if ev.With != EvaluationWithResult {
					continue
				}
				verdicts++
				if ev.Score == nil || ev.Pass == nil || ev.Reason == "" || ev.Key != "result:"+ev.Evaluator {
					t.Errorf("verdict fields not read: %+v", ev)
				}
			}
			if verdicts != 2 {
				t.Errorf("verdicts = %d, want 2: %s", verdicts, got)
			}
			continue
		}
		if string(got) != string(want) {
			t.Errorf("order %d: evaluations differ:\n got %s\nwant %s", i, got, want)
		}
	}
}

func TestFoldEvaluationVerdictJudgeAndError(t *testing.T) {
	n := Fold(commit.NodeRef{Repo: "r", Kind: "trace", ID: "t"}, lines(t, strings.Join([]string{
		`trace{id=t,action=evaluate,data={"with":"result","evaluator":"relevance","error":"judge: 3 attempts: status 500","judge":{"model":"m","attempts":3},"timestamp":"2026-01-01T00:00:01Z"}}`,
		`trace{id=t,action=evaluate,data={"with":"result","evaluator":"latency","score":"high","pass":"yes","timestamp":"2026-01-01T00:00:01Z"}}`,
	}, "\n")))
	if len(n.Evaluations) != 2 {
		t.Fatalf("evaluations: %+v", n.Evaluations)
	}
	for _, ev := range n.Evaluations {
		switch ev.Evaluator {
		case "relevance":
			if ev.Error == "" || ev.Score != nil || ev.Judge == nil || ev.Judge.Attempts != 3 || ev.Judge.Model != "m" {
				t.Errorf("failed verdict: %+v judge=%+v", ev, ev.Judge)
			}
		case "latency":
			if ev.Score != nil || ev.Pass != nil {
				t.Errorf("mistyped score/pass must be left out, got %+v", ev)
			}
		}
	}
}

// VerdictOf is the fold's rule on one commit: a result's fields, nothing
// for a request.
func TestVerdictOf(t *testing.T) {
	cs := lines(t, strings.Join([]string{
		`generation{id=g,action=evaluate,data={"with":"result","evaluator":"pii","score":0,"pass":false,"reason":"email"}}`,
		`generation{id=g,action=evaluate,data={"with":"evaluators","evaluators":["pii"]}}`,
		`generation{id=g,action=result,data={"result":{}}}`,
	}, "\n"))
	ev, ok := VerdictOf(&cs[0])
	if !ok || ev.Evaluator != "pii" || ev.Pass == nil || *ev.Pass || ev.Score == nil || *ev.Score != 0 || ev.Reason != "email" {
		t.Fatalf("verdict: %v %+v", ok, ev)
	}
	for _, c := range cs[1:] {
		if _, ok := VerdictOf(&c); ok {
			t.Errorf("%s is not a verdict", c.Action)
		}
	}
}

// VerdictOf runs the fold's evaluate step alone; what it returns must be
// what folding the commit into a node gives, for verdicts and for
// everything that is not one.
func TestVerdictOfIsTheFold(t *testing.T) {
	datas := []string{
		`{"with":"result","evaluator":"pii","score":0,"pass":false,"reason":"email"}`,
		`{"with":"result","evaluator":"relevance","score":"0.5","pass":"true","timestamp":"2026-12-07 15:00:00","variables":{"a":1,"b":"x"},"judge":{"model":"gpt-4o-mini","usage":{"prompt_tokens":3}}}`,
		`{"with":"result","evaluator":"latency","score":null,"pass":null,"error":"judge kept failing","judge":"not an object"}`,
		`{"with":"result","evaluator":"x","score":1e400,"pass":1,"reason":{"nested":true}}`,
		`{"with":"result","evaluator":"dup","score":0.1,"evaluator":"dup2"}`,
		`{"with":"result"}`,
		`{"with":"evaluators","evaluators":["pii"],"variables":{"input":"hi"}}`,
		`{"with":"results"}`,
		` {"with":"result","evaluator":"leading space"}`,
		`{"with":"result","evaluator":`,
		`[]`,
		`null`,
		``,
	}
	for _, data := range datas {
		c := commit.Commit{Repo: "r", Entity: commit.EntityGeneration, EntityID: "g", Action: commit.ActionEvaluate, Version: 7, Data: []byte(data)}
		c.Seal()
		n := Fold(commit.NodeRef{Repo: "r", Kind: commit.EntityGeneration, ID: "g"}, []commit.Commit{c})
		var want Evaluation
		wantOK := false
		for _, ev := range n.Evaluations {
			if ev.With == EvaluationWithResult {
				want, wantOK = ev, true
			}
		}
		got, ok := VerdictOf(&c)
		if ok != wantOK || !reflect.DeepEqual(got, want) {
			t.Errorf("%s:\n VerdictOf %v %+v\n fold      %v %+v", data, ok, got, wantOK, want)
		}
	}
	// Only evaluate commits carry verdicts.
	c := commit.Commit{Repo: "r", Entity: commit.EntityGeneration, EntityID: "g", Action: commit.ActionUpdate, Version: 1,
		Data: []byte(`{"with":"result","evaluator":"pii","score":1}`)}
	if _, ok := VerdictOf(&c); ok {
		t.Error("an update read as a verdict")
	}
}
