package admission

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestNilLimiterAdmitsEverything(t *testing.T) {
	l := New(Config{})
	require.Nil(t, l)
	release, err := l.Acquire(context.Background(), 1<<40)
	require.NoError(t, err)
	release()
	assert.Zero(t, l.InFlight())
}

func TestRefusedOnceTheWaitingLimitIsReached(t *testing.T) {
	l := New(Config{RequestLimitMiB: 1, WaitingLimitMiB: 0})
	r1, err := l.Acquire(context.Background(), 700<<10)
	require.NoError(t, err)
	_, err = l.Acquire(context.Background(), 400<<10)
	require.ErrorIs(t, err, ErrOverloaded, "over the request limit with no room to wait")
	r2, err := l.Acquire(context.Background(), 300<<10)
	require.NoError(t, err, "still under the request limit")
	assert.Equal(t, int64(1000<<10), l.InFlight())
	r1()
	r1() // a second release is harmless
	assert.Equal(t, int64(300<<10), l.InFlight())
	r2()
	assert.Zero(t, l.InFlight())
}

func TestAWaiterIsAdmittedWhenBytesAreReleased(t *testing.T) {
	l := New(Config{RequestLimitMiB: 1, WaitingLimitMiB: 1})
	r1, err := l.Acquire(context.Background(), 1<<20)
	require.NoError(t, err)
	admitted := make(chan error, 1)
	go func() {
		r, err := l.Acquire(context.Background(), 512<<10)
		if err == nil {
			defer r()
		}
		admitted <- err
	}()
	require.Eventually(t, func() bool { return l.Waiting() == 512<<10 }, waitFor, tick)
	// A second waiter would exceed the waiting limit: refused at once.
	_, err = l.Acquire(context.Background(), 600<<10)
	require.ErrorIs(t, err, ErrOverloaded)
	r1()
	require.NoError(t, <-admitted)
	assert.Zero(t, l.Waiting())
}

func TestAWaiterGivesUpWithItsContext(t *testing.T) {
	l := New(Config{RequestLimitMiB: 1, WaitingLimitMiB: 1})
	r1, err := l.Acquire(context.Background(), 1<<20)
	require.NoError(t, err)
	defer r1()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { _, err := l.Acquire(ctx, 1); done <- err }()
	require.Eventually(t, func() bool { return l.Waiting() > 0 }, waitFor, tick)
	cancel()
	err = <-done
	require.ErrorIs(t, err, context.Canceled)
	assert.False(t, errors.Is(err, ErrOverloaded))
	assert.Zero(t, l.Waiting(), "a request that gave up no longer counts as waiting")
}

func TestARequestOverTheLimitIsAdmittedAlone(t *testing.T) {
	l := New(Config{RequestLimitMiB: 1})
	r, err := l.Acquire(context.Background(), 5<<20)
	require.NoError(t, err, "a body the size limit allows is never refused for its size")
	_, err = l.Acquire(context.Background(), 1)
	require.ErrorIs(t, err, ErrOverloaded, "it holds the whole limit")
	r()
}

// TestInFlightNeverExceedsTheLimit races many requests of random sizes and
// checks the bound at every admission.
func TestInFlightNeverExceedsTheLimit(t *testing.T) {
	l := New(Config{RequestLimitMiB: 1, WaitingLimitMiB: 1})
	var (
		wg             sync.WaitGroup
		admitted, shed atomic.Int64
		over           atomic.Bool
		current        atomic.Int64
	)
	for g := range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 200 {
				n := int64((g*7919+i*104729)%(400<<10) + 1)
				r, err := l.Acquire(context.Background(), n)
				if errors.Is(err, ErrOverloaded) {
					shed.Add(1)
					continue
				}
				if !assert.NoError(t, err) {
					return
				}
				if current.Add(n) > 1<<20 {
					over.Store(true)
				}
				admitted.Add(1)
				current.Add(-n)
				r()
			}
		}()
	}
	wg.Wait()
	assert.False(t, over.Load(), "bytes in flight exceeded the request limit")
	assert.Equal(t, int64(16*200), admitted.Load()+shed.Load())
	assert.Zero(t, l.InFlight())
	assert.Zero(t, l.Waiting())
}

const (
	waitFor = 10 * time.Second // a bound on a condition, not a timing assertion
	tick    = time.Millisecond
)
