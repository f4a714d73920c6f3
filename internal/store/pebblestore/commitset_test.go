package pebblestore

import (
	"context"
	"runtime"
	"testing"

	"github.com/otelcol-genai/otelcol-genai/pkg/commit"
)

// TestReadOfOneSmallNodeAllocatesItsOwnSize: a read of one node with one
// small commit allocates about that commit, not a whole value chunk and
// commit slab. Reading a 10,000-level chain reads one node per level, and
// each level's commits live as long as the assembled tree: with a fixed
// 64 KiB chunk and 256-commit slab per read that was 1 GB for the chain.
func TestReadOfOneSmallNodeAllocatesItsOwnSize(t *testing.T) {
	s := openTest(t, t.TempDir())
	ctx := context.Background()
	c := mk("r", commit.EntitySpan, "s1", commit.ActionCreate, `{"name":"x"}`, 1)
	if err := s.Apply(ctx, []commit.Commit{c}, nil); err != nil {
		t.Fatal(err)
	}
	refs := []commit.NodeRef{c.Node()}
	var ms0, ms1 runtime.MemStats
	const runs = 50
	runtime.ReadMemStats(&ms0)
	for range runs {
		got, err := s.Commits(ctx, refs)
		if err != nil || len(got[refs[0]]) != 1 {
			t.Fatalf("Commits = %v, %v", got, err)
		}
	}
	runtime.ReadMemStats(&ms1)
	if per := (ms1.TotalAlloc - ms0.TotalAlloc) / runs; per > 16<<10 {
		t.Fatalf("a read of one small node allocated %d bytes", per)
	}
}
