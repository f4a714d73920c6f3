package ci

import (
	"testing"
)

// recorder is a testing.TB that records how a helper ended the test
// instead of ending the real one.
type recorder struct {
	testing.TB
	skipped, failed bool
	msg             string
}

func (r *recorder) Helper() {}
func (r *recorder) Skipf(format string, args ...any) {
	r.skipped = true
	r.msg = format
}
func (r *recorder) Fatalf(format string, args ...any) {
	r.failed = true
	r.msg = format
}

func TestRule(t *testing.T) {
	for _, tc := range []struct {
		name        string
		ci          string
		ok          bool
		wantSkipped bool
		wantFailed  bool
	}{
		{name: "present, outside CI", ci: "", ok: true},
		{name: "present, in CI", ci: "true", ok: true},
		{name: "missing outside CI skips", ci: "", ok: false, wantSkipped: true},
		{name: "missing in CI fails", ci: "true", ok: false, wantFailed: true},
		{name: "any non-empty CI value counts", ci: "1", ok: false, wantFailed: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv("CI", tc.ci)
			r := &recorder{TB: t}
			Require(r, tc.ok, "needs %s", "a thing")
			if r.skipped != tc.wantSkipped || r.failed != tc.wantFailed {
				t.Fatalf("skipped=%v failed=%v, want skipped=%v failed=%v", r.skipped, r.failed, tc.wantSkipped, tc.wantFailed)
			}
			if Enabled() != (tc.ci != "") {
				t.Fatalf("Enabled() = %v with CI=%q", Enabled(), tc.ci)
			}
		})
	}
}
