package normalize

import (
	"strings"
	"testing"

	"github.com/otelcol-genai/otelcol-genai/internal/jsonscan"
)

// recodeSlow is what recode stands in for: decode, then encode.
func recodeSlow(v string) (string, bool) {
	x, ok := decodeSub(v)
	if !ok {
		return "", false
	}
	return compactJSON(x), true
}

var recodeCases = []string{
	`{}`, `[]`, `{"b":1,"a":2}`, ` { "z" : [ 1 , 2.50 , -0 , 1e2 , 1E+2, -0.0, 0e5 ] , "a" : { "y" : null , "x" : true } } `,
	`{"html":"<a href='x'>&amp;</a>","nl":"a\nb\tc\u0001","u":"\u2028\u00e9\ud83d\ude00","bad":"\ud800"}`,
	`{"dup":1,"dup":2}`, `{"a":{"dup":1,"dup":2}}`, `[1e400]`, `[123456789012345,1234567890123456,9007199254740993,-9007199254740992]`,
	`[0.1,1e-7,1e21,123.456e10,-1.5e-300,5e-324]`, `{"é":1,"e":2,"E":3,"\u00e9t\u00e9":4,"z\\"":5}`, `"string"`, `42`, `-0`,
	`{"filters":{"active":true,"region":"eu"},"limit":15,"query":"latency cursor"}`, `[[[[[[]]]]]]`, `{"":""}`,
	"{\"k\xff\":\"v\xfe\"}",
}

// TestRecodeIsDecodeEncode: recode gives compactJSON(decodeSub(v))
// whenever it answers, and answers for the ordinary documents.
func TestRecodeIsDecodeEncode(t *testing.T) {
	answered := 0
	for _, v := range recodeCases {
		if !jsonscan.ValidString(v) {
			continue
		}
		v = strings.TrimSpace(v)
		got, ok := recode(v)
		want, wok := recodeSlow(v)
		if !ok {
			continue
		}
		answered++
		if !wok || got != want {
			t.Errorf("recode(%s) = %s, decode+encode = %s (%v)", v, got, want, wok)
		}
	}
	if answered < len(recodeCases)-5 {
		t.Fatalf("recode answered only %d of %d cases", answered, len(recodeCases))
	}
	for _, v := range []string{`{"dup":1,"dup":2}`, `[1e400]`} {
		if got, ok := recode(v); ok {
			t.Errorf("recode(%s) = %s, want it left to the decoder", v, got)
		}
	}
}

func FuzzRecode(f *testing.F) {
	for _, v := range recodeCases {
		f.Add(v)
	}
	f.Fuzz(func(t *testing.T, v string) {
		v = strings.TrimSpace(v)
		if v == "" || !jsonscan.ValidString(v) {
			return
		}
		got, ok := recode(v)
		if !ok {
			return
		}
		want, wok := recodeSlow(v)
		if !wok || got != want {
			t.Fatalf("recode(%q) = %s, decode+encode = %s (%v)", v, got, want, wok)
		}
	})
}

var toolTexts = append([]string{
	` {"city": "Paris", "units": ["c", 1.50]} `, `[{"type":"text","text":"a"}]`, `{"content":"x","type":"tool"}`,
	`{"output":{"lc":1}}`, `{"lc":1,"type":"constructor","id":["x","ToolMessage"],"kwargs":{"content":"r","tool_call_id":"c","status":"error"}}`,
	`{"results":[{"id":1}],"truncated":false}`, `{'a': 1}`, `"{\"a\":1}"`, `{"isError":true,"content":[{"type":"text","text":"boom"}]}`,
}, recodeCases...)

// TestToolTextShortcuts: argsTextOfJSON gives argsText's answer, and
// noToolWrapper is true only where unwrapToolResult finds nothing.
func TestToolTextShortcuts(t *testing.T) {
	fast := 0
	for _, s := range toolTexts {
		checkToolText(t, s)
		if _, ok := argsTextOfJSON(s); ok {
			fast++
		}
	}
	if fast < len(toolTexts)/2 {
		t.Fatalf("argsTextOfJSON answered %d of %d", fast, len(toolTexts))
	}
	if !noToolWrapper(`{"results":[]}`) || noToolWrapper(`{"content":"x","type":"tool"}`) {
		t.Fatal("noToolWrapper misreads the keys")
	}
}

func checkToolText(t *testing.T, s string) {
	t.Helper()
	if got, ok := argsTextOfJSON(s); ok {
		if want := argsText(s); got != want {
			t.Fatalf("argsTextOfJSON(%q) = %s, argsText = %s", s, got, want)
		}
	}
	if noToolWrapper(s) {
		if r, ok := unwrapToolResult(s); ok {
			t.Fatalf("noToolWrapper(%q), but unwrapToolResult finds %+v", s, r)
		}
	}
}

func FuzzToolTextShortcuts(f *testing.F) {
	for _, s := range toolTexts {
		f.Add(s)
	}
	f.Fuzz(checkToolText)
}
