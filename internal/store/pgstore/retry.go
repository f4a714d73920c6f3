package pgstore

import (
	"context"
	"errors"
	"io"
	"math/rand/v2"
	"net"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"go.uber.org/zap"
)

// retryableCode reports whether a SQLSTATE names a failure that a retry of
// the whole transaction can cure.
func retryableCode(code string) bool {
	switch code {
	case "40001", // serialization_failure (CockroachDB: every contention retry)
		"40P01", // deadlock_detected
		"57P01", // admin_shutdown (pg_terminate_backend, server stop)
		"57P02", // crash_shutdown
		"57P03", // cannot_connect_now (server starting up)
		"53300", // too_many_connections
		"55P03": // lock_not_available
		return true
	}
	// Class 08: connection exceptions.
	return strings.HasPrefix(code, "08")
}

// isRetryable classifies an error from pgx. Errors that are not server
// errors are retried when they come from the connection itself (reset,
// EOF, refused, closed), which is what a dropped backend looks like from
// the client; anything else (encoding bugs, constraint violations) is
// permanent.
func isRetryable(err error) bool {
	if err == nil || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return false
	}
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		return retryableCode(pgErr.Code)
	}
	if pgconn.SafeToRetry(err) {
		return true
	}
	var connErr *pgconn.ConnectError
	if errors.As(err, &connErr) {
		return true
	}
	var netErr net.Error
	if errors.As(err, &netErr) {
		return true
	}
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.ECONNREFUSED) ||
		errors.Is(err, syscall.EPIPE) || errors.Is(err, net.ErrClosed) {
		return true
	}
	msg := err.Error()
	for _, s := range []string{"conn closed", "connection reset", "broken pipe", "unexpected EOF", "closed pool"} {
		if strings.Contains(msg, s) {
			// "closed pool" is our own Close: not transient.
			return s != "closed pool"
		}
	}
	return false
}

// retrier runs an operation with exponential backoff and full jitter while
// it fails with a retryable error, honoring ctx between attempts.
type retrier struct {
	cfg    RetryConfig
	logger *zap.Logger
	// sleep is replaceable in tests; it returns early when ctx ends.
	sleep func(ctx context.Context, d time.Duration) error
	// retries counts attempts after the first, for Stats.
	retries atomic.Int64
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// do calls fn until it succeeds, fails permanently, the time budget is
// spent or ctx ends. fn must be idempotent: it may have taken effect
// even when it returned an error.
func (r *retrier) do(ctx context.Context, op string, fn func(ctx context.Context) error) error {
	return r.doWith(ctx, op, isRetryable, fn)
}

// doWith is do with a custom classification of retryable errors.
func (r *retrier) doWith(ctx context.Context, op string, retryable func(error) bool, fn func(ctx context.Context) error) error {
	start := time.Now()
	backoff := r.cfg.InitialInterval
	for attempt := 1; ; attempt++ {
		err := fn(ctx)
		if err == nil || !r.cfg.Enabled || !retryable(err) {
			return err
		}
		if ctx.Err() != nil {
			return errors.Join(err, ctx.Err())
		}
		if r.cfg.MaxElapsedTime > 0 && time.Since(start)+backoff > r.cfg.MaxElapsedTime {
			return errors.Join(err, errors.New("retry budget exhausted"))
		}
		// Full jitter spreads the retries of a fleet that lost its
		// database at the same moment.
		wait := time.Duration(rand.Int64N(int64(backoff))) + backoff/2
		// One retry is routine (a deadlock, a recycled connection); a
		// streak means the database is in trouble and deserves a warning.
		level := zap.DebugLevel
		if attempt >= 3 {
			level = zap.WarnLevel
		}
		r.logger.Log(level, "pgstore: retrying after transient error",
			zap.String("op", op), zap.Int("attempt", attempt), zap.Duration("backoff", wait), zap.Error(err))
		if serr := r.sleep(ctx, wait); serr != nil {
			return errors.Join(err, serr)
		}
		r.retries.Add(1)
		backoff *= 2
		if backoff > r.cfg.MaxInterval {
			backoff = r.cfg.MaxInterval
		}
	}
}
