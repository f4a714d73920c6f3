package tree

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/otelcol-genai/otelcol-genai/pkg/commit"
)

func lines(t *testing.T, body string) []commit.Commit {
	t.Helper()
	cs, errs := commit.ParseBody("r", []byte(body), commit.NewVersioner())
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	return cs
}

func TestFoldGeneration(t *testing.T) {
	cs := lines(t, strings.Join([]string{
		`generation{id=g,action=update,data={"messages":[{"role":"user","content":"second"}]}}`,
		`span{id=s,action=add-generation,data={"name": "g", "tags": {}, "startTimestamp": "2026-11-22T08:35:08.941671+00:00", "model": "gpt-4o-mini", "provider": "openai", "messages": [{"role": "user", "content": "first"}], "modelParameters": {"temperature": "0.1", "stream": "false", "stop": "END", "n": 2}, "id": "g", "spanId": "s"}}`,
		`generation{id=g,action=update,data={"messages":[{"role":"user","content":"third"}]}}`,
		`generation{id=g,action=update,data={"metrics":{"ttft":0.12}}}`,
		`generation{id=g,action=update,data={"model":"gpt-4o"}}`,
		`generation{id=g,action=add-cost,data={"cost": {"input": 0.001, "output": 0.002, "total": 0.003}}}`,
		`generation{id=g,action=result,data={"result":{"id":"resp_1","object":"response","status":"completed","output":[{"type":"message","content":[{"type":"output_text","text":"hi"}]},{"type":"function_call","name":"f","arguments":"{}"}],"usage":{"input_tokens":10,"output_tokens":4,"total_tokens":14}}}}`,
		`generation{id=g,action=end,data={"endTimestamp":"2026-11-22T08:35:09.941671+00:00"}}`,
		`generation{id=g,action=update,data={"tags":{"late":"yes"}}}`, // after end: ordinary
		`generation{id=g,action=zap,data={"q":1}}`,
		`span{id=s,action=end,data={}}`, // another node: ignored
	}, "\n"))
	n := Fold(commit.NodeRef{Repo: "r", Kind: "generation", ID: "g"}, cs)
	var msgs []string
	for _, m := range n.Messages {
		var x struct{ Content string }
		_ = json.Unmarshal(m, &x)
		msgs = append(msgs, x.Content)
	}
	if strings.Join(msgs, ",") != "first,second,third" {
		t.Errorf("messages = %v, want the add-generation's first then updates in version order", msgs)
	}
	if n.Model != "gpt-4o" || n.Provider != "openai" || n.Name != "g" {
		t.Errorf("scalars: %q %q %q", n.Model, n.Provider, n.Name)
	}
	if n.ModelParameters["temperature"] != 0.1 || n.ModelParameters["stream"] != false || n.ModelParameters["stop"] != "END" || n.ModelParameters["n"] != 2.0 {
		t.Errorf("python model parameters not parsed back: %#v", n.ModelParameters)
	}
	if n.Usage == nil || n.Usage.InputTokens != 10 || n.Usage.OutputTokens != 4 || n.Usage.TotalTokens != 14 {
		t.Errorf("Responses API usage: %+v", n.Usage)
	}
	if n.Cost == nil || n.Cost.Total != 0.003 {
		t.Errorf("add-cost: %+v", n.Cost)
	}
	if n.Completion == nil || n.Completion.Text != "hi" || len(n.Completion.ToolCalls) != 1 || n.Completion.Object != "response" {
		t.Errorf("completion: %+v", n.Completion)
	}
	if !n.Ended || n.Tags["late"] != "yes" || n.Metrics["ttft"] != 0.12 {
		t.Errorf("late mutation / metrics: ended=%v tags=%v metrics=%v", n.Ended, n.Tags, n.Metrics)
	}
	if n.StartTimestamp != "2026-11-22T08:35:08.941671Z" || n.DurationMs == nil || *n.DurationMs != 1000 {
		t.Errorf("timestamps: %q %v", n.StartTimestamp, n.DurationMs)
	}
	if len(n.Unknown) != 1 || n.Unknown[0].Action != "zap" {
		t.Errorf("unknown action not surfaced: %+v", n.Unknown)
	}
	if n.CommitCount != 10 {
		t.Errorf("commit count %d, want 10 (own + seed)", n.CommitCount)
	}
	// FoldNode infers the node from the ordinary commits.
	if m := FoldNode(cs[:3]); m.Kind != "generation" || m.ID != "g" {
		t.Errorf("FoldNode picked %s/%s", m.Kind, m.ID)
	}
}

func TestFoldResultsAndErrors(t *testing.T) {
	text := Fold(commit.NodeRef{Repo: "r", Kind: "generation", ID: "g"}, lines(t,
		`generation{id=g,action=result,data={"result":{"object":"text_completion","choices":[{"index":0,"text":"t1","finish_reason":"length"}],"usage":{"prompt_tokens":3,"completion_tokens":2},"cost":{"input":1,"output":2}}}}`))
	if text.Completion.Text != "t1" || text.Usage.TotalTokens != 5 || text.Cost.Total != 3 || text.Completion.FinishReasons[0] != "length" {
		t.Errorf("text_completion: %+v %+v %+v", text.Completion, text.Usage, text.Cost)
	}
	gerr := Fold(commit.NodeRef{Repo: "r", Kind: "generation", ID: "g"}, lines(t,
		"generation{id=g,action=result,data={\"result\":{\"error\":{\"message\":\"rate limited\",\"code\":429,\"type\":\"\"},\"id\":\"u\"}}}\n"+
			"generation{id=g,action=result,data={\"result\":{\"error\":{\"message\":\"rate limited\",\"code\":429,\"type\":\"\"},\"id\":\"u\"}}}\n"+
			`generation{id=g,action=error,data={"error":{"message":"go error"}}}`))
	if len(gerr.Errors) != 2 || gerr.Errors[0].Message != "rate limited" || gerr.Errors[0].Code != "429" || !gerr.HasError() {
		t.Errorf("generation errors: %+v", gerr.Errors)
	}
	tc := Fold(commit.NodeRef{Repo: "r", Kind: "tool_call", ID: "c"}, lines(t,
		"tool_call{id=c,action=update,data={\"metrics\": {\"name\": \"calls\", \"value\": 1}}}\n"+
			"tool_call{id=c,action=error,data={\"error\":\"boom\"}}\n"+
			"tool_call{id=c,action=update,data={\"custom\":{\"a\":1}}}"))
	if len(tc.Errors) != 1 || tc.Errors[0].Message != "boom" || tc.Metrics["calls"] != 1 || string(tc.Extra["custom"]) != `{"a":1}` {
		t.Errorf("tool call: errors=%+v metrics=%v extra=%v", tc.Errors, tc.Metrics, tc.Extra)
	}
	ret := Fold(commit.NodeRef{Repo: "r", Kind: "retrieval", ID: "q"}, lines(t,
		"retrieval{id=q,action=update,data={\"input\": \"query\"}}\n"+
			"retrieval{id=q,action=end,data={\"docs\": [\"d1\", \"d2\"], \"endTimestamp\": \"2026-11-22T08:35:08.941880\"}}"))
	if string(ret.Input) != `"query"` || string(ret.Output) != `["d1","d2"]` || ret.EndTimestamp != "2026-11-22T08:35:08.94188Z" {
		t.Errorf("retrieval: in=%s out=%s end=%s", ret.Input, ret.Output, ret.EndTimestamp)
	}
}

func TestFoldSubRecords(t *testing.T) {
	cs := lines(t, strings.Join([]string{
		`trace{id=t,action=add-event,data={"id":"e1","name":"a","timestamp":"2026-01-01T00:00:02Z"}}`,
		`trace{id=t,action=add-event,data={"id":"e0","name":"b","timestamp":"2026-01-01T00:00:01Z"}}`,
		`trace{id=t,action=add-feedback,data={"score":4,"comment":"good"}}`,
		`trace{id=t,action=add-feedback,data={"score": 4, "comment": "good"}}`, // Python spacing, same content
		`trace{id=t,action=add-feedback,data={"score":1}}`,
		`trace{id=t,action=evaluate,data={"with":"evaluators","evaluators":["x"],"timestamp":"2026-01-01T00:00:00Z"}}`,
		`trace{id=t,action=add-attachment,data={"id": "a1", "type": "file_data", "name": "h.txt", "key": "k", "mime_type": "application/octet-stream"}}`,
		`trace{id=t,action=add-attachment,data={"type":"fileData","id":"a0","name":"x","mimeType":"text/plain","size":12,"key":"k0"}}`,
		`trace{id=t,action=update,data={"metadata":{"requestId":"r1","nested":"{\"a\":1}"}}}`,
		`trace{id=t,action=update,data={"metadata":{"requestId":"r2"}}}`,
		`trace{id=t,action=update,data={"tags":{"a":"1"}}}`,
		`trace{id=t,action=update,data={"tags":{"b":"2"}}}`,
		`trace{id=t,action=end,data={"endTimestamp":"2026-01-01T00:00:03Z","reason":"done"}}`,
	}, "\n"))
	n := FoldNode(cs)
	if len(n.Events) != 2 || n.Events[0].ID != "e0" {
		t.Errorf("events keyed by id, sorted by time: %+v", n.Events)
	}
	if len(n.Feedback) != 2 {
		t.Errorf("feedback is a set by content: %+v", n.Feedback)
	}
	if len(n.Attachments) != 2 || n.Attachments[1].Type != "fileData" || n.Attachments[1].MimeType != "application/octet-stream" || *n.Attachments[0].Size != 12 {
		t.Errorf("attachments: %+v", n.Attachments)
	}
	if string(n.Metadata["requestId"]) != `"r2"` || string(n.Metadata["nested"]) != `"{\"a\":1}"` {
		t.Errorf("metadata per-key merge: %v", n.Metadata)
	}
	if n.Tags["a"] != "1" || n.Tags["b"] != "2" {
		t.Errorf("tags per-key merge: %v", n.Tags)
	}
	if string(n.Extra["reason"]) != `"done"` || len(n.Evaluations) != 1 {
		t.Errorf("end extra data / evaluations: %v %v", n.Extra, n.Evaluations)
	}
}

func TestFoldSynthErrorSameAsEdge(t *testing.T) {
	cs := lines(t, `span{id=s,action=add-error,data={"startTimestamp": "2026-11-22T08:35:08.941910+00:00", "message": "boom", "code": "E1", "errorType": "x"}}`)
	edges := EdgesOf(&cs[0])
	if len(edges) != 1 {
		t.Fatal("no edge")
	}
	n := Fold(edges[0].Child, cs)
	if n.Kind != "error" || n.Message != "boom" || n.Code != "E1" || n.ErrorType != "x" || n.CommitCount != 1 {
		t.Errorf("error node not folded from its synthesized id: %+v", n)
	}
	if m := FoldNode(cs); m.ID != edges[0].Child.ID {
		t.Errorf("FoldNode of a lone add-error names %s, edge names %s", m.ID, edges[0].Child.ID)
	}
}
