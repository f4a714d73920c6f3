package tree

import (
	"fmt"
	"math/rand"
	"sort"
	"testing"
)

// refSortMembers is the specification of sortMembers: a stable sort by key,
// then the last member of each key.
func refSortMembers(ms []member) []member {
	c := append([]member(nil), ms...)
	sort.SliceStable(c, func(i, j int) bool { return c[i].key < c[j].key })
	var out []member
	for i := range c {
		if i+1 < len(c) && c[i+1].key == c[i].key {
			continue
		}
		out = append(out, c[i])
	}
	return out
}

// TestSortMembersMatchesStableSort checks both of sortMembers' paths (small
// and large objects) keep equal keys in document order and the last one.
func TestSortMembersMatchesStableSort(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	for _, n := range []int{0, 1, 2, smallObject - 1, smallObject, smallObject + 1, 40, 1000} {
		for round := 0; round < 20; round++ {
			ms := make([]member, n)
			for i := range ms {
				// Few distinct keys, so duplicates are common.
				ms[i] = member{key: fmt.Sprintf("k%d", rng.Intn(n/2+1)), val: []byte(fmt.Sprint(i))}
			}
			want := refSortMembers(ms)
			got := sortMembers(append([]member(nil), ms...))
			if len(got) != len(want) {
				t.Fatalf("n=%d: %d members, want %d", n, len(got), len(want))
			}
			for i := range want {
				if got[i].key != want[i].key || string(got[i].val) != string(want[i].val) {
					t.Fatalf("n=%d: member %d is %s=%s, want %s=%s", n, i, got[i].key, got[i].val, want[i].key, want[i].val)
				}
			}
		}
	}
}

// TestSortMembersWideObjectIsNotQuadratic: one accepted line with 20,000
// keys in reverse order is sorted on every read of its trace. A quadratic
// sort takes seconds here; O(n log n) takes milliseconds, so the bound has
// two orders of magnitude of slack for a loaded machine.
// TestSortMembersWideObject sorts a 20,000-key object given in reverse
// order (the shape that made every read quadratic). Its speed is measured
// by BenchmarkFoldWideObject, not asserted here: timing bounds in tests
// fail on a busy machine.
func TestSortMembersWideObject(t *testing.T) {
	const n = 20000
	ms := make([]member, n)
	for i := range ms {
		ms[i] = member{key: fmt.Sprintf("k%05d", n-1-i)}
	}
	out := sortMembers(ms)
	if len(out) != n || out[0].key != "k00000" || out[n-1].key != fmt.Sprintf("k%05d", n-1) {
		t.Fatalf("not sorted: %d members, first %q", len(out), out[0].key)
	}
}
