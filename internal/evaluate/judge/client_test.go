package judge

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// fakeJudge is an OpenAI-compatible chat endpoint whose answers the test
// scripts, one per request (the last repeats), and which measures the
// calls in flight.
type fakeJudge struct {
	t       *testing.T
	srv     *httptest.Server
	mu      sync.Mutex
	script  []func(w http.ResponseWriter, r *http.Request)
	calls   int
	bodies  []chatRequest
	headers []http.Header
	paths   []string

	inflight, maxInflight atomic.Int64
}

func newFake(t *testing.T, script ...func(w http.ResponseWriter, r *http.Request)) *fakeJudge {
	f := &fakeJudge{t: t, script: script}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakeJudge) serve(w http.ResponseWriter, r *http.Request) {
	n := f.inflight.Add(1)
	defer f.inflight.Add(-1)
	for {
		m := f.maxInflight.Load()
		if n <= m || f.maxInflight.CompareAndSwap(m, n) {
			break
		}
	}
	var body chatRequest
	raw, _ := io.ReadAll(r.Body)
	if err := json.Unmarshal(raw, &body); err != nil {
		f.t.Errorf("request body is not a chat request: %v", err)
	}
	f.mu.Lock()
	i := min(f.calls, len(f.script)-1)
	f.calls++
	f.bodies = append(f.bodies, body)
	f.headers = append(f.headers, r.Header.Clone())
	f.paths = append(f.paths, r.URL.RequestURI())
	step := f.script[i]
	f.mu.Unlock()
	step(w, r)
}

func (f *fakeJudge) callCount() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.calls
}

// answer replies 200 with content as the first choice's message.
func answer(content string, prompt, completion int64) func(http.ResponseWriter, *http.Request) {
	return func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{
			"id": "chatcmpl-1", "object": "chat.completion", "model": "judge-model-2025-01-01",
			"choices": []any{map[string]any{"index": 0, "finish_reason": "stop",
				"message": map[string]any{"role": "assistant", "content": content}}},
			"usage": map[string]any{"prompt_tokens": prompt, "completion_tokens": completion,
				"total_tokens": prompt + completion},
		})
	}
}

func status(code int, header ...string) func(http.ResponseWriter, *http.Request) {
	return func(w http.ResponseWriter, _ *http.Request) {
		for i := 0; i+1 < len(header); i += 2 {
			w.Header().Set(header[i], header[i+1])
		}
		w.WriteHeader(code)
		fmt.Fprintf(w, `{"error":{"message":"status %d"}}`, code)
	}
}

func testConfig(url string) Config {
	return Config{
		BaseURL: url + "/v1", Model: "judge-model", APIKey: "sk-secret",
		AuthHeader: AuthBearer, Timeout: 5 * time.Second, MaxRetries: 2,
		InitialBackoff: 100 * time.Millisecond, MaxBackoff: 10 * time.Second,
		Concurrency: 4, ResponseFormat: ResponseFormatJSON,
	}
}

// newTestClient returns a client whose backoffs are recorded, not slept.
func newTestClient(t *testing.T, cfg Config) (*Client, *[]time.Duration) {
	c, err := NewClient(cfg, nil, nil)
	require.NoError(t, err)
	var mu sync.Mutex
	var waits []time.Duration
	c.sleep = func(ctx context.Context, d time.Duration) error {
		mu.Lock()
		defer mu.Unlock()
		waits = append(waits, d)
		return ctx.Err()
	}
	return c, &waits
}

func TestJudgeSuccess(t *testing.T) {
	f := newFake(t, answer(`{"score": 0.8, "reason": "Answers the question."}`, 120, 15))
	c, _ := newTestClient(t, testConfig(f.srv.URL))
	v, err := c.Judge(context.Background(), "sys", "user prompt")
	require.NoError(t, err)
	assert.Equal(t, 0.8, v.Score)
	assert.Equal(t, "Answers the question.", v.Reason)
	assert.Equal(t, int64(120), v.InputTokens)
	assert.Equal(t, int64(15), v.OutputTokens)
	assert.Equal(t, "judge-model-2025-01-01", v.Model, "the answering model is reported")
	assert.Equal(t, 1, v.Attempts)

	require.Equal(t, 1, f.callCount())
	assert.Equal(t, "/v1/chat/completions", f.paths[0])
	assert.Equal(t, "Bearer sk-secret", f.headers[0].Get("Authorization"))
	body := f.bodies[0]
	assert.Equal(t, "judge-model", body.Model)
	assert.Equal(t, map[string]any{"type": "json_object"}, body.ResponseFormat)
	require.Len(t, body.Messages, 2)
	assert.Equal(t, chatMessage{"system", "sys"}, body.Messages[0])
	assert.Equal(t, chatMessage{"user", "user prompt"}, body.Messages[1])
}

func TestJudgeAzureStyle(t *testing.T) {
	f := newFake(t, answer(`{"score": 1, "reason": "ok"}`, 1, 1))
	cfg := testConfig(f.srv.URL)
	cfg.BaseURL = f.srv.URL + "/openai/deployments/judge?api-version=2024-06-01"
	cfg.AuthHeader = AuthAPIKey
	cfg.ResponseFormat = ResponseFormatNone
	c, _ := newTestClient(t, cfg)
	_, err := c.Judge(context.Background(), "s", "u")
	require.NoError(t, err)
	assert.Equal(t, "/openai/deployments/judge/chat/completions?api-version=2024-06-01", f.paths[0])
	assert.Equal(t, "sk-secret", f.headers[0].Get("api-key"))
	assert.Empty(t, f.headers[0].Get("Authorization"))
	assert.Nil(t, f.bodies[0].ResponseFormat)
}

func TestJudgeToleratesFencesAndProse(t *testing.T) {
	for _, content := range []string{
		"```json\n{\"score\": 0.25, \"reason\": \"Partly.\"}\n```",
		"```\n{\"score\": 0.25, \"reason\": \"Partly.\"}\n```",
		"Here is my verdict: {\"score\": 0.25, \"reason\": \"Partly.\"} Hope it helps.",
	} {
		f := newFake(t, answer(content, 10, 5))
		c, _ := newTestClient(t, testConfig(f.srv.URL))
		v, err := c.Judge(context.Background(), "s", "u")
		require.NoError(t, err, content)
		assert.Equal(t, 0.25, v.Score)
		assert.Equal(t, "Partly.", v.Reason)
	}
}

func TestJudgeInvalidVerdicts(t *testing.T) {
	for content, want := range map[string]string{
		`The answer is relevant.`:               "not a JSON object",
		`{"score": "high", "reason": "x"}`:      "not a JSON object",
		`{"reason": "forgot the score"}`:        "no score",
		`{"score": 1.5, "reason": "very good"}`: "score 1.5 is outside [0, 1]",
		`{"score": -0.1, "reason": "very bad"}`: "score -0.1 is outside [0, 1]",
		`{"score": 0.9, "reason": "x"`:          "not a JSON object",
		``:                                      "empty content",
	} {
		f := newFake(t, answer(content, 50, 7))
		c, waits := newTestClient(t, testConfig(f.srv.URL))
		v, err := c.Judge(context.Background(), "s", "u")
		require.Error(t, err, content)
		assert.ErrorIs(t, err, ErrInvalidVerdict)
		assert.Contains(t, err.Error(), want)
		assert.Equal(t, 1, v.Attempts, "an invalid verdict is not retried")
		assert.Empty(t, *waits)
		assert.Equal(t, int64(50), v.InputTokens, "the usage of a useless answer still counts")
	}
}

func TestJudgeRetryAfterThenSuccess(t *testing.T) {
	f := newFake(t,
		status(http.StatusTooManyRequests, "Retry-After", "7"),
		answer(`{"score": 0.6, "reason": "fine"}`, 10, 5))
	c, waits := newTestClient(t, testConfig(f.srv.URL))
	v, err := c.Judge(context.Background(), "s", "u")
	require.NoError(t, err)
	assert.Equal(t, 2, v.Attempts)
	assert.Equal(t, []time.Duration{7 * time.Second}, *waits, "Retry-After replaces the backoff")

	// A Retry-After beyond max_backoff is capped.
	f = newFake(t,
		status(http.StatusServiceUnavailable, "Retry-After", "3600"),
		answer(`{"score": 0.6, "reason": "fine"}`, 10, 5))
	c, waits = newTestClient(t, testConfig(f.srv.URL))
	_, err = c.Judge(context.Background(), "s", "u")
	require.NoError(t, err)
	assert.Equal(t, []time.Duration{10 * time.Second}, *waits)
}

func TestJudgeServerErrorsExhaustRetries(t *testing.T) {
	f := newFake(t, status(http.StatusInternalServerError))
	cfg := testConfig(f.srv.URL)
	cfg.MaxRetries = 3
	c, waits := newTestClient(t, cfg)
	v, err := c.Judge(context.Background(), "s", "u")
	require.Error(t, err)
	assert.Contains(t, err.Error(), "HTTP 500")
	assert.Contains(t, err.Error(), "attempt 4")
	assert.Equal(t, 4, v.Attempts)
	assert.Equal(t, 4, f.callCount())
	// Exponential with jitter in [50%, 100%) of 100ms, 200ms, 400ms.
	require.Len(t, *waits, 3)
	for i, w := range *waits {
		base := cfg.InitialBackoff << i
		assert.GreaterOrEqual(t, w, base/2, "backoff %d", i)
		assert.Less(t, w, base, "backoff %d", i)
	}
}

func TestJudgeClientErrorsAreNotRetried(t *testing.T) {
	f := newFake(t, status(http.StatusUnauthorized))
	c, waits := newTestClient(t, testConfig(f.srv.URL))
	v, err := c.Judge(context.Background(), "s", "u")
	require.Error(t, err)
	assert.Contains(t, err.Error(), "HTTP 401")
	assert.Equal(t, 1, v.Attempts)
	assert.Empty(t, *waits)
}

func TestJudgeTimeoutIsRetried(t *testing.T) {
	f := newFake(t, func(_ http.ResponseWriter, r *http.Request) { <-r.Context().Done() })
	cfg := testConfig(f.srv.URL)
	cfg.Timeout = 20 * time.Millisecond
	cfg.MaxRetries = 1
	c, waits := newTestClient(t, cfg)
	v, err := c.Judge(context.Background(), "s", "u")
	require.Error(t, err)
	assert.ErrorIs(t, err, context.DeadlineExceeded)
	assert.Contains(t, err.Error(), "timed out after 20ms")
	assert.Equal(t, 2, v.Attempts)
	assert.Len(t, *waits, 1)
}

func TestJudgeNetworkErrorIsRetried(t *testing.T) {
	f := newFake(t, answer(`{"score": 1, "reason": "x"}`, 1, 1))
	url := f.srv.URL
	f.srv.Close() // nothing listens any more
	cfg := testConfig(url)
	cfg.MaxRetries = 2
	c, waits := newTestClient(t, cfg)
	v, err := c.Judge(context.Background(), "s", "u")
	require.Error(t, err)
	assert.Equal(t, 3, v.Attempts)
	assert.Len(t, *waits, 2)
}

func TestJudgeCallerCancelStopsRetrying(t *testing.T) {
	f := newFake(t, status(http.StatusBadGateway))
	c, err := NewClient(testConfig(f.srv.URL), nil, nil)
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	c.sleep = func(context.Context, time.Duration) error { cancel(); return context.Canceled }
	v, err := c.Judge(ctx, "s", "u")
	require.Error(t, err)
	assert.ErrorIs(t, err, context.Canceled)
	assert.Equal(t, 1, v.Attempts)
}

func TestJudgeConcurrencyLimit(t *testing.T) {
	release := make(chan struct{})
	f := newFake(t, func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
			return
		}
		answer(`{"score": 1, "reason": "x"}`, 1, 1)(w, r)
	})
	cfg := testConfig(f.srv.URL)
	cfg.Concurrency = 3
	c, _ := newTestClient(t, cfg)
	const callers = 12
	var wg sync.WaitGroup
	errs := make(chan error, callers)
	for range callers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := c.Judge(context.Background(), "s", "u")
			errs <- err
		}()
	}
	// The fake counts a call in flight before it records it (the handler's
	// first and later lines), so wait until both say three.
	require.Eventually(t, func() bool { return f.inflight.Load() == 3 && f.callCount() == 3 }, 10*time.Second, time.Millisecond)
	assert.Equal(t, int64(3), f.maxInflight.Load(), "the other callers wait for a slot")
	close(release)
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
	assert.Equal(t, callers, f.callCount())
	assert.Equal(t, int64(3), f.maxInflight.Load(), "never more than concurrency calls in flight")
}

func TestJudgeRateLimit(t *testing.T) {
	f := newFake(t, answer(`{"score": 1, "reason": "x"}`, 1, 1))
	cfg := testConfig(f.srv.URL)
	cfg.RequestsPerSecond = 0.001 // one call, then the next token in ~17 minutes
	c, _ := newTestClient(t, cfg)
	_, err := c.Judge(context.Background(), "s", "u")
	require.NoError(t, err)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	v, err := c.Judge(ctx, "s", "u")
	require.Error(t, err, "the second call would wait past the caller's deadline")
	assert.Equal(t, 1, f.callCount(), "the rate-limited call never reached the server")
	assert.Equal(t, 1, v.Attempts)
}

func TestRetryAfterParsing(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	assert.Equal(t, 2*time.Second, retryAfter("2", now))
	assert.Equal(t, 1500*time.Millisecond, retryAfter("1.5", now))
	assert.Equal(t, 30*time.Second, retryAfter(now.Add(30*time.Second).Format(http.TimeFormat), now))
	assert.Zero(t, retryAfter(now.Add(-time.Minute).Format(http.TimeFormat), now))
	assert.Zero(t, retryAfter("soon", now))
	assert.Zero(t, retryAfter("", now))
}

func TestConfigValidate(t *testing.T) {
	ok := testConfig("http://h")
	require.NoError(t, ok.Validate())
	bad := ok
	bad.MaxBackoff = time.Millisecond
	assert.ErrorContains(t, bad.Validate(), "max_backoff")
	bad = ok
	bad.Timeout = 0
	assert.ErrorContains(t, bad.Validate(), "timeout")
	_, err := NewClient(bad, nil, nil)
	assert.Error(t, err)
	assert.True(t, errors.Is(ErrInvalidVerdict, ErrInvalidVerdict))
}
