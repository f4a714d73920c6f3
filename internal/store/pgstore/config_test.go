package pgstore

import (
	"context"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"go.opentelemetry.io/collector/confmap/confmaptest"
	"go.uber.org/zap"
)

func loadConfig(t *testing.T, name string) Config {
	t.Helper()
	cm, err := confmaptest.LoadConf(filepath.Join("testdata", "config.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	sub, err := cm.Sub(name)
	if err != nil {
		t.Fatal(err)
	}
	cfg := DefaultConfig()
	if err := sub.Unmarshal(&cfg); err != nil {
		t.Fatalf("unmarshal %s: %v", name, err)
	}
	return cfg
}

func TestConfigUnmarshalAndValidate(t *testing.T) {
	full := loadConfig(t, "full")
	want := Config{
		DSN:             "postgres://collector@db.internal:5432/traces?sslmode=require",
		Schema:          "tenant_a",
		MaxConns:        16,
		MinConns:        2,
		MaxConnLifetime: 30 * time.Minute,
		MaxConnIdleTime: 5 * time.Minute,
		ConnectTimeout:  3 * time.Second,
		Retry:           RetryConfig{Enabled: true, InitialInterval: 100 * time.Millisecond, MaxInterval: 5 * time.Second, MaxElapsedTime: 2 * time.Minute},
	}
	if full != want {
		t.Fatalf("full:\n got %+v\nwant %+v", full, want)
	}
	if err := full.Validate(); err != nil {
		t.Fatalf("full config invalid: %v", err)
	}
	pc, err := full.poolConfig()
	if err != nil {
		t.Fatal(err)
	}
	if pc.MaxConns != 16 || pc.MinConns != 2 || pc.ConnConfig.ConnectTimeout != 3*time.Second ||
		pc.ConnConfig.RuntimeParams["application_name"] != "otelcol-genai" {
		t.Fatalf("pool config not applied: %+v", pc)
	}

	minimal := loadConfig(t, "minimal")
	if err := minimal.Validate(); err != nil {
		t.Fatalf("minimal config invalid: %v", err)
	}
	if minimal.schema() != DefaultSchema || !minimal.Retry.Enabled || minimal.MaxConns != DefaultConfig().MaxConns {
		t.Fatalf("defaults not kept: %+v", minimal)
	}

	for name, wantErr := range map[string]string{
		"bad_schema":  "schema",
		"bad_pool":    "min_conns",
		"bad_retry":   "retry.initial_interval",
		"missing_dsn": "dsn must be set",
		"bad_dsn":     "not a valid PostgreSQL connection string",
	} {
		cfg := loadConfig(t, name)
		err := cfg.Validate()
		if err == nil || !strings.Contains(err.Error(), wantErr) {
			t.Errorf("%s: got %v, want an error mentioning %q", name, err, wantErr)
		}
		if err != nil && strings.Contains(err.Error(), "secret") {
			t.Errorf("%s: the error leaks the DSN password: %v", name, err)
		}
	}
}

func TestNewRejectsInvalidConfig(t *testing.T) {
	if _, err := New(context.Background(), Config{}, nil); err == nil {
		t.Fatal("New accepted an empty config")
	}
}

func TestParseDialectAndExpand(t *testing.T) {
	for v, want := range map[string]dialect{
		"PostgreSQL 15.20 (Debian 15.20-0+deb12u1) on x86_64-pc-linux-gnu":                                        dialectPostgres,
		"CockroachDB CCL v24.1.0 (x86_64-pc-linux-gnu, built 2024/05/15 21:28:29, go1.22.3 X:nocoverageredesign)": dialectCockroach,
		"PostgreSQL 11.2-YB-2.20.1.0-b0 on x86_64-pc-linux-gnu, compiled by clang version 16.0.6":                 dialectYugabyte,
	} {
		if got := parseDialect(v); got != want {
			t.Errorf("%q: got %v want %v", v, got, want)
		}
	}
	s := &Store{q: `"x"`}
	if got := s.expand(`CREATE TABLE {{s}}.t (k bytea NOT NULL)`); got != `CREATE TABLE "x".t (k bytea NOT NULL)` {
		t.Errorf("expand: %s", got)
	}
}

func TestRetryClassification(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want bool
	}{
		{&pgconn.PgError{Code: "40001"}, true},
		{&pgconn.PgError{Code: "40P01"}, true},
		{&pgconn.PgError{Code: "57P01"}, true},
		{&pgconn.PgError{Code: "08006"}, true},
		{fmt.Errorf("wrapped: %w", &pgconn.PgError{Code: "40001"}), true},
		{&pgconn.PgError{Code: "23505"}, false},
		{&pgconn.PgError{Code: "42P01"}, false},
		{io.ErrUnexpectedEOF, true},
		{fmt.Errorf("write: %w", syscall.ECONNRESET), true},
		{errors.New("conn closed"), true},
		{errors.New("closed pool"), false},
		{context.Canceled, false},
		{fmt.Errorf("x: %w", context.DeadlineExceeded), false},
		{errors.New("cannot encode"), false},
	} {
		if got := isRetryable(tc.err); got != tc.want {
			t.Errorf("%v: retryable=%v want %v", tc.err, got, tc.want)
		}
	}
	if !isMigrationRetryable(&pgconn.PgError{Code: "23505"}) || !isMigrationRetryable(&pgconn.PgError{Code: "42P07"}) {
		t.Error("concurrent CREATE errors must be retried during migration")
	}
}

func TestRetrierBackoffAndBudget(t *testing.T) {
	var slept []time.Duration
	r := &retrier{
		cfg:    RetryConfig{Enabled: true, InitialInterval: 10 * time.Millisecond, MaxInterval: 40 * time.Millisecond},
		logger: zap.NewNop(),
		sleep:  func(_ context.Context, d time.Duration) error { slept = append(slept, d); return nil },
	}
	calls := 0
	err := r.do(context.Background(), "op", func(context.Context) error {
		calls++
		if calls < 6 {
			return &pgconn.PgError{Code: "40001"}
		}
		return nil
	})
	if err != nil || calls != 6 || len(slept) != 5 || r.retries.Load() != 5 {
		t.Fatalf("err=%v calls=%d slept=%v retries=%d", err, calls, slept, r.retries.Load())
	}
	for i, d := range slept {
		// Jittered in [b/2, 3b/2) with b doubling from 10ms up to 40ms.
		b := min(10*time.Millisecond<<i, 40*time.Millisecond)
		if d < b/2 || d >= b*3/2 {
			t.Errorf("backoff %d = %v outside [%v, %v)", i, d, b/2, b*3/2)
		}
	}

	// A permanent error is returned at once.
	calls = 0
	perm := &pgconn.PgError{Code: "23502"}
	if err := r.do(context.Background(), "op", func(context.Context) error { calls++; return perm }); !errors.Is(err, perm) || calls != 1 {
		t.Fatalf("permanent error: %v after %d calls", err, calls)
	}

	// The context ends the retries.
	ctx, cancel := context.WithCancel(context.Background())
	r.sleep = func(ctx context.Context, d time.Duration) error { cancel(); return sleepCtx(ctx, d) }
	err = r.do(ctx, "op", func(context.Context) error { return io.ErrUnexpectedEOF })
	if !errors.Is(err, context.Canceled) || !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Fatalf("cancelled retry: %v", err)
	}

	// The time budget ends the retries.
	r.cfg.MaxElapsedTime = 25 * time.Millisecond
	r.sleep = sleepCtx
	start := time.Now()
	err = r.do(context.Background(), "op", func(context.Context) error { return io.ErrUnexpectedEOF })
	if err == nil || !strings.Contains(err.Error(), "retry budget exhausted") {
		t.Fatalf("budget: %v", err)
	}
	if time.Since(start) > 5*time.Second {
		t.Fatalf("budget of 25ms not honoured")
	}

	// Disabled: no retry.
	r.cfg.Enabled = false
	calls = 0
	_ = r.do(context.Background(), "op", func(context.Context) error { calls++; return io.ErrUnexpectedEOF })
	if calls != 1 {
		t.Fatalf("disabled retrier called %d times", calls)
	}
}
