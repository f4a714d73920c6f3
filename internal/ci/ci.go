// Package ci holds the one rule for tests that need something a developer
// machine may lack (PostgreSQL, kcat, node, chromium, a built binary): skip
// with a message saying what is missing outside CI, fail in CI, where every
// test must run so none can pass by skipping.
package ci

import (
	"fmt"
	"os"
	"testing"
)

// Enabled reports whether the tests run in CI: the CI environment variable
// is set to anything non-empty (GitHub Actions, GitLab and .ci/run set it).
func Enabled() bool { return os.Getenv("CI") != "" }

// Unavailable stops t because what the message describes is missing: a
// skip outside CI, a failure in CI.
func Unavailable(t testing.TB, format string, args ...any) {
	t.Helper()
	msg := fmt.Sprintf(format, args...)
	if Enabled() {
		t.Fatalf("%s (CI is set, so this must run: failing)", msg)
	} else {
		t.Skipf("%s (skipped outside CI; it fails when CI is set)", msg)
	}
}

// Require is Unavailable when ok is false, and does nothing otherwise.
func Require(t testing.TB, ok bool, format string, args ...any) {
	t.Helper()
	if !ok {
		Unavailable(t, format, args...)
	}
}
