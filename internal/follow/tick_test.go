package follow

import (
	"testing"
	"time"
)

func TestTick(t *testing.T) {
	for _, c := range []struct {
		poll, quiet, want time.Duration
	}{
		{poll: time.Second, quiet: 10 * time.Second, want: time.Second},                  // poll is finer than half the quiet period
		{poll: time.Second, quiet: 500 * time.Millisecond, want: 250 * time.Millisecond}, // half the quiet period is finer
		{poll: time.Second, quiet: 0, want: time.Second},                                 // no quiet period: poll
		{poll: time.Millisecond, quiet: 0, want: 20 * time.Millisecond},                  // never busier than 20ms
		{poll: time.Second, quiet: 10 * time.Millisecond, want: 20 * time.Millisecond},
	} {
		if got := Tick(c.poll, c.quiet); got != c.want {
			t.Errorf("Tick(%v, %v) = %v, want %v", c.poll, c.quiet, got, c.want)
		}
	}
}
