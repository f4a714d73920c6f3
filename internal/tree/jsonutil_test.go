package tree

import (
	"encoding/json"
	"math"
	"testing"
)

// FuzzScalarsAsEncodingJSON: floatOf and boolOf, which read a verdict's
// score and pass, answer exactly what json.Unmarshal into a float64 or a
// bool (null left out) answers, for any bytes the object scanner can hand
// them.
func FuzzScalarsAsEncodingJSON(f *testing.F) {
	for _, s := range []string{"0.9", "1", "0", "-0", "1e400", "-1e-400", "1.0e-3", "1E2", `"0.9"`, "true", "false",
		"null", " null", " 0.5", "0.5 ", "01", "1.", ".5", "+1", "NaN", "Infinity", "0x10", "[1]", "{}", "", `"true"`, "tru", "true "} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, v []byte) {
		var wantF float64
		okF := json.Unmarshal(v, &wantF) == nil && !isNull(v)
		gotF, gotOKF := floatOf(v)
		if gotOKF != okF || (okF && math.Float64bits(gotF) != math.Float64bits(wantF)) {
			t.Fatalf("floatOf(%q) = %v, %v; encoding/json: %v, %v", v, gotF, gotOKF, wantF, okF)
		}
		var wantB bool
		okB := json.Unmarshal(v, &wantB) == nil && !isNull(v)
		gotB, gotOKB := boolOf(v)
		if gotOKB != okB || (okB && gotB != wantB) {
			t.Fatalf("boolOf(%q) = %v, %v; encoding/json: %v, %v", v, gotB, gotOKB, wantB, okB)
		}
	})
}
