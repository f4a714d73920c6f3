package spancommit

import (
	"encoding/json"
	"math"
	"math/rand"
	"testing"

	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/otelcol-genai/otelcol-genai/pkg/commit"
)

// TestAppendJSONIsMarshal: each hand encoder writes exactly json.Marshal's
// bytes for random values (strings that need escaping, empty and nil maps,
// omitted fields, nested attribute values), and declines, leaving the
// commit to json.Marshal, where a value holds a type it does not take.
func TestAppendJSONIsMarshal(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	strs := []string{"", "a", "<b>&", "é\u2028", "\"q\"\n", "\xff", "chat gpt-4o", "2026-11-22T08:33:49.025Z"}
	str := func() string { return strs[rng.Intn(len(strs))] + strs[rng.Intn(len(strs))] }
	tags := func() map[string]string {
		switch rng.Intn(4) {
		case 0:
			return nil
		case 1:
			return map[string]string{}
		}
		m := map[string]string{}
		for range 1 + rng.Intn(3) {
			m[str()] = str()
		}
		return m
	}
	anyMap := func() map[string]any {
		if rng.Intn(5) == 0 {
			return nil
		}
		m := map[string]any{}
		for range rng.Intn(4) {
			switch rng.Intn(5) {
			case 0:
				m[str()] = rng.NormFloat64()
			case 1:
				m[str()] = int64(rng.Intn(5000))
			case 2:
				m[str()] = []any{str(), true, nil}
			case 3:
				m[str()] = map[string]int64{"cached_tokens": int64(rng.Intn(99))}
			default:
				m[str()] = str()
			}
		}
		return m
	}
	msgs := []json.RawMessage{
		json.RawMessage(`[]`),
		json.RawMessage(`[{"role":"user","content":"hi \u003cb\u003e"}]`),
		json.RawMessage(`{"role":"assistant","content":null,"tool_calls":[{"id":"c","type":"function","function":{"name":"f","arguments":"{}"}}]}`),
	}
	f := func() *float64 {
		if rng.Intn(2) == 0 {
			return nil
		}
		v := rng.Float64() * 3
		return &v
	}
	values := func() []jsonAppender {
		r := completion{ID: str(), Object: "chat.completion", Created: rng.Int63n(2e9), Model: str(), Choices: []choice{}, Usage: anyMap()}
		for i := range rng.Intn(3) {
			var fr any
			if rng.Intn(2) == 0 {
				fr = str()
			}
			r.Choices = append(r.Choices, choice{Index: i, Message: msgs[1+rng.Intn(2)], FinishReason: fr})
		}
		if rng.Intn(2) == 0 {
			r.Cost = &Cost{Input: f(), Output: f(), Total: f()}
		}
		var links []link
		for range rng.Intn(3) {
			l := link{TraceID: str(), SpanID: str()}
			if rng.Intn(2) == 0 {
				l.Attributes = anyMap()
			}
			links = append(links, l)
		}
		return []jsonAppender{
			spanAdd{ID: str(), Name: str(), Tags: tags(), StartTimestamp: str()},
			generationAdd{ID: str(), Messages: msgs[rng.Intn(2)], Name: str(), Tags: tags(), StartTimestamp: str(), Provider: str(), Model: str(), ModelParameters: anyMap()},
			toolCallAdd{ID: str(), Name: str(), Description: str(), Args: str(), Tags: tags(), StartTimestamp: str()},
			traceCreate{Name: str(), Tags: tags(), StartTimestamp: str(), SessionID: str()},
			spanIdentity{SpanKind: str(), ParentSpanID: str(), Links: links},
			generationResult{Result: r},
		}
	}
	taken, all := 0, 0
	for range 3000 {
		for _, v := range values() {
			want, err := json.Marshal(v)
			if err != nil {
				t.Fatal(err)
			}
			all++
			got, ok := v.appendJSON(nil)
			if !ok {
				continue // map keys of invalid UTF-8: json.Marshal's
			}
			taken++
			if string(got) != string(want) {
				t.Fatalf("%T.appendJSON\n got %s\nwant %s", v, got, want)
			}
		}
	}
	if taken < all*3/4 {
		t.Fatalf("the encoders took %d of %d values", taken, all)
	}
	declined := []jsonAppender{
		generationAdd{ModelParameters: map[string]any{"raw": []byte("x")}},
		spanIdentity{Links: []link{{TraceID: "t", Attributes: map[string]any{"nan": math.NaN()}}}},
		generationResult{Result: completion{Choices: []choice{}, Cost: &Cost{Total: ptr(math.Inf(1))}}},
	}
	for _, v := range declined {
		if got, ok := v.appendJSON(nil); ok {
			t.Errorf("%T.appendJSON took %s, want it left to json.Marshal", v, got)
		}
	}
}

func ptr[T any](v T) *T { return &v }

// TestSplicedFallbackIsAppendJSON: when the encoders decline a generation
// (a model parameter or usage value they do not take), its commits go
// through json.Marshal with the messages spliced in (emitSpliced). For
// values both paths take they write the same bytes, so which path a commit
// takes never changes what is stored or its id.
func TestSplicedFallbackIsAppendJSON(t *testing.T) {
	in := json.RawMessage(`[{"role":"system","content":"be \u003cbrief\u003e"},{"role":"user","content":"hi \"there\"\n"}]`)
	out := []json.RawMessage{
		json.RawMessage(`{"role":"assistant","content":"a \u0026 b"}`),
		json.RawMessage(`{"role":"assistant","content":null,"tool_calls":[{"id":"c","type":"function","function":{"name":"f","arguments":"{\"x\":1}"}}]}`),
	}
	total := 0.25
	adds := []generationAdd{
		{ID: "g-1", Messages: in, Name: "chat <x>", Tags: map[string]string{"b": "2", "a": "1"}, StartTimestamp: "2026-12-07T09:00:00Z",
			Provider: "openai", Model: "gpt-4o", ModelParameters: map[string]any{"temperature": 0.2, "stop": []any{"\n", "&"}}},
		{ID: "g-2", Messages: json.RawMessage(`[]`), Tags: map[string]string{}, ModelParameters: map[string]any{}},
	}
	results := []completion{
		{ID: "r-1", Object: "chat.completion", Created: 1796662309, Model: "gpt-4o",
			Choices: []choice{{Index: 0, Message: out[0], FinishReason: "stop"}, {Index: 1, Message: out[1]}},
			Usage:   map[string]any{"prompt_tokens": int64(12), "prompt_tokens_details": map[string]int64{"cached_tokens": 4}}, Cost: &Cost{Total: &total}},
		{ID: "r-2", Object: "chat.completion", Choices: []choice{}},
	}
	b := builder{sp: ptrace.NewSpan()}
	last := func() string { return string(b.out[len(b.out)-1].c.Data) }
	for _, ga := range adds {
		fast, ok := ga.appendJSON(nil)
		if !ok {
			t.Fatalf("%s: appendJSON declined", ga.ID)
		}
		slow := ga
		slow.Messages = placeholder
		b.emitSpliced(commit.EntitySpan, "p", commit.ActionAddGeneration, slow, `"messages":`, []json.RawMessage{ga.Messages})
		if last() != string(fast) {
			t.Fatalf("%s:\nspliced %s\nappend  %s", ga.ID, last(), fast)
		}
	}
	for _, r := range results {
		fast, ok := generationResult{Result: r}.appendJSON(nil)
		if !ok {
			t.Fatalf("%s: appendJSON declined", r.ID)
		}
		var msgs []json.RawMessage
		slow := r
		slow.Choices = nil
		if r.Choices != nil {
			slow.Choices = []choice{}
		}
		for _, ch := range r.Choices {
			msgs = append(msgs, ch.Message)
			ch.Message = placeholder
			slow.Choices = append(slow.Choices, ch)
		}
		b.emitSpliced(commit.EntityGeneration, r.ID, commit.ActionResult, map[string]any{"result": slow}, `"message":`, msgs)
		if last() != string(fast) {
			t.Fatalf("%s:\nspliced %s\nappend  %s", r.ID, last(), fast)
		}
	}
	if b.skipped != 0 {
		t.Fatalf("emitSpliced skipped %d commits", b.skipped)
	}
}
