package jsonscan

import (
	"slices"
	"strings"
	"testing"
)

// sdkKeysMul still fits sdkKeys, and every SDK key decodes to its interned string; any other key, empty or
// sharing a known key's length and first, middle or last bytes, decodes
// to itself without being taken for a known one.
func TestKnownKeysIntern(t *testing.T) {
	if _, ok := placeKeys(sdkKeys, sdkKeysMul); !ok {
		t.Fatalf("sdkKeysMul no longer spreads sdkKeys: set it to %#x", newKeyTable(sdkKeys, 0).mul)
	}
	tbl := knownKeys
	for _, k := range sdkKeys {
		got, ok := tbl.intern([]byte(k))
		if !ok || got != k {
			t.Fatalf("intern(%q) = %q, %v", k, got, ok)
		}
		if got := decodeKey([]byte(`"` + k + `"`)); got != k {
			t.Fatalf("decodeKey(%q) = %q", k, got)
		}
		for _, other := range []string{k + "x", "x" + k, k[:len(k)-1], strings.ToUpper(k), k[:len(k)/2] + "#" + k[len(k)/2+1:]} {
			if slices.Contains(sdkKeys, other) {
				continue // "messages" less its last byte
			}
			if got, ok := tbl.intern([]byte(other)); ok {
				t.Fatalf("intern(%q) = %q: taken for a known key", other, got)
			}
			if got := decodeKey([]byte(`"` + other + `"`)); got != other {
				t.Fatalf("decodeKey(%q) = %q", other, got)
			}
		}
	}
	if _, ok := tbl.intern(nil); ok {
		t.Fatal("the empty key interned")
	}
	defer func() {
		if recover() == nil {
			t.Fatal("newKeyTable accepted two keys it cannot tell apart")
		}
	}()
	newKeyTable([]string{"abXcd", "aQXcd"}, 0) // same length, first, middle and last
}
