package normalize

import (
	"encoding/json"
	"math"
	"reflect"
	"testing"
)

func TestParseJSONFallbacks(t *testing.T) {
	tests := []struct {
		in   string
		want any
		ok   bool
	}{
		{`{"a":1}`, map[string]any{"a": int64(1)}, true},
		{`"{\"a\":2}"`, map[string]any{"a": int64(2)}, true},                                                  // JSON string wrapping JSON (Traceloop json.dumps(str))
		{`{'author': 'x', 'ok': True, 'n': None}`, map[string]any{"author": "x", "ok": true, "n": nil}, true}, // Python repr
		{`['a', "b's"]`, []any{"a", "b's"}, true},
		{`[{"role":"user","parts":[{"type":"text","content":"cut`, nil, false}, // truncated
		{`plain text`, nil, false},
		{``, nil, false},
		{`1.5`, 1.5, true},
	}
	for _, tt := range tests {
		got, ok := parseJSON(tt.in)
		if ok != tt.ok || !reflect.DeepEqual(got, tt.want) {
			t.Errorf("parseJSON(%q) = %#v, %v; want %#v, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}

func TestLenientNumbers(t *testing.T) {
	ints := []struct {
		in   any
		want int64
		ok   bool
	}{
		{int64(5), 5, true}, {"15", 15, true}, {" 7 ", 7, true}, {3.0, 3, true}, {"3.0", 3, true},
		{3.5, 0, false}, {"NaN", 0, false}, {math.NaN(), 0, false}, {"", 0, false}, {true, 0, false},
		{json.Number("12"), 12, true},
	}
	for _, tt := range ints {
		got, ok := asInt(tt.in)
		if ok != tt.ok || (ok && got != tt.want) {
			t.Errorf("asInt(%#v) = %d, %v; want %d, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
	for _, in := range []any{"NaN", "Infinity", "-Inf", math.Inf(1), "x"} {
		if f, ok := asFloat(in); ok {
			t.Errorf("asFloat(%#v) = %v, want not a number", in, f)
		}
	}
	if f, ok := asFloat("0.25"); !ok || f != 0.25 {
		t.Errorf("asFloat(\"0.25\") = %v, %v", f, ok)
	}
}

func TestUnflattenSortsCompactsAndGuards(t *testing.T) {
	attrs := map[string]any{
		"p.0.message.role": "system", "p.1.message.role": "user", "p.10.message.role": "user",
		"p.2.message.10001.content": "bomb", "p.02.message.role": "leading zero",
	}
	keys := []string{"p.0.message.role", "p.02.message.role", "p.1.message.role", "p.10.message.role", "p.2.message.10001.content"}
	got, dropped := unflatten(attrs, keys, "p")
	if dropped != 1 {
		t.Fatalf("dropped = %d, want the one index bomb", dropped)
	}
	l, ok := got.([]any)
	if !ok || len(l) != 4 {
		t.Fatalf("got %#v, want 4 compacted elements", got)
	}
	roles := []string{}
	for _, it := range l {
		roles = append(roles, it.(map[string]any)["message"].(map[string]any)["role"].(string))
	}
	if !reflect.DeepEqual(roles, []string{"system", "user", "leading zero", "user"}) {
		t.Fatalf("order = %v: want numeric order 0, 1, 02, 10", roles)
	}
}

func TestNormProviderAndFinish(t *testing.T) {
	for in, want := range map[string]string{
		"openai.chat": "openai", "OpenAI": "openai", "openai.responses": "openai", "anthropic.messages": "anthropic",
		"google.vertex.chat": "gcp.vertex_ai", "google.generative-ai": "gcp.gemini", "vertex_ai": "gcp.vertex_ai",
		"amazon-bedrock": "aws.bedrock", "az.ai.openai": "azure.ai.openai", "azure-openai": "azure.ai.openai",
		"azure.chat": "azure.ai.inference", "MistralAI": "mistral_ai", "xai": "x_ai", "groq": "groq", "mock-provider": "mock-provider",
	} {
		if got := normProvider(in); got != want {
			t.Errorf("normProvider(%q) = %q, want %q", in, got, want)
		}
	}
	for in, want := range map[string]string{
		"stop": "stop", "end_turn": "stop", "STOP": "stop", "max_tokens": "length", "MAX_TOKENS": "length",
		"tool_calls": "tool_call", "tool-calls": "tool_call", "tool_use": "tool_call", "content-filter": "content_filter",
		"SAFETY": "content_filter", "error": "error", "weird": "weird",
	} {
		if got := normFinish(in); got != want {
			t.Errorf("normFinish(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestToolCallDialectsAgree(t *testing.T) {
	want := `{"id":"c1","type":"function","function":{"name":"f","arguments":"{\"x\":1}"}}`
	for _, in := range []map[string]any{
		{"id": "c1", "type": "function", "function": map[string]any{"name": "f", "arguments": "{\n  \"x\": 1\n}"}}, // OpenAI, pretty
		{"tool_call": map[string]any{"id": "c1", "function": map[string]any{"name": "f", "arguments": `{"x":1}`}}}, // OpenInference
		{"type": "tool_call", "id": "c1", "name": "f", "arguments": map[string]any{"x": int64(1)}},                 // GenAI
		{"toolCallId": "c1", "toolName": "f", "input": map[string]any{"x": int64(1)}},                              // AI SDK v5
		{"toolCallType": "function", "toolCallId": "c1", "toolName": "f", "args": `{"x":1}`},                       // AI SDK v4
		{"type": "tool_use", "id": "c1", "name": "f", "input": map[string]any{"x": int64(1)}},                      // Anthropic
		{"type": "function_call", "call_id": "c1", "name": "f", "arguments": `{"x":1}`},                            // Responses
	} {
		tc, ok := toolCallOf(in)
		b, _ := json.Marshal(tc)
		if !ok || string(b) != want {
			t.Errorf("toolCallOf(%v) = %s, want %s", in, b, want)
		}
	}
}

func TestTagMapShapes(t *testing.T) {
	want := map[string]string{"a": "", "b": ""}
	for _, in := range []any{[]any{"a", "b"}, "a,b", `["a","b"]`, " a , b "} {
		if got := tagMap(in); !reflect.DeepEqual(got, want) {
			t.Errorf("tagMap(%#v) = %v", in, got)
		}
	}
	if got := tagMap(map[string]any{"env": "prod", "n": int64(3)}); !reflect.DeepEqual(got, map[string]string{"env": "prod", "n": "3"}) {
		t.Errorf("tagMap(map) = %v", got)
	}
}
