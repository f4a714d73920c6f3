package evaluate

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/zap/zaptest"
)

// judgeServer answers every chat completion with content and usage, as
// model, and keeps the user prompts it got.
type judgeServer struct {
	mu      sync.Mutex
	prompts []string
	status  int
}

func newJudgeServer(t *testing.T, model, content string, in, out int64) (*judgeServer, string) {
	js := &judgeServer{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var req struct {
			Messages []struct{ Role, Content string } `json:"messages"`
		}
		b, _ := io.ReadAll(r.Body)
		_ = json.Unmarshal(b, &req)
		js.mu.Lock()
		if len(req.Messages) == 2 {
			js.prompts = append(js.prompts, req.Messages[1].Content)
		}
		status := js.status
		js.mu.Unlock()
		if status != 0 {
			w.WriteHeader(status)
			return
		}
		_ = json.NewEncoder(w).Encode(map[string]any{
			"model":   model,
			"choices": []any{map[string]any{"message": map[string]any{"role": "assistant", "content": content}}},
			"usage":   map[string]any{"prompt_tokens": in, "completion_tokens": out},
		})
	}))
	t.Cleanup(srv.Close)
	return js, srv.URL + "/v1"
}

func judgeConfig(url, model, template string) Config {
	c := Config{Name: "relevance", Type: TypeLLMJudge, Judge: defaultJudge()}
	c.Judge.BaseURL, c.Judge.Model, c.Judge.Template = url, model, template
	c.Judge.InitialBackoff = 1e6 // 1ms: the retry test must not wait long
	c.Judge.MaxBackoff = 1e6
	return c
}

func TestLLMJudgeVerdictAndCost(t *testing.T) {
	js, url := newJudgeServer(t, "gpt-4o-mini-2024-07-18", `{"score": 0.9, "reason": "Directly answers it."}`, 1000, 200)
	cfg := judgeConfig(url, "gpt-4o-mini", "relevance")
	cfg.Judge.Threshold = 0.7
	ev, err := New(cfg, Settings{Logger: zaptest.NewLogger(t)})
	require.NoError(t, err)
	r, err := ev.Evaluate(context.Background(), Subject{
		Kind: "generation", Input: "What is the capital of France?", Output: "Paris.",
	})
	require.NoError(t, err)
	assert.Equal(t, Result{
		Evaluator: "relevance", Score: 0.9, Pass: true, Reason: "Directly answers it.",
		Judge: r.Judge,
	}, r)
	require.NotNil(t, r.Judge)
	assert.Equal(t, "gpt-4o-mini-2024-07-18", r.Judge.Model)
	assert.Equal(t, int64(1000), r.Judge.InputTokens)
	assert.Equal(t, int64(200), r.Judge.OutputTokens)
	assert.Equal(t, 1, r.Judge.Attempts)
	// gpt-4o-mini: $0.15 per million input tokens, $0.60 per million output.
	require.True(t, r.Judge.HasCost)
	assert.InDelta(t, 1000*0.15/1e6+200*0.60/1e6, r.Judge.CostUSD, 1e-12)
	require.Len(t, js.prompts, 1)
	assert.Contains(t, js.prompts[0], "What is the capital of France?")
	assert.Contains(t, js.prompts[0], "Paris.")

	// The threshold: at it passes, below it fails.
	_, url = newJudgeServer(t, "gpt-4o-mini", `{"score": 0.5, "reason": "Vague."}`, 10, 5)
	ev, err = New(judgeConfig(url, "gpt-4o-mini", "relevance"), Settings{})
	require.NoError(t, err)
	r, err = ev.Evaluate(context.Background(), Subject{Input: "q", Output: "a"})
	require.NoError(t, err)
	assert.True(t, r.Pass, "the default threshold 0.5 is inclusive")

	_, url = newJudgeServer(t, "gpt-4o-mini", `{"score": 0.49, "reason": "Vague."}`, 10, 5)
	ev, err = New(judgeConfig(url, "gpt-4o-mini", "relevance"), Settings{})
	require.NoError(t, err)
	r, err = ev.Evaluate(context.Background(), Subject{Input: "q", Output: "a"})
	require.NoError(t, err)
	assert.False(t, r.Pass)
}

func TestLLMJudgeUnpricedModelHasNoCost(t *testing.T) {
	_, url := newJudgeServer(t, "llama3.1:8b", `{"score": 1, "reason": "Safe."}`, 300, 20)
	ev, err := New(judgeConfig(url, "llama3.1:8b", "safety"), Settings{})
	require.NoError(t, err)
	r, err := ev.Evaluate(context.Background(), Subject{Output: "Hello!"})
	require.NoError(t, err)
	require.NotNil(t, r.Judge)
	assert.False(t, r.Judge.HasCost, "a local model has no known price: no cost, not zero")
	assert.Equal(t, int64(300), r.Judge.InputTokens)
}

func TestLLMJudgeFaithfulnessNeedsContext(t *testing.T) {
	js, url := newJudgeServer(t, "gpt-4o", `{"score": 0.2, "reason": "Claims a date the documents lack."}`, 10, 5)
	ev, err := New(judgeConfig(url, "gpt-4o", "faithfulness"), Settings{})
	require.NoError(t, err)
	_, err = ev.Evaluate(context.Background(), Subject{Kind: "generation", EntityID: "g1", Input: "q", Output: "a"})
	assert.ErrorIs(t, err, ErrNotApplicable)
	assert.Empty(t, js.prompts, "no call without context")

	r, err := ev.Evaluate(context.Background(), Subject{
		Input: "When was it founded?", Output: "In 1901.",
		Context: []string{"The company was founded in Lyon.", "It employs 300 people."},
	})
	require.NoError(t, err)
	assert.False(t, r.Pass)
	require.Len(t, js.prompts, 1)
	assert.Contains(t, js.prompts[0], "The company was founded in Lyon.")
	assert.Contains(t, js.prompts[0], "It employs 300 people.")
}

func TestLLMJudgeCustomTemplateAndMessages(t *testing.T) {
	js, url := newJudgeServer(t, "gpt-4o", `{"score": 1, "reason": "Matches."}`, 10, 5)
	cfg := judgeConfig(url, "gpt-4o", "custom")
	cfg.Judge.Prompt = "Does {{output}} match {{expected}} for {{input}}?"
	ev, err := New(cfg, Settings{})
	require.NoError(t, err)
	_, err = ev.Evaluate(context.Background(), Subject{
		Messages: []Message{{Role: "user", Content: "2+2?"}, {Role: "assistant", Content: "4"}},
		Output:   "4", Expected: "four",
	})
	require.NoError(t, err)
	assert.Equal(t, []string{"Does 4 match four for user: 2+2?\nassistant: 4?"}, js.prompts,
		"the input falls back to the rendered messages")
}

func TestLLMJudgeFailureCarriesAttempts(t *testing.T) {
	js, url := newJudgeServer(t, "gpt-4o", "", 0, 0)
	js.status = http.StatusServiceUnavailable
	cfg := judgeConfig(url, "gpt-4o", "safety")
	cfg.Judge.MaxRetries = 2
	ev, err := New(cfg, Settings{})
	require.NoError(t, err)
	r, err := ev.Evaluate(context.Background(), Subject{Output: "x"})
	require.Error(t, err)
	assert.Contains(t, err.Error(), `evaluator "relevance"`)
	assert.Contains(t, err.Error(), "HTTP 503")
	require.NotNil(t, r.Judge, "a failed judgement still records what it tried")
	assert.Equal(t, 3, r.Judge.Attempts)
	assert.Equal(t, "relevance", r.Evaluator)
}
