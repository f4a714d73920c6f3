package tree

import (
	"bytes"
	"encoding/json"
	"math"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"github.com/otelcol-genai/otelcol-genai/internal/jsonscan"
	"github.com/otelcol-genai/otelcol-genai/pkg/commit"
)

// The fold's JSON helpers must give exactly what the encoding/json calls
// they replaced gave. These tests compare them, on hand-picked edge cases
// and under fuzzing, with encoding/json itself.

var scanCorpus = []string{
	`{}`, `{"a":1}`, `{"b":2,"a":1}`, `{"a":1,"a":2}`, `{"a":{"x":[1,2,{"y":"}"}]},"b":"]"}`,
	` { "a" : 1 , "b" : [ 1 , 2 ] } `, `{"\u0069d":"x","i\"d":1}`, `{"é":1,"e":2}`, "{\"\xff\":1}",
	`{"s":"a\"b\\c","n":null,"t":true,"f":false}`, `{"n":-0.5e+10,"m":1E3,"z":0}`,
	`null`, `[]`, `[1,"a",{"b":null}]`, `"str"`, `"esc\u00e9\n"`, `12`, `-0`, `1.5e400`, `"1.5"`, `" 7 "`,
	`"NaN"`, `"Inf"`, `"0x10"`, `true`, `{"a":}`, `{"a":1`, `{"a" 1}`, `{"a":1,}`, `[1,]`, `"unterminated`,
	"\"ctl\x01\"", "\"bad utf8 \xff\"", `{"id":"x","ID":"y"}`, `{"messages":[{"role":"user","content":"q"}, {"role":"assistant"}]}`,
	`{"name":"ttft","value":12}`, `{"name":null,"value":"3"}`, `{"temperature":"0.1","stop":"[\"a\"]","x":"plain","n":null,"b":true,"o":{"k":1}}`,
	`{"type":"text","value":"hello"}`, `{"Type":"text","Value":"hello"}`, `{"type":"text","value":"hi","x":1}`,
	"  {\"a\" :\t\"b c\"}\n", `["a b", {"c" : "d"}]`,
	`01`, `1.`, `.5`, `-`, `1e`, `1e+`, `tru`, `nul`, `"\x"`, `"\u12g4"`, `"\u12"`, `[1 2]`, `{"a":1 "b":2}`,
	`{,}`, `[,1]`, `{"a":1}x`, `{"a":[]} `, "\t[ ]\r\n", `""`, `"\/\b\f"`,
}

func FuzzScanHelpers(f *testing.F) {
	for _, s := range scanCorpus {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		checkHelpers(t, data)
	})
}

func TestScanHelpersMatchEncodingJSON(t *testing.T) {
	for _, s := range scanCorpus {
		checkHelpers(t, []byte(s))
	}
	// encoding/json's nesting limit.
	for _, depth := range []int{jsonscan.MaxDepth, jsonscan.MaxDepth + 1} {
		deep := []byte(strings.Repeat("[", depth) + strings.Repeat("]", depth))
		if got, want := jsonscan.Valid(deep), json.Valid(deep); got != want {
			t.Fatalf("depth %d: validJSON = %v, json.Valid %v", depth, got, want)
		}
	}
}

func checkHelpers(t *testing.T, data []byte) {
	t.Helper()
	// parseObject == json.Unmarshal into a map (on the data of a commit).
	var m map[string]json.RawMessage
	mapOK := json.Unmarshal(data, &m) == nil && m != nil
	// An arena already holding members, as in the middle of a fold.
	ar := &arena{}
	ar.parseObject([]byte(`{"x":1,"y":{"z":2}}`))
	o := ar.parseObject(data)
	if o.OK != mapOK {
		t.Fatalf("%q: parseObject ok=%v, json ok=%v", data, o.OK, mapOK)
	}
	if o.OK {
		if len(o.Members) != len(m) {
			t.Fatalf("%q: %d members, json %d", data, len(o.Members), len(m))
		}
		for i, mb := range o.Members {
			if i > 0 && o.Members[i-1].Key >= mb.Key {
				t.Fatalf("%q: members not sorted/unique at %q", data, mb.Key)
			}
			if !bytes.Equal(mb.Val, m[mb.Key]) {
				t.Fatalf("%q: member %q = %q, json %q", data, mb.Key, mb.Val, m[mb.Key])
			}
			if !bytes.Equal(o.Get(mb.Key), m[mb.Key]) {
				t.Fatalf("%q: get(%q) = %q", data, mb.Key, o.Get(mb.Key))
			}
			checkValue(t, mb.Val)
		}
	}
	if got, want := jsonscan.Valid(data), json.Valid(data); got != want {
		t.Fatalf("%q: validJSON = %v, json.Valid %v", data, got, want)
	}
	if json.Valid(data) {
		checkValue(t, data)
	}
	// fieldsOf == decoding into the struct (case-insensitive names).
	var want childFields
	wantOK := len(data) > 0 && data[0] == '{' && json.Unmarshal(data, &want) == nil
	got, gotOK := fieldsOfData(data)
	if gotOK != wantOK || wantOK && !reflect.DeepEqual(got, want) {
		t.Fatalf("%q: fieldsOf = %+v,%v, json %+v,%v", data, got, gotOK, want, wantOK)
	}
	// childRefObject == ChildRef plus parseObject, for a child-creating commit.
	for _, act := range []commit.Action{commit.ActionAddSpan, commit.ActionAddError, commit.ActionUpdate} {
		c := &commit.Commit{Repo: "r", Entity: commit.EntitySpan, EntityID: "p", Action: act, Data: data}
		wr, wok := ChildRef(c)
		gr, gobj, gok := ar.childRefObject(c)
		if gr != wr || gok != wok {
			t.Fatalf("%q %s: childRefObject = %v,%v, ChildRef %v,%v", data, act, gr, gok, wr, wok)
		}
		if po := ar.parseObject(data); gok && !reflect.DeepEqual(gobj, po) {
			t.Fatalf("%q: childRefObject object %v, parseObject %v", data, gobj, po)
		}
	}
	// compact == json.Compact (or a copy when invalid), on anything.
	var b bytes.Buffer
	wantC := append([]byte(nil), data...)
	if json.Compact(&b, data) == nil {
		wantC = b.Bytes()
	}
	if gotC := compact(data); !bytes.Equal(gotC, wantC) {
		t.Fatalf("%q: compact = %q, want %q", data, gotC, wantC)
	}
	// unquote / number / str on anything.
	var s string
	sOK := json.Unmarshal(data, &s) == nil && !isNull(data)
	if gs, ok := jsonscan.Unquote(data); ok != sOK || gs != s {
		t.Fatalf("%q: unquote = %q,%v want %q,%v", data, gs, ok, s, sOK)
	}
	wf, wok := refNumber(data)
	if gf, ok := jsonscan.Number(data); ok != wok || (ok && gf != wf && !(math.IsNaN(gf) && math.IsNaN(wf))) {
		t.Fatalf("%q: number = %v,%v want %v,%v", data, gf, ok, wf, wok)
	}
}

// checkValue compares the sub-value helpers on a value of a valid document.
func checkValue(t *testing.T, v []byte) {
	t.Helper()
	var ar *arena // the allocating path
	var m map[string]json.RawMessage
	mapOK := json.Unmarshal(v, &m) == nil && m != nil
	if so := ar.subObject(v); so.OK != mapOK || len(so.Members) != len(m) {
		t.Fatalf("%q: subObject ok=%v n=%d, json ok=%v n=%d", v, so.OK, len(so.Members), mapOK, len(m))
	}
	var arr []json.RawMessage
	arrErr := json.Unmarshal(v, &arr)
	if els, ok := jsonscan.ArrayElems(v); ok != (arrErr == nil && !isNull(v)) || ok && !reflect.DeepEqual(rawStrings(els), rawStrings(arr)) {
		t.Fatalf("%q: arrayElems = %q,%v json %q,%v", v, els, ok, arr, arrErr)
	}
	var wantAny any
	wantMP := map[string]any(nil)
	if json.Unmarshal(v, &m) == nil {
		wantMP = refModelParams(m)
	}
	if got := ar.modelParams(v); !reflect.DeepEqual(got, wantMP) {
		t.Fatalf("%q: modelParams = %#v, want %#v (%v)", v, got, wantMP, wantAny)
	}
}

func rawStrings(rs []json.RawMessage) []string {
	out := make([]string, len(rs))
	for i, r := range rs {
		out[i] = string(r)
	}
	return out
}

// refNumber is number as it was written with encoding/json.
func refNumber(v []byte) (float64, bool) {
	if len(v) == 0 {
		return 0, false
	}
	var f float64
	if json.Unmarshal(v, &f) == nil {
		return f, true
	}
	var s string
	if json.Unmarshal(v, &s) == nil {
		if x, err := strconv.ParseFloat(strings.TrimSpace(s), 64); err == nil && !math.IsNaN(x) && !math.IsInf(x, 0) {
			return x, true
		}
	}
	return 0, false
}

// refModelParams is modelParams as it was written with encoding/json.
func refModelParams(m map[string]json.RawMessage) map[string]any {
	out := make(map[string]any, len(m))
	for k, x := range m {
		var s string
		if json.Unmarshal(x, &s) == nil {
			t := strings.TrimSpace(s)
			var parsed any
			if t != "" && !strings.HasPrefix(t, `"`) && json.Unmarshal([]byte(t), &parsed) == nil {
				out[k] = parsed
				continue
			}
			out[k] = s
			continue
		}
		var anyv any
		if json.Unmarshal(x, &anyv) == nil {
			out[k] = anyv
		}
	}
	return out
}

var choicesCorpus = []string{
	``, `null`, `[]`, `{}`, `"x"`, `[null]`, `[1]`, `[{}]`,
	`[{"index":0,"message":{"role":"assistant","content":"a"},"finish_reason":"stop"}]`,
	`[{"text":"hi","finish_reason":null},{"text":null}]`, `[{"text":5}]`, `[{"Text":"x"}]`, `[{"text":"a","text":"b"}]`,
	`[{"message":null},{"message":{"content":[{"type":"text","text":"p"}],"tool_calls":[{"id":"c1"},null]}}]`,
	`[{"message":{"tool_calls":null}}]`, `[{"message":{"tool_calls":{}}}]`, `[{"message":{"Content":"x"}}]`,
	`[{"message":{"content":"a"},"message":{"tool_calls":[]}}]`, `[{"message":"str"}]`, `[{"text":"a\u00e9\n"}]`,
	`[{"finish_reason":{"x":1},"finish_reason":"stop"}]`, `[{"message":{"content":"a","content":"b"}}]`,
}

func FuzzDecodeChoices(f *testing.F) {
	for _, s := range choicesCorpus {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		checkChoices(t, &arena{}, raw)
	})
}

func TestDecodeChoicesMatchesEncodingJSON(t *testing.T) {
	fast := 0
	for _, s := range choicesCorpus {
		if _, ok := (&arena{}).fastChoices([]byte(s)); ok {
			fast++
		}
		checkChoices(t, &arena{}, []byte(s))
	}
	if fast < 8 {
		t.Fatalf("only %d corpus values took the fast path", fast)
	}
	// One arena for the whole corpus, forwards and backwards, as a fold
	// goroutine decodes result after result (reset between folds, not
	// within one): the choice buffer it reuses must carry nothing over,
	// not even after a fast decode that gave up midway.
	ar := &arena{}
	for i := range 2 * len(choicesCorpus) {
		k := i
		if i >= len(choicesCorpus) {
			k = 2*len(choicesCorpus) - 1 - i
		}
		checkChoices(t, ar, []byte(choicesCorpus[k]))
		if i%3 == 0 {
			ar.reset()
		}
	}
}

func checkChoices(t *testing.T, ar *arena, raw []byte) {
	t.Helper()
	if len(raw) > 0 && !json.Valid(raw) {
		return // the fold only passes values of validated documents
	}
	var want []choice
	_ = json.Unmarshal(raw, &want)
	got := ar.decodeChoices(raw)
	wj, _ := json.Marshal(want)
	gj, _ := json.Marshal(got)
	if !bytes.Equal(wj, gj) || (want == nil) != (got == nil) {
		t.Fatalf("%q: decodeChoices = %s, encoding/json %s", raw, gj, wj)
	}
}
