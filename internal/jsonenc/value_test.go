package jsonenc

import (
	"encoding/json"
	"math"
	"math/rand"
	"testing"
)

// randomValue builds a value of the types AppendValue takes, with strings,
// keys and numbers chosen to break an encoder: HTML characters, control
// bytes, invalid UTF-8, U+2028, keys that sort differently as bytes and as
// runes, floats at the exponent-form boundaries, negative zero.
func randomValue(rng *rand.Rand, depth int) any {
	strs := []string{"", "a", "B", "é", "日本", "🙂", "<&>", "\"q\"", "\\", "\n\t\x00\x1f", "\xff", "\u2028", "\ufffd", "z\u007f", "10", "2"}
	str := func() string {
		if rng.Intn(3) == 0 {
			b := make([]byte, rng.Intn(8))
			for i := range b {
				b[i] = byte(rng.Intn(256))
			}
			return string(b)
		}
		return strs[rng.Intn(len(strs))] + strs[rng.Intn(len(strs))]
	}
	floats := []float64{0, math.Copysign(0, -1), 1, -1, 0.1, 1e-6, 9.99e-7, 1e21, 9.99e20, 1e-7, 123456789.125, -2.5e-300, math.MaxFloat64, math.SmallestNonzeroFloat64, 1 << 53, 3.0}
	n := rng.Intn(15)
	if depth > 4 && n >= 8 {
		n = rng.Intn(8)
	}
	switch n {
	case 0:
		return nil
	case 1:
		return str()
	case 2:
		return rng.Intn(2) == 0
	case 3:
		if rng.Intn(2) == 0 {
			return floats[rng.Intn(len(floats))]
		}
		return rng.NormFloat64() * math.Pow(10, float64(rng.Intn(60)-30))
	case 4:
		return rng.Int63() - rng.Int63()
	case 5:
		return rng.Intn(1000) - 500
	case 6:
		return uint64(rng.Int63())
	case 7:
		return int32(rng.Int31())
	case 8:
		m := map[string]any{}
		for range rng.Intn(5) {
			k := str()
			m[k] = randomValue(rng, depth+1)
		}
		if rng.Intn(10) == 0 {
			return map[string]any(nil)
		}
		return m
	case 9:
		m := map[string]string{}
		for range rng.Intn(5) {
			m[str()] = str()
		}
		return m
	case 10:
		m := map[string]float64{}
		for range rng.Intn(4) {
			m[str()] = floats[rng.Intn(len(floats))]
		}
		return m
	case 11:
		var s []any
		if rng.Intn(8) > 0 {
			s = []any{}
		}
		for range rng.Intn(5) {
			s = append(s, randomValue(rng, depth+1))
		}
		return s
	case 12:
		var s []string
		for range rng.Intn(4) {
			s = append(s, str())
		}
		return s
	case 13:
		m := map[string]int64{}
		for range rng.Intn(4) {
			m[str()] = rng.Int63() - rng.Int63()
		}
		return m
	default:
		return []byte("bytes are left to encoding/json")
	}
}

// TestAppendValueIsMarshal: whenever AppendValue takes a value, it writes
// exactly json.Marshal's bytes; when it declines, it leaves b as it was.
// It must decline only where encoding/json errors or where the value holds
// a type it does not take.
func TestAppendValueIsMarshal(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	taken := 0
	for range 20000 {
		v := randomValue(rng, 0)
		want, err := json.Marshal(v)
		got, ok := AppendValue([]byte("x"), v)
		if !ok {
			if string(got) != "x" {
				t.Fatalf("AppendValue(%#v) declined but changed b to %q", v, got)
			}
			continue
		}
		taken++
		if err != nil {
			t.Fatalf("AppendValue(%#v) = %s, but json.Marshal fails: %v", v, got[1:], err)
		}
		if string(got[1:]) != string(want) {
			t.Fatalf("AppendValue(%#v)\n got %s\nwant %s", v, got[1:], want)
		}
	}
	if taken < 15000 {
		t.Fatalf("AppendValue took only %d of 20000 values", taken)
	}
	for _, v := range []any{math.NaN(), math.Inf(1), map[string]any{"a": math.Inf(-1)}, map[string]float64{"n": math.NaN()}, map[string]any{"\xff": 1}} {
		if got, ok := AppendValue(nil, v); ok {
			t.Fatalf("AppendValue(%#v) = %s, want declined (encoding/json errors or rewrites the key)", v, got)
		}
	}
	deep := any("x")
	for range 100 {
		deep = []any{deep}
	}
	if _, ok := AppendValue(nil, deep); ok {
		t.Fatal("AppendValue took 100 levels of nesting")
	}
	if b, err := Marshal(deep); err != nil || len(b) != 203 {
		t.Fatalf("Marshal(100 levels) = %d bytes, %v; want encoding/json's answer", len(b), err)
	}
}

// FuzzAppendValueOfDecodedJSON: any JSON document, decoded as the
// normalizer decodes it (numbers as float64), is re-encoded exactly as
// json.Marshal encodes it.
func FuzzAppendValueOfDecodedJSON(f *testing.F) {
	for _, s := range []string{`{"b":1,"a":[true,null,"x"]}`, `[1e21,1e-7,-0,0.1]`, `{"é":"<&>","e":"\u2028"}`, `"\ud800"`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		var v any
		if json.Unmarshal([]byte(s), &v) != nil {
			return
		}
		want, err := json.Marshal(v)
		got, ok := AppendValue(nil, v)
		if !ok {
			return
		}
		if err != nil || string(got) != string(want) {
			t.Fatalf("AppendValue(%s) = %s, json.Marshal = %s (%v)", s, got, want, err)
		}
	})
}
