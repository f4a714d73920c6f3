// Package admission bounds the request bytes a receiver works on at once,
// so that more load than the store can take is refused at the door (429
// with Retry-After) instead of queueing in memory without bound.
//
// It follows the admission control of the collector's OTel-Arrow receiver
// (contrib internal/otelarrow/admission2, configured there as
// admission.request_limit_mib and admission.waiting_limit_mib): a request
// is admitted while the bytes in flight stay under the request limit;
// otherwise it waits for bytes to be released, as long as the bytes of all
// waiting requests stay under the waiting limit; past that it is refused at
// once. Waiting lets a short burst through with some latency; refusing
// past the waiting limit bounds both the memory of the waiting requests and
// how long a request can wait (the store drains the limit at its own rate).
//
// Invariant: 0 <= in flight <= request limit, and 0 <= waiting <= waiting
// limit, at every instant; a request larger than the request limit is
// admitted alone (weighted as the whole limit), so a body the receiver's
// size limit allows is never refused for its size alone.
package admission

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"

	"golang.org/x/sync/semaphore"
)

// ErrOverloaded is returned when a request can neither be admitted nor
// wait; receivers answer it with 429 and Retry-After (gRPC:
// ResourceExhausted).
var ErrOverloaded = errors.New("too much data in flight; retry later")

// Config of a Limiter, the YAML block `admission:` of a receiver or
// extension that applies it.
type Config struct {
	// RequestLimitMiB bounds the bytes of request bodies admitted and not
	// yet answered. 0 turns admission control off.
	RequestLimitMiB int64 `mapstructure:"request_limit_mib"`
	// WaitingLimitMiB bounds the bytes of request bodies waiting to be
	// admitted; a request that would exceed it is refused at once. 0
	// refuses every request that cannot be admitted at once.
	WaitingLimitMiB int64 `mapstructure:"waiting_limit_mib"`
}

// DefaultConfig is the admission of the mxin receiver and the otlp_guard
// extension unless configured: 16 MiB of bodies in flight, 8 MiB waiting.
//
// Smaller than the OTel-Arrow receiver's 128/32 on purpose, from load runs
// on a 2-core machine (docs/operating.md): a decoded and normalized OTLP
// body holds several times its wire size, and 48 MiB of OTLP bodies in
// flight took the process to 1.5 GB RSS with a 10 s p99, while 16/8 kept
// health and query answers under 1 s and refused the excess with 429.
// 16 MiB in flight is still well above what the store needs to run at full
// speed (a few requests per core).
func DefaultConfig() Config { return Config{RequestLimitMiB: 16, WaitingLimitMiB: 8} }

// Validate checks the configuration.
func (c *Config) Validate() error {
	if c.RequestLimitMiB < 0 {
		return fmt.Errorf("admission: request_limit_mib must not be negative, got %d", c.RequestLimitMiB)
	}
	if c.WaitingLimitMiB < 0 {
		return fmt.Errorf("admission: waiting_limit_mib must not be negative, got %d", c.WaitingLimitMiB)
	}
	return nil
}

// Limiter admits requests by their body size. The zero value and a nil
// *Limiter admit everything.
type Limiter struct {
	limit, waitLimit int64
	sem              *semaphore.Weighted
	// waiting is the bytes of the requests blocked in Acquire.
	waiting atomic.Int64
	// inFlight is the bytes admitted and not yet released (for telemetry;
	// the semaphore is what enforces the bound).
	inFlight atomic.Int64
}

const mib = 1 << 20

// New returns the Limiter of cfg, nil (admit everything) when its request
// limit is 0.
func New(cfg Config) *Limiter {
	if cfg.RequestLimitMiB == 0 {
		return nil
	}
	limit := cfg.RequestLimitMiB * mib
	return &Limiter{limit: limit, waitLimit: cfg.WaitingLimitMiB * mib, sem: semaphore.NewWeighted(limit)}
}

// Acquire admits a request of n bytes, waiting while the bytes in flight
// are over the limit, and returns the release to call once the request is
// answered. It fails with ErrOverloaded when the request can neither be
// admitted nor wait, and with ctx's error when ctx ends while it waits.
func (l *Limiter) Acquire(ctx context.Context, n int64) (release func(), err error) {
	if l == nil {
		return func() {}, nil
	}
	n = min(max(n, 1), l.limit)
	if !l.sem.TryAcquire(n) {
		if l.waiting.Add(n) > l.waitLimit {
			l.waiting.Add(-n)
			return nil, ErrOverloaded
		}
		err := l.sem.Acquire(ctx, n)
		l.waiting.Add(-n)
		if err != nil {
			return nil, fmt.Errorf("waiting for admission: %w", err)
		}
	}
	l.inFlight.Add(n)
	var once atomic.Bool
	return func() {
		if once.CompareAndSwap(false, true) {
			l.inFlight.Add(-n)
			l.sem.Release(n)
		}
	}, nil
}

// InFlight returns the bytes admitted and not yet released.
func (l *Limiter) InFlight() int64 {
	if l == nil {
		return 0
	}
	return l.inFlight.Load()
}

// Waiting returns the bytes of the requests waiting to be admitted.
func (l *Limiter) Waiting() int64 {
	if l == nil {
		return 0
	}
	return l.waiting.Load()
}
