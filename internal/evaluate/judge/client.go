package judge

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"path"
	"strconv"
	"strings"
	"time"

	"go.uber.org/zap"
	"golang.org/x/time/rate"
)

// ErrInvalidVerdict: the judge answered, but not with a JSON object holding
// a score in [0, 1]. It is not retried (at temperature 0 the same prompt
// tends to get the same answer); the caller records it.
var ErrInvalidVerdict = errors.New("judge: invalid verdict")

// maxBody bounds how much of a response is read.
const maxBody = 4 << 20

// Verdict is the judge's answer and what it cost to get.
type Verdict struct {
	Score  float64
	Reason string
	// Model is the model that answered (the response's "model"), else the
	// configured one.
	Model string
	// Usage summed over every attempt that reported it.
	InputTokens, OutputTokens int64
	// Attempts counts the calls made, retries included.
	Attempts int
}

// Client judges prompts. It is safe for concurrent use; the concurrency and
// rate limits hold across all its callers.
type Client struct {
	cfg      Config
	endpoint string
	http     *http.Client
	log      *zap.Logger
	sem      chan struct{}
	limiter  *rate.Limiter // nil: no rate limit

	// sleep waits d or until ctx ends; tests replace it to observe
	// backoffs without waiting.
	sleep func(ctx context.Context, d time.Duration) error
	// jitter returns a factor in [0.5, 1).
	jitter func() float64
}

// NewClient returns a client for cfg, which must be valid. hc nil uses a
// client of its own; the per-attempt timeout is cfg.Timeout either way.
func NewClient(cfg Config, hc *http.Client, log *zap.Logger) (*Client, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	u, err := url.Parse(cfg.BaseURL)
	if err != nil {
		return nil, fmt.Errorf("base_url: %w", err)
	}
	u.Path = path.Join("/", u.Path, "chat/completions")
	if hc == nil {
		hc = &http.Client{}
	}
	if log == nil {
		log = zap.NewNop()
	}
	c := &Client{
		cfg:      cfg,
		endpoint: u.String(),
		http:     hc,
		log:      log,
		sem:      make(chan struct{}, cfg.Concurrency),
		sleep:    sleepCtx,
		jitter:   func() float64 { return 0.5 + rand.Float64()/2 },
	}
	if cfg.RequestsPerSecond > 0 {
		burst := max(1, int(cfg.RequestsPerSecond))
		c.limiter = rate.NewLimiter(rate.Limit(cfg.RequestsPerSecond), burst)
	}
	return c, nil
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Model is the configured judge model.
func (c *Client) Model() string { return c.cfg.Model }

// Provider is the configured provider id for pricing.
func (c *Client) Provider() string { return c.cfg.Provider }

// Judge asks for a verdict on the rendered prompt. On error the Verdict
// still carries Attempts and the usage spent, for the record.
func (c *Client) Judge(ctx context.Context, system, user string) (Verdict, error) {
	body, err := json.Marshal(c.request(system, user))
	if err != nil {
		return Verdict{}, fmt.Errorf("judge: encode request: %w", err)
	}
	v := Verdict{Model: c.cfg.Model}
	for {
		v.Attempts++
		resp, err := c.attempt(ctx, body)
		if resp != nil {
			v.InputTokens += resp.Usage.PromptTokens
			v.OutputTokens += resp.Usage.CompletionTokens
			if resp.Model != "" {
				v.Model = resp.Model
			}
		}
		if err == nil {
			v.Score, v.Reason, err = parseVerdict(resp)
			return v, err
		}
		var re *retryable
		if !errors.As(err, &re) || v.Attempts > c.cfg.MaxRetries {
			return v, fmt.Errorf("judge %s: attempt %d: %w", c.cfg.Model, v.Attempts, err)
		}
		wait := c.backoff(v.Attempts, re.after)
		c.log.Debug("judge attempt failed, retrying",
			zap.String("model", c.cfg.Model), zap.Int("attempt", v.Attempts),
			zap.Duration("backoff", wait), zap.Error(err))
		if err := c.sleep(ctx, wait); err != nil {
			return v, fmt.Errorf("judge %s: waiting to retry: %w", c.cfg.Model, err)
		}
	}
}

// backoff is the wait before attempt n+1: exponential from InitialBackoff
// with jitter in [50%, 100%), capped at MaxBackoff; a server's Retry-After
// replaces it (up to MaxBackoff), since the server knows when it can serve.
func (c *Client) backoff(n int, retryAfter time.Duration) time.Duration {
	if retryAfter > 0 {
		return min(retryAfter, c.cfg.MaxBackoff)
	}
	d := c.cfg.InitialBackoff
	for i := 1; i < n && d < c.cfg.MaxBackoff; i++ {
		d *= 2
	}
	d = min(d, c.cfg.MaxBackoff)
	return time.Duration(float64(d) * c.jitter())
}

type chatMessage struct {
	Role    string `json:"role"`
	Content string `json:"content"`
}

type chatRequest struct {
	Model          string         `json:"model"`
	Messages       []chatMessage  `json:"messages"`
	Temperature    float64        `json:"temperature"`
	ResponseFormat map[string]any `json:"response_format,omitempty"`
}

type chatResponse struct {
	Model   string `json:"model"`
	Choices []struct {
		Message struct {
			Content *string `json:"content"`
			Refusal string  `json:"refusal"`
		} `json:"message"`
		FinishReason string `json:"finish_reason"`
	} `json:"choices"`
	Usage struct {
		PromptTokens     int64 `json:"prompt_tokens"`
		CompletionTokens int64 `json:"completion_tokens"`
	} `json:"usage"`
}

func (c *Client) request(system, user string) chatRequest {
	r := chatRequest{
		Model:    c.cfg.Model,
		Messages: []chatMessage{{Role: "system", Content: system}, {Role: "user", Content: user}},
	}
	if c.cfg.ResponseFormat == ResponseFormatJSON {
		r.ResponseFormat = map[string]any{"type": "json_object"}
	}
	return r
}

// retryable marks an attempt's error as worth retrying, with the server's
// Retry-After when it sent one.
type retryable struct {
	err   error
	after time.Duration
}

func (r *retryable) Error() string { return r.err.Error() }
func (r *retryable) Unwrap() error { return r.err }

// attempt makes one call within the concurrency and rate limits and the
// per-attempt timeout. A nil error means a decoded 2xx response.
func (c *Client) attempt(ctx context.Context, body []byte) (*chatResponse, error) {
	select {
	case c.sem <- struct{}{}:
		defer func() { <-c.sem }()
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	if c.limiter != nil {
		if err := c.limiter.Wait(ctx); err != nil {
			return nil, err
		}
	}
	actx, cancel := context.WithTimeout(ctx, c.cfg.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(actx, http.MethodPost, c.endpoint, bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	if c.cfg.APIKey != "" {
		if c.cfg.AuthHeader == AuthAPIKey {
			req.Header.Set("api-key", c.cfg.APIKey)
		} else {
			req.Header.Set("Authorization", "Bearer "+c.cfg.APIKey)
		}
	}
	res, err := c.http.Do(req)
	if err != nil {
		if ctx.Err() != nil { // the caller gave up: no retry
			return nil, ctx.Err()
		}
		if actx.Err() != nil {
			return nil, &retryable{err: fmt.Errorf("timed out after %v: %w", c.cfg.Timeout, context.DeadlineExceeded)}
		}
		return nil, &retryable{err: err}
	}
	defer res.Body.Close()
	data, err := io.ReadAll(io.LimitReader(res.Body, maxBody))
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, &retryable{err: fmt.Errorf("reading response: %w", err)}
	}
	if res.StatusCode < 200 || res.StatusCode > 299 {
		err := fmt.Errorf("HTTP %d: %s", res.StatusCode, snippet(data))
		if res.StatusCode == http.StatusTooManyRequests || res.StatusCode == http.StatusRequestTimeout || res.StatusCode >= 500 {
			return nil, &retryable{err: err, after: retryAfter(res.Header.Get("Retry-After"), time.Now())}
		}
		return nil, err
	}
	var resp chatResponse
	if err := json.Unmarshal(data, &resp); err != nil {
		// A 2xx that is not a chat completion: a proxy's error page or a
		// truncated body. Worth another try.
		return nil, &retryable{err: fmt.Errorf("decoding response: %w: %s", err, snippet(data))}
	}
	return &resp, nil
}

// retryAfter parses a Retry-After header: delay-seconds or an HTTP date.
func retryAfter(h string, now time.Time) time.Duration {
	h = strings.TrimSpace(h)
	if h == "" {
		return 0
	}
	if s, err := strconv.ParseFloat(h, 64); err == nil && s >= 0 {
		return time.Duration(s * float64(time.Second))
	}
	if t, err := http.ParseTime(h); err == nil && t.After(now) {
		return t.Sub(now)
	}
	return 0
}

func snippet(b []byte) string {
	s := strings.TrimSpace(string(b))
	if len(s) > 300 {
		s = s[:300] + "…"
	}
	return s
}

// parseVerdict reads {"score", "reason"} from the first choice's content,
// tolerating a Markdown code fence or prose around the object.
func parseVerdict(resp *chatResponse) (float64, string, error) {
	if len(resp.Choices) == 0 {
		return 0, "", fmt.Errorf("%w: no choices in the response", ErrInvalidVerdict)
	}
	m := resp.Choices[0].Message
	if m.Content == nil || strings.TrimSpace(*m.Content) == "" {
		if m.Refusal != "" {
			return 0, "", fmt.Errorf("%w: the judge refused: %s", ErrInvalidVerdict, snippet([]byte(m.Refusal)))
		}
		return 0, "", fmt.Errorf("%w: empty content (finish_reason %q)", ErrInvalidVerdict, resp.Choices[0].FinishReason)
	}
	obj := extractObject(*m.Content)
	var out struct {
		Score  *json.Number `json:"score"`
		Reason string       `json:"reason"`
	}
	dec := json.NewDecoder(strings.NewReader(obj))
	dec.UseNumber()
	if err := dec.Decode(&out); err != nil {
		return 0, "", fmt.Errorf("%w: not a JSON object: %s", ErrInvalidVerdict, snippet([]byte(*m.Content)))
	}
	if out.Score == nil {
		return 0, "", fmt.Errorf("%w: no score in %s", ErrInvalidVerdict, snippet([]byte(obj)))
	}
	score, err := out.Score.Float64()
	if err != nil || score < 0 || score > 1 {
		return 0, "", fmt.Errorf("%w: score %s is outside [0, 1]", ErrInvalidVerdict, out.Score.String())
	}
	return score, strings.TrimSpace(out.Reason), nil
}

// extractObject returns the JSON object in s: s itself, the body of a
// ```json fence, or the span from the first '{' to the last '}'.
func extractObject(s string) string {
	s = strings.TrimSpace(s)
	if strings.HasPrefix(s, "```") {
		s = strings.TrimPrefix(s, "```")
		if nl := strings.IndexByte(s, '\n'); nl >= 0 {
			s = s[nl+1:] // drop the info string ("json")
		}
		if end := strings.LastIndex(s, "```"); end >= 0 {
			s = s[:end]
		}
		s = strings.TrimSpace(s)
	}
	if strings.HasPrefix(s, "{") {
		return s
	}
	i, j := strings.IndexByte(s, '{'), strings.LastIndexByte(s, '}')
	if i >= 0 && j > i {
		return s[i : j+1]
	}
	return s
}
