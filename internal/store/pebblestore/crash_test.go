package pebblestore

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/cockroachdb/pebble/v2/vfs"

	"github.com/otelcol-genai/otelcol-genai/pkg/commit"
)

// TestCrashKeepsAcknowledgedCommits simulates power loss in the middle of
// concurrent Apply calls: a crash clone of the filesystem keeps only synced
// data. Every Apply acknowledged before the crash must be there after
// reopening, with its change-log entry. With sync off the same crash loses
// acknowledged commits, which shows the check can fail.
func TestCrashKeepsAcknowledgedCommits(t *testing.T) {
	for _, syncOn := range []bool{true, false} {
		t.Run(fmt.Sprintf("sync=%v", syncOn), func(t *testing.T) {
			// With sync off, a background WAL sync right before the clone
			// can make one crash lose nothing; the negative control gets a
			// few attempts and must bite at least once.
			attempts := 1
			if !syncOn {
				attempts = 5
			}
			for attempt := 1; ; attempt++ {
				before, lost := crashOnce(t, syncOn)
				if syncOn && lost > 0 {
					t.Fatalf("%d of %d acknowledged commits lost (or missing from the change log) after the crash", lost, before)
				}
				t.Logf("attempt %d: acknowledged before crash: %d, lost: %d", attempt, before, lost)
				if syncOn || lost > 0 {
					return
				}
				if attempt == attempts {
					t.Fatalf("sync off lost nothing in %d crashes: the crash simulation is not biting", attempts)
				}
			}
		})
	}
}

// crashOnce runs four concurrent appliers, clones the filesystem keeping
// only synced data mid-stream, reopens the clone and counts the commits
// acknowledged before the clone that are missing (or absent from the change
// log).
func crashOnce(t *testing.T, syncOn bool) (acknowledged, lost int) {
	t.Helper()
	ctx := context.Background()
	fs := vfs.NewCrashableMem()
	cfg := DefaultConfig()
	cfg.Directory = "/db"
	cfg.Sync = syncOn
	s, err := open(cfg, nil, fs)
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var acked []commit.Commit
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				c := mk("r", commit.EntityTrace, fmt.Sprintf("w%d-%d", w, i), commit.ActionCreate, `{"name":"x"}`, int64(i))
				if err := s.Apply(ctx, []commit.Commit{c}, nil); err != nil {
					return
				}
				mu.Lock()
				acked = append(acked, c)
				mu.Unlock()
			}
		}()
	}
	// Crash once the writers have been acknowledged a good number of times
	// (a condition, not a fixed wait: a slow machine just takes longer).
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(5 * time.Millisecond) {
		mu.Lock()
		n := len(acked)
		mu.Unlock()
		if n >= 200 || time.Now().After(deadline) {
			break
		}
	}
	mu.Lock()
	before := append([]commit.Commit(nil), acked...)
	mu.Unlock()
	crashed := fs.CrashClone(vfs.CrashCloneCfg{}) // only synced data survives
	close(stop)
	wg.Wait()
	_ = s.Close()
	if len(before) == 0 {
		t.Fatal("no Apply finished before the crash")
	}

	s2, err := open(cfg, nil, crashed)
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close()
	refs := make([]commit.NodeRef, len(before))
	for i, c := range before {
		refs[i] = c.Node()
	}
	got, err := s2.Commits(ctx, refs)
	if err != nil {
		t.Fatal(err)
	}
	logged, _, err := s2.ChangedSince(ctx, 0, len(before)*2+100)
	if err != nil {
		t.Fatal(err)
	}
	inLog := map[commit.NodeRef]bool{}
	for _, r := range logged {
		inLog[r] = true
	}
	for _, r := range refs {
		if len(got[r]) != 1 || !inLog[r] {
			lost++
		}
	}
	return len(before), lost
}
