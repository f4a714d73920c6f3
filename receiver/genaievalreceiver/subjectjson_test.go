package genaievalreceiver

import (
	"crypto/sha256"
	"encoding/json"
	"math"
	"math/rand/v2"
	"reflect"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/otelcol-genai/otelcol-genai/internal/evaluate"
)

// subjectFields are Subject's fields in the order appendSubjectJSON writes
// them. A field added to Subject changes json.Marshal's bytes, and with
// them every verdict id: the test fails until the encoder (and a decision
// about the ids) follows.
var subjectFields = []string{"Repo", "TraceID", "EntityID", "Kind", "Name", "Model", "Provider", "Input", "Output",
	"Messages", "Context", "Expected", "Variables", "Tags", "Error", "LatencyMs", "HasLatency",
	"InputTokens", "OutputTokens", "TotalTokens", "CostUSD", "HasCost"}

func TestSubjectJSONIsMarshal(t *testing.T) {
	typ := reflect.TypeFor[evaluate.Subject]()
	var names []string
	for i := range typ.NumField() {
		names = append(names, typ.Field(i).Name)
		assert.Empty(t, typ.Field(i).Tag, "field %s: a tag changes json.Marshal's key", typ.Field(i).Name)
	}
	require.Equal(t, subjectFields, names)

	rng := rand.New(rand.NewPCG(3, 14))
	for i := range 20000 {
		s := randomSubject(rng)
		want, wantErr := json.Marshal(s)
		got, ok := appendSubjectJSON(nil, s)
		if wantErr != nil {
			require.False(t, ok, "case %d: json.Marshal fails (%v), the encoder must decline", i, wantErr)
			continue
		}
		if !ok {
			// Declined (a map key of invalid UTF-8): subjectSum falls back.
			assert.Equal(t, sha256.Sum256(want), subjectSum(s), "case %d", i)
			continue
		}
		require.Equal(t, string(want), string(got), "case %d: %#v", i, s)
		require.Equal(t, sha256.Sum256(want), subjectSum(s), "case %d", i)
	}
}

// TestSubjectSumOfAnUnencodableSubject: a NaN cost made json.Marshal fail
// and the id hash no bytes; it still does.
func TestSubjectSumOfAnUnencodableSubject(t *testing.T) {
	s := evaluate.Subject{Repo: "r", EntityID: "e", CostUSD: math.NaN(), HasCost: true}
	assert.Equal(t, sha256.Sum256(nil), subjectSum(s))
}

func randomSubject(rng *rand.Rand) evaluate.Subject {
	pieces := []string{"", "a", "héllo", "<b>&amp;</b>", "line\nbreak\t\"q\"\\", "\u2028\u2029", "\x00\x1f\x7f",
		"\xff\xfe", "emoji 😀", "日本語", "user: hi", " ", "\ufffd"}
	str := func() string {
		var s string
		for range rng.IntN(4) {
			s += pieces[rng.IntN(len(pieces))]
		}
		return s
	}
	floats := []float64{0, 1, -1, 0.5, 1e-7, 123456.789, 1e21, 1e20, 5e-324, math.MaxFloat64, 3.14159e-5, math.NaN(), math.Inf(1)}
	float := func() float64 {
		if rng.IntN(40) == 0 {
			return floats[rng.IntN(len(floats))]
		}
		return floats[rng.IntN(len(floats)-2)] * float64(rng.IntN(1000))
	}
	strMap := func() map[string]string {
		switch rng.IntN(3) {
		case 0:
			return nil
		case 1:
			return map[string]string{}
		}
		m := map[string]string{}
		for range 1 + rng.IntN(4) {
			m[str()] = str()
		}
		return m
	}
	s := evaluate.Subject{Repo: str(), TraceID: str(), EntityID: str(), Kind: str(), Name: str(), Model: str(),
		Provider: str(), Input: str(), Output: str(), Expected: str(), Variables: strMap(), Tags: strMap(),
		Error: str(), LatencyMs: float(), HasLatency: rng.IntN(2) == 0, InputTokens: rng.Int64N(1<<40) - 1<<20,
		OutputTokens: rng.Int64N(1000), TotalTokens: rng.Int64(), CostUSD: float(), HasCost: rng.IntN(2) == 0}
	if rng.IntN(3) > 0 {
		s.Messages = []evaluate.Message{}
		for range rng.IntN(4) {
			s.Messages = append(s.Messages, evaluate.Message{Role: str(), Content: str()})
		}
	}
	if rng.IntN(3) > 0 {
		s.Context = []string{}
		for range rng.IntN(3) {
			s.Context = append(s.Context, str())
		}
	}
	return s
}

func BenchmarkSubjectSum(b *testing.B) {
	s := evaluate.Subject{Repo: "loadgen", TraceID: "lg-1-1", EntityID: "lg-1-1-g0", Kind: "generation", Name: "chat",
		Model: "gpt-4o-mini", Provider: "openai", Input: "user: what is the weather like in Paris today?",
		Output: "It is sunny in Paris today, with a high of 21 °C and a light breeze from the west.",
		Messages: []evaluate.Message{{Role: "system", Content: "You are a helpful assistant."},
			{Role: "user", Content: "what is the weather like in Paris today?"},
			{Role: "assistant", Content: "It is sunny in Paris today, with a high of 21 °C and a light breeze from the west."}},
		Tags: map[string]string{"env": "prod"}, LatencyMs: 812.5, HasLatency: true, InputTokens: 32, OutputTokens: 24,
		TotalTokens: 56, CostUSD: 0.0000192, HasCost: true}
	b.ReportAllocs()
	for b.Loop() {
		subjectSum(s)
	}
}
