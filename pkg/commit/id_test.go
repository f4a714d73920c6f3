package commit

import (
	"strings"
	"testing"
)

// TestLongIDRefusedAtIngest: the query API reads ids of at most MaxIDLen
// bytes, so a longer id is a line error instead of a commit nobody can read.
func TestLongIDRefusedAtIngest(t *testing.T) {
	ok := strings.Repeat("a", MaxIDLen)
	body := "trace{id=" + ok + ",action=create,data={}}\ntrace{id=" + ok + "b,action=create,data={}}\n"
	commits, errs := ParseBody("r", []byte(body), nil)
	if len(commits) != 1 || commits[0].EntityID != ok {
		t.Fatalf("the %d-byte id was not accepted: %d commits", MaxIDLen, len(commits))
	}
	if len(errs) != 1 || errs[0].Line != 2 || !strings.Contains(errs[0].Reason, "over the 512-byte limit") {
		t.Fatalf("the %d-byte id was not refused: %+v", MaxIDLen+1, errs)
	}
}

func TestCheckID(t *testing.T) {
	for _, id := range []string{"", "a\x00b", "a\nb", "\x7f", "\xff", strings.Repeat("x", MaxIDLen+1)} {
		if CheckID(id) == nil {
			t.Errorf("CheckID(%q) accepted", id)
		}
	}
	for _, id := range []string{"a", "trace-1_x", "é", strings.Repeat("x", MaxIDLen)} {
		if err := CheckID(id); err != nil {
			t.Errorf("CheckID(%q): %v", id, err)
		}
	}
}
