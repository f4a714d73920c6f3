package pii

import (
	"testing"
	"unicode/utf8"
)

// FuzzFind checks the invariants callers rely on for any input: findings
// lie inside the text on rune boundaries, are ordered and do not overlap,
// and each carries a known kind.
func FuzzFind(f *testing.F) {
	for _, s := range []string{
		"", "@", "+", "(", "0000000", "mail a@b.co, call +44 20 7946 0958",
		"4111 1111 1111 1111 GB82 WEST 1234 5698 7654 32 536-22-1234",
		"sk-proj-aB3dE5gH7jaB3dE5gH7jaB3dE5gH7jaB3dE5gH7j", "ü@ü.de 0151\u00a023456789",
		"(((((1234567", "+\u00a0\u00a0\u00a0", "AB12", "x@y.zz@w.com",
	} {
		f.Add(s)
	}
	d, err := New(Config{})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, text string) {
		prev := 0
		for _, x := range d.Find(text) {
			if x.Start < prev || x.End <= x.Start || x.End > len(text) {
				t.Fatalf("finding %v out of order or bounds (prev end %d, len %d)", x, prev, len(text))
			}
			if utf8.ValidString(text) && (!utf8.RuneStart(text[x.Start]) || x.End < len(text) && !utf8.RuneStart(text[x.End])) {
				t.Fatalf("finding %v splits a rune in %q", x, text)
			}
			known := false
			for _, k := range Kinds {
				known = known || x.Kind == k
			}
			if !known {
				t.Fatalf("unknown kind %q", x.Kind)
			}
			_ = x.Normalized(text)
			prev = x.End
		}
	})
}
