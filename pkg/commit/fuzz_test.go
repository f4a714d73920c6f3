package commit

import (
	"bytes"
	"encoding/json"
	"reflect"
	"testing"
	"unicode/utf8"
)

// FuzzParseBody checks, for any body: no panic; every non-blank line is
// either a commit or a LineError (never both, never lost); line numbers are
// in range and increasing; every commit is sealed, carries valid JSON data
// and survives FormatLine → ParseLine and the logs codec unchanged.
// Seed corpus: testdata/fuzz/FuzzParseBody (real SDK lines of every dialect).
func FuzzParseBody(f *testing.F) {
	f.Add([]byte("trace{id=t,action=create,data={\"name\":\"x\"}}\n"))
	f.Add([]byte("span{id=s,action=add-error,data={\"message\": NaN, \"v\": -Infinity}}\r\nbad line\r\n"))
	f.Add([]byte("session{id=s,action=end,data=null}"))
	f.Fuzz(func(t *testing.T, body []byte) {
		commits, errs := ParseBody("repo", body, NewVersionerClock(fixedClock))
		nonBlank := 0
		lines := bytes.Split(bytes.TrimPrefix(body, []byte("\xef\xbb\xbf")), []byte{'\n'})
		for _, l := range lines {
			if len(trimSpace(l)) > 0 {
				nonBlank++
			}
		}
		if len(commits)+len(errs) != nonBlank {
			t.Fatalf("%d commits + %d errors for %d non-blank lines", len(commits), len(errs), nonBlank)
		}
		prev := 0
		for _, e := range errs {
			if e.Line <= prev || e.Line > len(lines) || e.Reason == "" {
				t.Fatalf("bad LineError %+v (prev %d, %d lines)", e, prev, len(lines))
			}
			prev = e.Line
		}
		var lastV int64
		for i := range commits {
			c := &commits[i]
			if !utf8.Valid(c.Data) || !utf8.ValidString(c.EntityID) {
				t.Fatalf("commit %d is not valid UTF-8", i)
			}
			if !json.Valid(c.Data) {
				t.Fatalf("commit %d data is not valid JSON: %q", i, c.Data)
			}
			if c.ID != ComputeID(c.Repo, c.Entity, c.EntityID, c.Action, c.Data) {
				t.Fatalf("commit %d not sealed", i)
			}
			if c.EntityID == "" || c.Entity == "" || c.Action == "" {
				t.Fatalf("commit %d has empty fields: %+v", i, c)
			}
			if c.Version <= lastV {
				t.Fatalf("versions not increasing: %d after %d", c.Version, lastV)
			}
			lastV = c.Version
			again, err := ParseLine(c.Repo, FormatLine(c), c.Version)
			if err != nil {
				t.Fatalf("FormatLine output does not parse: %v (%q)", err, FormatLine(c))
			}
			if again.ID != c.ID || !bytes.Equal(again.Data, c.Data) {
				t.Fatalf("FormatLine/ParseLine round trip changed commit %d", i)
			}
		}
		if len(commits) > 0 {
			back, err := CommitsFromLogs(LogsFromCommits(commits))
			if err != nil {
				t.Fatalf("logs codec: %v", err)
			}
			if !reflect.DeepEqual(back, commits) {
				t.Fatalf("logs codec round trip differs")
			}
		}
	})
}
