package jsonscan

import (
	"encoding/json"
	"testing"
	"unicode/utf8"
)

// marshalSame is what Verbatim stands for: encoding/json writes v as is.
// Verbatim also refuses invalid UTF-8, which encoding/json (since it is
// built on encoding/json/v2) copies as is and the classic encoder replaced:
// refusing only costs the caller a json.Marshal.
func marshalSame(v []byte) bool {
	if !json.Valid(v) || !utf8.Valid(v) {
		return false
	}
	out, err := json.Marshal(json.RawMessage(v))
	return err == nil && string(out) == string(v)
}

var verbatimCases = []string{
	`{}`, `[]`, `{"a":1}`, `{"a": 1}`, ` {"a":1}`, `{"a":1} `, `[1,2,{"b":[true,false,null]}]`, `"x"`, `-1.5e-3`,
	`"<b>"`, `"a&b"`, `"\u003cb\u003e"`, "\"\u2028\"", "\"\u2029\"", "\"\xff\"", "\"\xed\xa0\x80\"", `"héllo 東京 😀"`,
	`"\n"`, "\"\n\"", `"\/"`, `"\ud800"`, `{"a":1,}`, `[1 ,2]`, `01`, `tru`, `{"k":"v"`, `"\x"`, `[[[[]]]]`,
}

func TestVerbatimIsMarshalSame(t *testing.T) {
	for _, v := range verbatimCases {
		if got, want := Verbatim([]byte(v)), marshalSame([]byte(v)); got != want {
			t.Errorf("Verbatim(%q) = %v, encoding/json writes it unchanged: %v", v, got, want)
		}
	}
}

func FuzzVerbatim(f *testing.F) {
	for _, v := range verbatimCases {
		f.Add(v)
	}
	f.Fuzz(func(t *testing.T, v string) {
		if got, want := Verbatim([]byte(v)), marshalSame([]byte(v)); got != want {
			t.Fatalf("Verbatim(%q) = %v, encoding/json writes it unchanged: %v", v, got, want)
		}
	})
}
