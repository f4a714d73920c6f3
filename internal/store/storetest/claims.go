package storetest

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/otelcol-genai/otelcol-genai/internal/store"
)

// testClaims: a free key is taken, a held key is refused to others and
// granted again to its owner, an expired claim passes to the next owner,
// claims are per repository, and of many owners racing for one key exactly
// one wins.
func testClaims(t *testing.T, b store.Backend) {
	ctx := context.Background()
	t0 := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	claim := func(repo, key, owner string, now, until time.Time) bool {
		t.Helper()
		ok, err := b.Claim(ctx, repo, key, owner, now, until)
		if err != nil {
			t.Fatal(err)
		}
		return ok
	}
	k := "eval/relevance/generation/g-1"
	if !claim(repo, k, "a", t0, t0.Add(time.Minute)) {
		t.Fatal("a free key was refused")
	}
	if claim(repo, k, "b", t0.Add(30*time.Second), t0.Add(2*time.Minute)) {
		t.Error("a held key was granted to another owner")
	}
	if !claim(repo, k, "a", t0.Add(40*time.Second), t0.Add(time.Hour)) {
		t.Error("the owner was refused its own key")
	}
	// a extended it to t0+1h: b is still refused after the first minute.
	if claim(repo, k, "b", t0.Add(2*time.Minute), t0.Add(3*time.Minute)) {
		t.Error("an extended claim was granted to another owner")
	}
	if !claim(repo, k, "b", t0.Add(time.Hour), t0.Add(2*time.Hour)) {
		t.Error("an expired claim was not granted")
	}
	if claim(repo, k, "a", t0.Add(time.Hour+time.Second), t0.Add(3*time.Hour)) {
		t.Error("the previous owner took back a claim that passed to another")
	}
	if !claim("other-repo", k, "c", t0, t0.Add(time.Minute)) {
		t.Error("claims leak across repositories")
	}

	const racers = 8
	var wg sync.WaitGroup
	won := make(chan string, racers)
	for i := 0; i < racers; i++ {
		wg.Add(1)
		go func(owner string) {
			defer wg.Done()
			ok, err := b.Claim(ctx, repo, "race", owner, t0, t0.Add(time.Minute))
			if err != nil {
				t.Error(err)
				return
			}
			if ok {
				won <- owner
			}
		}(string(rune('A' + i)))
	}
	wg.Wait()
	close(won)
	var winners []string
	for w := range won {
		winners = append(winners, w)
	}
	if len(winners) != 1 {
		t.Errorf("racing owners: %d won (%v), want exactly 1", len(winners), winners)
	}
}
