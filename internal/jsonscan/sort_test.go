package jsonscan

import (
	"fmt"
	"math/rand"
	"sort"
	"testing"
)

// refSortMembers is the specification of SortMembers: a stable sort by key,
// then the last member of each key.
func refSortMembers(ms []Member) []Member {
	c := append([]Member(nil), ms...)
	sort.SliceStable(c, func(i, j int) bool { return c[i].Key < c[j].Key })
	var out []Member
	for i := range c {
		if i+1 < len(c) && c[i+1].Key == c[i].Key {
			continue
		}
		out = append(out, c[i])
	}
	return out
}

// TestSortMembersMatchesStableSort checks both of SortMembers' paths (small
// and large objects) keep equal keys in document order and the last one.
func TestSortMembersMatchesStableSort(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	for _, n := range []int{0, 1, 2, smallObject - 1, smallObject, smallObject + 1, 40, 1000} {
		for round := 0; round < 20; round++ {
			ms := make([]Member, n)
			for i := range ms {
				// Few distinct keys, so duplicates are common.
				ms[i] = Member{Key: fmt.Sprintf("k%d", rng.Intn(n/2+1)), Val: []byte(fmt.Sprint(i))}
			}
			want := refSortMembers(ms)
			got := SortMembers(append([]Member(nil), ms...))
			if len(got) != len(want) {
				t.Fatalf("n=%d: %d members, want %d", n, len(got), len(want))
			}
			for i := range want {
				if got[i].Key != want[i].Key || string(got[i].Val) != string(want[i].Val) {
					t.Fatalf("n=%d: member %d is %s=%s, want %s=%s", n, i, got[i].Key, got[i].Val, want[i].Key, want[i].Val)
				}
			}
		}
	}
}

// TestSortMembersWideObject sorts a 20,000-key object given in reverse
// order (the shape that made every read quadratic). Its speed is measured
// by internal/tree's BenchmarkFoldWideObject, not asserted here: timing bounds in tests
// fail on a busy machine.
func TestSortMembersWideObject(t *testing.T) {
	const n = 20000
	ms := make([]Member, n)
	for i := range ms {
		ms[i] = Member{Key: fmt.Sprintf("k%05d", n-1-i)}
	}
	out := SortMembers(ms)
	if len(out) != n || out[0].Key != "k00000" || out[n-1].Key != fmt.Sprintf("k%05d", n-1) {
		t.Fatalf("not sorted: %d members, first %q", len(out), out[0].Key)
	}
}

// BenchmarkSortMembersReverse20k sorts the members of one 20,000-key
// object given in reverse key order, the shape that made every read of its
// trace quadratic (see SortMembers). internal/tree's BenchmarkFoldWideObject
// measures the same object through the whole fold.
func BenchmarkSortMembersReverse20k(b *testing.B) {
	const n = 20000
	src := make([]Member, n)
	for i := range src {
		src[i] = Member{Key: fmt.Sprintf("k%05d", n-1-i)}
	}
	ms := make([]Member, n)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		copy(ms, src)
		if out := SortMembers(ms); len(out) != n {
			b.Fatal(len(out))
		}
	}
}
