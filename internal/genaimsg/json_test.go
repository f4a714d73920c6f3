package genaimsg

import (
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"
)

// openAIMessages are OpenAI-shaped messages of every kind Input converts,
// with strings chosen to trip an encoder.
func openAIMessages(rng *rand.Rand) []json.RawMessage {
	texts := []string{"", "hi", "<b>&amp;</b>", "line\nbreak\t\"quoted\" \\ back", "ünïcødé 日本語 🙂", "\u2028\u2029",
		strings.Repeat("long plain text ", 20), "bad \xff utf-8"}
	txt := func() string { b, _ := json.Marshal(texts[rng.IntN(len(texts))]); return string(b) }
	shapes := []func() string{
		func() string { return `{"role":"user","content":` + txt() + `}` },
		func() string { return `{"role":"system","content":` + txt() + `}` },
		func() string { return `{"role":"developer","content":null}` },
		func() string {
			return `{"role":"assistant","content":null,"tool_calls":[{"id":"c1","type":"function","function":{"name":"f","arguments":"{\"city\":\"Paris\",\"n\":[1,2.5,true,null]}"}},{"id":"c2","function":{"name":"g","arguments":"not json <>"}}]}`
		},
		func() string { return `{"role":"tool","tool_call_id":"c1","content":` + txt() + `}` },
		func() string {
			return `{"role":"user","content":[{"type":"text","text":` + txt() + `},{"type":"image_url","image_url":{"url":"https://x/y.png?a=1&b=2"}},{"type":"input_audio","input_audio":{"data":"AAA=","format":"wav"}},{"type":"text"}]}`
		},
		func() string {
			return `{"role":"assistant","content":[{"type":"file","file":{"file_id":"f-1","n":1e21}}]}`
		},
		func() string { return `"just a string"` },
		func() string { return `[1,2]` },
		func() string { return `{"role":"","content":"no role"}` },
		func() string { return `{"role":"user","content":{"odd":"object"}}` },
	}
	var out []json.RawMessage
	for range 1 + rng.IntN(6) {
		out = append(out, json.RawMessage(shapes[rng.IntN(len(shapes))]()))
	}
	return out
}

// MarshalMessages and MarshalParts write json.Marshal's bytes for what
// Input makes of OpenAI messages, for hand-made edge cases, and fall back
// to json.Marshal's error for what it refuses.
func TestMarshalIsJSONMarshal(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 8))
	check := func(name string, got []byte, gerr error, v any) {
		t.Helper()
		want, werr := json.Marshal(v)
		if (gerr != nil) != (werr != nil) || string(got) != string(want) {
			t.Fatalf("%s:\n got %s (%v)\nwant %s (%v)", name, got, gerr, want, werr)
		}
	}
	for i := range 3000 {
		sys, msgs := Input(openAIMessages(rng))
		got, err := MarshalMessages(msgs)
		check(fmt.Sprintf("messages %d", i), got, err, msgs)
		got, err = MarshalParts(sys)
		check(fmt.Sprintf("system %d", i), got, err, sys)
	}
	edge := [][]Message{
		nil,
		{},
		{{Role: "user"}},                  // nil parts: null
		{{Role: "user", Parts: []Part{}}}, // empty parts: []
		{{Role: "assistant", Parts: []Part{{Type: "text", Content: ""}}, FinishReason: "stop"}}, // "" is kept
		{{Role: "a", Parts: []Part{{Type: "x", Content: map[string]any{"b": 1.0, "a": []any{"<", nil}}, Arguments: 3.0, Response: false}}}},
		{{Role: "a", Parts: []Part{{Type: "x", Content: math.NaN()}}}}, // refused by both
		{{Role: "a", Parts: []Part{{Type: "x", Content: struct{ A int }{1}}}}},
	}
	for i, msgs := range edge {
		got, err := MarshalMessages(msgs)
		check(fmt.Sprintf("edge %d", i), got, err, msgs)
	}
}

// BenchmarkMarshalMessages encodes a chat turn's messages as the feed does
// for every model call.
func BenchmarkMarshalMessages(b *testing.B) {
	_, msgs := Input([]json.RawMessage{
		json.RawMessage(`{"role":"user","content":"What's the weather in Paris, and is there any news about it?"}`),
		json.RawMessage(`{"role":"assistant","content":null,"tool_calls":[{"id":"call_1","type":"function","function":{"name":"get_weather","arguments":"{\"city\":\"Paris\"}"}}]}`),
		json.RawMessage(`{"role":"tool","tool_call_id":"call_1","content":"18C, cloudy"}`),
	})
	for b.Loop() {
		if _, err := MarshalMessages(msgs); err != nil {
			b.Fatal(err)
		}
	}
}
