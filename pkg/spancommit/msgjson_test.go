package spancommit

import (
	"encoding/json"
	"reflect"
	"testing"

	"go.opentelemetry.io/collector/pdata/ptrace"
)

var msgStrings = []string{"", "plain", "line\nbreak\ttab\r", `quote " and \ back\slash`, "<b>&amp;</b>", "é東京😀",
	"bad \xff utf8 \xe2\x82", "ctl \x00\x01\x08\x0c\x1f\x7f", "sep \u2028 \u2029", "\ufffd"}

// sampleMessages builds messages of every shape from s.
func sampleMessages(s string) []Message {
	return []Message{
		{Role: "system", Content: s},
		{Role: "user", Content: []Part{{Type: "text", Text: s}, {Type: "image_url", ImageURL: &ImageURL{URL: "data:" + s, Detail: s}},
			{Type: "input_audio", InputAudio: &Media{Data: s, Format: "audio/wav"}}, {Type: "file", File: &Media{}},
			{Type: "file", File: &Media{URL: s, FileID: s, Filename: s}}}},
		{Role: "assistant", Content: nil, ToolCalls: []ToolCall{{ID: s, Type: "function", Function: ToolFunction{Name: s, Arguments: `{"a":` + s + `}`}},
			{Type: "function"}}, Reasoning: s},
		{Role: "tool", Content: s, ToolCallID: s, Name: s},
		{Role: s, Content: []any{map[string]any{"type": "text", "text": s, "n": 1.5}}},
		{Role: "user", Content: []Part{}},
		{Role: "user", Content: []Part(nil), ToolCalls: []ToolCall{}},
		{},
	}
}

func TestAppendMessagesMatchesMarshal(t *testing.T) {
	for _, s := range msgStrings {
		checkAppendMessages(t, sampleMessages(s))
	}
	checkAppendMessages(t, nil)
	checkAppendMessages(t, []Message{})
}

func checkAppendMessages(t *testing.T, ms []Message) {
	t.Helper()
	want, err := json.Marshal(ms)
	if err != nil {
		t.Fatal(err)
	}
	got, err := appendMessages(nil, ms)
	if err != nil || string(got) != string(want) {
		t.Fatalf("appendMessages = %s, %v\njson.Marshal  = %s", got, err, want)
	}
}

func FuzzAppendMessages(f *testing.F) {
	for _, s := range msgStrings {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		checkAppendMessages(t, sampleMessages(s))
		want, _ := json.Marshal(s)
		if got := appendString(nil, s); string(got) != string(want) {
			t.Fatalf("appendString(%q) = %s, json.Marshal gives %s", s, got, want)
		}
	})
}

var decodeMsgCases = []string{
	`[]`, `null`, ``, `[null]`, `[1]`, `[{}]`, `{}`, `[{"role":"user","content":"hi"}]`,
	`[{"Role":"user","content":"case"}]`, `[{"role":"user","role":"system"}]`, `[{"role":null,"content":null}]`,
	`[{"role":1}]`, `[{"role":"a","extra":true}]`, `[{"role":"a","content":[{"type":"text","text":"x"}]}]`,
	`[{"role":"a","content":{"k":[1,2.5,"x\n"]}}]`, `[{"role":"a","content":3}]`,
	`[{"role":"assistant","content":null,"tool_calls":[{"id":"c1","type":"function","function":{"name":"f","arguments":"{\"x\":1}"}}]}]`,
	`[{"role":"a","tool_calls":[]}]`, `[{"role":"a","tool_calls":null}]`, `[{"role":"a","tool_calls":[{"function":{"name":"f","name":"g"}}]}]`,
	`[{"role":"a","tool_calls":[{"function":{"name":"f","extra":1}}]}]`, `[{"role":"a","tool_calls":[{"function":null}]}]`,
	` [ { "role" : "user" , "content" : "sp\u00e9ce" } ] `, `[{"role":"user","content":"x"},]`, "[{\"role\":\"\xff\"}]",
}

func refDecodeMessages(s string) ([]Message, bool) {
	var ms []Message
	err := json.Unmarshal([]byte(s), &ms)
	return ms, err == nil
}

func checkDecodeMessages(t *testing.T, s string) {
	t.Helper()
	got, ok := decodeMessages(s)
	want, wok := refDecodeMessages(s)
	if ok != wok || !reflect.DeepEqual(got, want) {
		t.Fatalf("decodeMessages(%q) = %#v, %v\njson.Unmarshal gives %#v, %v", s, got, ok, want, wok)
	}
}

func TestDecodeMessagesMatchesUnmarshal(t *testing.T) {
	for _, s := range decodeMsgCases {
		checkDecodeMessages(t, s)
	}
	for _, s := range msgStrings {
		raw, _ := json.Marshal(sampleMessages(s))
		checkDecodeMessages(t, string(raw))
		if _, ok := fastMessages(string(raw)); !ok {
			t.Errorf("canonical messages of %q took the slow path", s)
		}
	}
}

func FuzzDecodeMessages(f *testing.F) {
	for _, s := range decodeMsgCases {
		f.Add(s)
	}
	for _, s := range msgStrings {
		raw, _ := json.Marshal(sampleMessages(s))
		f.Add(string(raw))
	}
	f.Fuzz(func(t *testing.T, s string) { checkDecodeMessages(t, s) })
}

// plainMessages are sampleMessages without content parts: what
// canonicalMessages must accept once encoded.
func plainMessages(s string) []Message {
	var out []Message
	for _, m := range sampleMessages(s) {
		if _, parts := m.Content.([]Part); !parts {
			if _, list := m.Content.([]any); !list {
				out = append(out, m)
			}
		}
	}
	return out
}

func checkCanonical(t *testing.T, s string) {
	t.Helper()
	if !canonicalMessages(s) {
		return
	}
	ms, ok := decodeMessages(s)
	if !ok {
		t.Fatalf("canonicalMessages(%q) but it does not decode", s)
	}
	back, err := appendMessages(nil, ms)
	if err != nil || string(back) != s {
		t.Fatalf("canonicalMessages(%q) but it encodes back as %s", s, back)
	}
}

// TestCanonicalMessages checks that canonical text is what encoding its
// decoded messages gives, and that the encoder's plain output is canonical.
func TestCanonicalMessages(t *testing.T) {
	for _, s := range msgStrings {
		raw, _ := json.Marshal(plainMessages(s))
		if !canonicalMessages(string(raw)) {
			t.Errorf("encoded plain messages of %q not canonical: %s", s, raw)
		}
		checkCanonical(t, string(raw))
		parts, _ := json.Marshal(sampleMessages(s))
		if canonicalMessages(string(parts)) {
			t.Errorf("messages with parts taken as canonical: %s", parts)
		}
	}
	for _, s := range append(decodeMsgCases, `[{"role":"a","content":"\u0041"}]`, `[{"role":"a","content":"x\/y"}]`,
		`[{"role":"a","content":"\u001F"}]`, `[{"role":"a","content":"\u000a"}]`, `[{"role":"a","content":null,"name":""}]`) {
		checkCanonical(t, s)
	}
	if !canonicalMessages(`[]`) || canonicalMessages(`null`) || canonicalMessages(`[{"role":"a","content":"\u0041"}]`) {
		t.Error("canonicalMessages misjudges [] / null / \\u0041")
	}
}

func FuzzCanonicalMessages(f *testing.F) {
	for _, s := range msgStrings {
		raw, _ := json.Marshal(plainMessages(s))
		f.Add(string(raw))
	}
	f.Fuzz(func(t *testing.T, s string) {
		checkCanonical(t, s)
		raw, _ := json.Marshal(plainMessages(s))
		if !canonicalMessages(string(raw)) {
			t.Fatalf("encoded plain messages not canonical: %s", raw)
		}
	})
}

func TestFieldJSONMatchesMarshal(t *testing.T) {
	for _, s := range msgStrings {
		want, _ := json.Marshal(map[string]string{"endTimestamp": s})
		if got := fieldJSON("endTimestamp", s); string(got) != string(want) {
			t.Errorf("fieldJSON(%q) = %s, json.Marshal gives %s", s, got, want)
		}
	}
}

// TestEmitSplicedMatchesMarshal checks splicing message JSON into encoded
// commit data gives what encoding/json gives for the data holding the
// messages as json.RawMessage, also when other values spell the key.
func TestEmitSplicedMatchesMarshal(t *testing.T) {
	type choice struct {
		Index   int             `json:"index"`
		Message json.RawMessage `json:"message"`
	}
	type data struct {
		ID       string            `json:"id"`
		Choices  []choice          `json:"choices"`
		Tags     map[string]string `json:"tags"`
		Messages json.RawMessage   `json:"messages"`
	}
	for _, s := range msgStrings {
		m1, _ := appendMessage(nil, &Message{Role: "assistant", Content: s})
		m2, _ := appendMessage(nil, &Message{Role: "assistant", Content: nil, ToolCalls: []ToolCall{{ID: s, Type: "function"}}})
		list, _ := appendMessages(nil, []Message{{Role: "user", Content: `"message":0 ` + s}})
		tags := map[string]string{"message": `"message":0`, "messages": "0"}
		want, err := json.Marshal(data{ID: s, Choices: []choice{{0, m1}, {1, m2}}, Tags: tags, Messages: list})
		if err != nil {
			t.Fatal(err)
		}
		b := builder{sp: ptrace.NewSpan()}
		b.emitSpliced("generation", "g", "result", data{ID: s, Choices: []choice{{0, placeholder}, {1, placeholder}}, Tags: tags, Messages: list},
			`"message":`, []json.RawMessage{m1, m2})
		if len(b.out) != 1 {
			t.Fatalf("spliced %q: %d commits", s, len(b.out))
		}
		if got := b.out[0].c.Data; string(got) != string(want) {
			t.Fatalf("spliced %q:\n got %s\nwant %s", s, got, want)
		}
	}
}
