package jsonscan

import (
	"encoding/json"
	"reflect"
	"testing"
)

var decodeAnyCases = []string{
	`{"a":1,"b":[true,false,null,"x"],"c":{"d":-1.5e3,"e":""}}`,
	` [ {"role" : "user", "parts":[{"type":"text","content":"hi \"there\"\n\u00e9\ud83d\ude00"}]} ] `,
	`"plain"`, `"esc\\aped\/"`, `12`, `-0`, `0.000001`, `1e308`, `1e400`, `-1e400`, `1e-400`,
	`{"a":1,"a":2}`, `{"a":{"x":1},"a":{"y":2}}`, `[{"k":1,"k":[1]}]`,
	`"bad utf8 ` + "\xff\xfe" + `"`, `"lone \ud800 surrogate"`, "{\"k\xff\":1}",
	`{}`, `[]`, `[[],[{}]]`, `null`, `true`, ``, ` `, `{`, `[1,]`, `{"a":}`, `nul`, `01`, `1.`, `"\x"`,
	`{"a":1}x`, `{"a" 1}`, "\"ctl\x01\"", `{"":0}`,
}

func refDecodeAny(s string) (any, bool) {
	var v any
	if err := json.Unmarshal([]byte(s), &v); err != nil {
		return nil, false
	}
	return v, true
}

// TestDecodeAnyMatchesUnmarshal checks DecodeAny against json.Unmarshal,
// including the cases it leaves to encoding/json.
func TestDecodeAnyMatchesUnmarshal(t *testing.T) {
	for _, s := range decodeAnyCases {
		got, ok := DecodeAny(s)
		want, wok := refDecodeAny(s)
		if ok != wok || !reflect.DeepEqual(got, want) {
			t.Errorf("DecodeAny(%q) = %#v, %v; json.Unmarshal gives %#v, %v", s, got, ok, want, wok)
		}
	}
}

func FuzzDecodeAny(f *testing.F) {
	for _, s := range decodeAnyCases {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, ok := DecodeAny(s)
		want, wok := refDecodeAny(s)
		if ok != wok || !reflect.DeepEqual(got, want) {
			t.Fatalf("DecodeAny(%q) = %#v, %v; json.Unmarshal gives %#v, %v", s, got, ok, want, wok)
		}
	})
}
