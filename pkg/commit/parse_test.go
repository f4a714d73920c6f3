package commit

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"
)

// fixedVersioner returns a Versioner whose clock always reads base, so the
// versions it hands out are predictable.
func fixedClock() time.Time { return time.Unix(0, 1_000_000) }

func fixedVersioner(base int64) *Versioner {
	return &Versioner{now: func() time.Time { return time.Unix(0, base) }}
}

func TestParseBodyAllEntitiesAndActions(t *testing.T) {
	entities := []Entity{EntitySession, EntityTrace, EntitySpan, EntityGeneration, EntityRetrieval, EntityToolCall, EntityError, EntityStorage}
	actions := []Action{ActionCreate, ActionUpdate, ActionEnd, ActionAddSpan, ActionAddGeneration, ActionAddRetrieval,
		ActionAddToolCall, ActionAddError, ActionAddEvent, ActionAddFeedback, ActionAddAttachment, ActionEvaluate,
		ActionResult, ActionError, ActionAddCost, ActionProcessLargeLog}
	var b strings.Builder
	for _, e := range entities {
		for _, a := range actions {
			b.WriteString(string(e) + "{id=x-1_A,action=" + string(a) + `,data={"k":"` + string(e) + string(a) + `"}}` + "\n")
		}
	}
	commits, errs := ParseBody("r", []byte(b.String()), fixedVersioner(1000))
	if len(errs) != 0 {
		t.Fatalf("unexpected errors: %v", errs)
	}
	if len(commits) != len(entities)*len(actions) {
		t.Fatalf("got %d commits, want %d", len(commits), len(entities)*len(actions))
	}
	i := 0
	for _, e := range entities {
		for _, a := range actions {
			c := commits[i]
			if c.Entity != e || c.Action != a || c.EntityID != "x-1_A" || c.Repo != "r" {
				t.Fatalf("commit %d = %+v, want %s/%s", i, c, e, a)
			}
			if c.Version != 1000+int64(i) {
				t.Fatalf("commit %d version %d, want %d", i, c.Version, 1000+i)
			}
			if c.ID != ComputeID("r", e, "x-1_A", a, c.Data) {
				t.Fatalf("commit %d not sealed", i)
			}
			i++
		}
	}
}

func TestParseBodyDialects(t *testing.T) {
	body := "trace{id=t1,action=create,data={\"name\": \"py\", \"score\": NaN, \"hi\": Infinity, \"lo\": -Infinity, \"s\": \"NaN Infinity\"}}\r\n" +
		"\r\n" +
		"trace{id=t1,action=update,data=null}\r\n" +
		"generation{id=g1,action=update,data={\"messages\":[{\"content\":\"\\u003cb\\u003e \\u0026\"}]}}\n" +
		"span{id=s1,action=add-error,data={\"startTimestamp\": \"2026-11-22T08:35:08.941910\", \"message\": \"boom\"}}\n" +
		"weird{id=w,action=frobnicate,data={}}" // no final newline, unknown entity and action
	commits, errs := ParseBody("r", []byte(body), fixedVersioner(10))
	if len(errs) != 0 {
		t.Fatalf("errors: %v", errs)
	}
	if len(commits) != 5 {
		t.Fatalf("got %d commits, want 5", len(commits))
	}
	var d map[string]any
	if err := json.Unmarshal(commits[0].Data, &d); err != nil {
		t.Fatalf("sanitized data is not JSON: %v", err)
	}
	if d["score"] != nil || d["hi"] != nil || d["lo"] != nil || d["s"] != "NaN Infinity" || d["name"] != "py" {
		t.Fatalf("NaN/Infinity not sanitized correctly: %v", d)
	}
	if string(commits[1].Data) != "null" {
		t.Fatalf("python data=null: got %s", commits[1].Data)
	}
	// Line numbers drive versions: the blank line 2 still takes a version.
	if commits[0].Version != 10 || commits[1].Version != 12 || commits[4].Version != 15 {
		t.Fatalf("versions %d %d %d", commits[0].Version, commits[1].Version, commits[4].Version)
	}
	if commits[4].Entity != "weird" || commits[4].Action != "frobnicate" {
		t.Fatalf("unknown entity/action not kept: %+v", commits[4])
	}
	// Go's HTML escapes are valid JSON and stay byte-for-byte.
	if !strings.Contains(string(commits[2].Data), `\u003cb\u003e`) {
		t.Fatalf("data not verbatim: %s", commits[2].Data)
	}
}

func TestParseBodyErrorsNameLineAndReason(t *testing.T) {
	body := strings.Join([]string{
		`trace{id=ok,action=create,data={}}`,
		`trace{id=,action=create,data={}}`,
		`Trace{id=a,action=create,data={}}`,
		`trace{id=a,action=create,data={"x":}}`,
		`trace{id=a,action=create,data={}`,
		`trace{id=a,data={}}`,
		`trace{id=a,action=CREATE,data={}}`,
		`garbage`,
		`trace{id=a,action=create,data=}`,
		`span{id=b,action=end,data={"endTimestamp":"x"}}`,
		"trace{id=a,action=update,data={\"output\":\"\xff\"}}",
		"trace{id=a\x00b,action=update,data={}}",
	}, "\n")
	commits, errs := ParseBody("r", []byte(body), nil)
	if len(commits) != 2 {
		t.Fatalf("want 2 good commits, got %d", len(commits))
	}
	wantLines := []int{2, 3, 4, 5, 6, 7, 8, 9, 11, 12}
	if len(errs) != len(wantLines) {
		t.Fatalf("want %d errors, got %v", len(wantLines), errs)
	}
	for i, e := range errs {
		if e.Line != wantLines[i] || e.Reason == "" || e.Text == "" {
			t.Errorf("error %d = %+v, want line %d with reason and text", i, e, wantLines[i])
		}
		if !strings.Contains(e.Error(), "line ") {
			t.Errorf("Error() does not name the line: %s", e.Error())
		}
	}
	if !strings.Contains(errs[0].Reason, "empty entity id") {
		t.Errorf("reason for empty id: %q", errs[0].Reason)
	}
	if _, err := ParseLine("r", []byte("garbage"), 0); !errors.Is(err, ErrLine) {
		t.Errorf("ParseLine error does not wrap ErrLine: %v", err)
	}
}

func TestParseBodyByteOrderMark(t *testing.T) {
	c, e := ParseBody("r", []byte("\xef\xbb\xbftrace{id=t,action=create,data={}}"), nil)
	if len(c) != 1 || len(e) != 0 || c[0].Entity != EntityTrace {
		t.Fatalf("BOM: %d commits, errors %v", len(c), e)
	}
}

func TestParseBodyEmptyAndTruncatedText(t *testing.T) {
	for _, body := range []string{"", "\n", "\r\n\r\n", "  \n\t\n"} {
		c, e := ParseBody("r", []byte(body), nil)
		if len(c) != 0 || len(e) != 0 {
			t.Fatalf("body %q: %d commits, %d errors", body, len(c), len(e))
		}
	}
	long := "trace{id=a,action=create,data={" + strings.Repeat("x", 10000) + "}}"
	_, e := ParseBody("r", []byte(long), nil)
	if len(e) != 1 || len(e[0].Text) > MaxErrorText+4 {
		t.Fatalf("long bad line not truncated: %d errors", len(e))
	}
}

func TestReplayedBodyHasSameIDs(t *testing.T) {
	body := []byte("trace{id=t,action=create,data={\"a\":1}}\ntrace{id=t,action=end,data={}}\n")
	a, _ := ParseBody("r", body, NewVersioner())
	b, _ := ParseBody("r", body[:len(body)-1], NewVersioner()) // temp-file replay: no final LF
	if len(a) != 2 || len(b) != 2 {
		t.Fatal("parse failed")
	}
	for i := range a {
		if a[i].ID != b[i].ID {
			t.Fatalf("commit %d id differs across replays", i)
		}
	}
	// A different repo is a different commit.
	c, _ := ParseBody("other", body, nil)
	if c[0].ID == a[0].ID {
		t.Fatal("repo not part of the commit id")
	}
}

func TestFormatLineRoundTrip(t *testing.T) {
	line := `generation{id=g-1,action=result,data={"result": {"usage": {"prompt_tokens": 3}}}}`
	c, err := ParseLine("r", []byte(line), 7)
	if err != nil {
		t.Fatal(err)
	}
	if got := string(FormatLine(&c)); got != line {
		t.Fatalf("FormatLine = %s", got)
	}
	c2, err := ParseLine("r", FormatLine(&c), 7)
	if err != nil || c2.ID != c.ID {
		t.Fatalf("round trip changed the commit: %v", err)
	}
}

func TestLargeLogKey(t *testing.T) {
	c, err := ParseLine("r", []byte(`storage{id=e290d045-a88a,action=process-large-log,data={"key":"r/large-logs/e290d045-a88a"}}`), 1)
	if err != nil {
		t.Fatal(err)
	}
	if k, ok := LargeLogKey(&c); !ok || k != "r/large-logs/e290d045-a88a" {
		t.Fatalf("LargeLogKey = %q %v", k, ok)
	}
	c.Entity = EntityTrace
	if _, ok := LargeLogKey(&c); ok {
		t.Fatal("LargeLogKey accepted a trace commit")
	}
}

func TestVersionerRangesNeverOverlap(t *testing.T) {
	// A clock stuck at one instant (or going backwards) must still give
	// disjoint, increasing ranges to concurrent bodies.
	v := NewVersionerClock(func() time.Time { return time.Unix(0, 500) })
	type rng struct{ first, n int64 }
	out := make(chan rng, 400)
	done := make(chan struct{})
	for g := 0; g < 4; g++ {
		go func(g int) {
			for i := 0; i < 100; i++ {
				n := 1 + (g+i)%7
				out <- rng{v.Reserve(n), int64(n)}
			}
			done <- struct{}{}
		}(g)
	}
	for g := 0; g < 4; g++ {
		<-done
	}
	close(out)
	used := map[int64]bool{}
	for r := range out {
		for i := int64(0); i < r.n; i++ {
			if used[r.first+i] {
				t.Fatalf("version %d handed out twice", r.first+i)
			}
			used[r.first+i] = true
		}
	}
	body := []byte("trace{id=a,action=create,data={}}\ntrace{id=a,action=end,data={}}")
	c1, _ := ParseBody("r", body, v)
	c2, _ := ParseBody("r", body, v)
	if !(c1[0].Version < c1[1].Version && c1[1].Version < c2[0].Version) {
		t.Fatalf("bodies interleave: %d %d %d", c1[0].Version, c1[1].Version, c2[0].Version)
	}
}

// TestParseBodyLimitKeepsOnlyTheFirstErrors: a body of a million bad lines
// is counted whole but detailed only up to the limit, and nothing is sized
// by its line count (ParseBody made a LineError per line and a commit slot
// per line: a 16 MiB body of "x" lines cost the receiver 2.9 GB).
func TestParseBodyLimitKeepsOnlyTheFirstErrors(t *testing.T) {
	body := []byte(strings.Repeat("x\n", 1000000) + "trace{id=t,action=create,data={}}\n\n")
	v := NewVersioner()
	p := ParseBodyLimit("r", body, v, 10)
	if p.Failed != 1000000 || len(p.Errors) != 10 || p.Errors[9].Line != 10 {
		t.Fatalf("failed %d, %d errors detailed (last %+v)", p.Failed, len(p.Errors), p.Errors[len(p.Errors)-1])
	}
	if len(p.Commits) != 1 || cap(p.Commits) > 1024 {
		t.Fatalf("%d commits in a slice of capacity %d", len(p.Commits), cap(p.Commits))
	}
	if got := p.LineOf(&p.Commits[0]); got != 1000001 {
		t.Errorf("the good line is line %d, want 1000001", got)
	}
	all := ParseBodyLimit("r", body, nil, -1)
	if all.Failed != 1000000 || len(all.Errors) != 1000000 || all.LineOf(&all.Commits[0]) != 0 {
		t.Errorf("unlimited: failed %d, %d detailed", all.Failed, len(all.Errors))
	}
}
