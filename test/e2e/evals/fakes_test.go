package evals

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync"
	"testing"
)

// The fake judge is an OpenAI-compatible chat endpoint (POST
// /v1/chat/completions). Each prompt the collector renders holds the
// judged generation's question, and every question of these tests carries
// a marker `qid-<name>`: the fake's script decides, per marker and per
// call, how to answer.

// reply is one way the fake judge answers a call.
type reply int

const (
	// replyOK: a chat completion whose content is a valid verdict.
	replyOK reply = iota
	// reply500: HTTP 500.
	reply500
	// replyHang: no answer until the client gives up (its timeout).
	replyHang
	// replyBadBody: HTTP 200 whose body is not a chat completion.
	replyBadBody
	// replyNotJSON: a chat completion whose content is not a JSON verdict.
	replyNotJSON
	// replyHold: no answer until the test releases held calls (then the
	// call is answered like replyOK) or the client gives up.
	replyHold
)

func (r reply) String() string {
	return [...]string{"ok", "500", "hang", "bad-body", "not-json", "hold"}[r]
}

// What the fake reports as usage: the collector records it on the verdict
// (and prices it: gpt-4o-mini is in the price table).
const (
	judgeModel         = "gpt-4o-mini"
	judgeResponseModel = "gpt-4o-mini-2024-07-18"
	judgeInTokens      = 120
	judgeOutTokens     = 15
	judgeScore         = 0.9
	judgeReason        = "the answer addresses the question"
	judgeAPIKey        = "judge-secret"
	// A verdict that is not JSON still costs tokens.
	notJSONInTokens  = 100
	notJSONOutTokens = 5
)

var qidRe = regexp.MustCompile(`qid-[a-z0-9-]+`)

// fakeJudge counts and scripts the judge calls.
type fakeJudge struct {
	t   testing.TB
	srv *httptest.Server

	mu       sync.Mutex
	script   func(qid string, call int) reply
	calls    map[string][]reply // per marker, in arrival order
	inflight map[string]int     // calls not answered yet, per marker
	badAuth  int                // calls without the configured key
	released chan struct{}      // closed: held calls are answered
}

func newFakeJudge(t testing.TB) *fakeJudge {
	j := &fakeJudge{t: t, calls: map[string][]reply{}, inflight: map[string]int{}, released: make(chan struct{})}
	j.script = func(string, int) reply { return replyOK }
	j.srv = httptest.NewServer(http.HandlerFunc(j.serve))
	t.Cleanup(func() {
		j.release()
		j.srv.Close()
	})
	return j
}

// baseURL is the API root the collector is given (GENAI_JUDGE_BASE_URL).
func (j *fakeJudge) baseURL() string { return j.srv.URL + "/v1" }

// setScript replaces how calls are answered.
func (j *fakeJudge) setScript(f func(qid string, call int) reply) {
	j.mu.Lock()
	defer j.mu.Unlock()
	j.script = f
}

// release answers every held call (and every later hold) with a verdict.
func (j *fakeJudge) release() {
	j.mu.Lock()
	defer j.mu.Unlock()
	select {
	case <-j.released:
	default:
		close(j.released)
	}
}

// callsOf returns how the calls for a marker were answered, in order.
func (j *fakeJudge) callsOf(qid string) []reply {
	j.mu.Lock()
	defer j.mu.Unlock()
	return append([]reply(nil), j.calls[qid]...)
}

// inflightOf counts the calls for a marker not answered yet.
func (j *fakeJudge) inflightOf(qid string) int {
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.inflight[qid]
}

// totalInflight counts every call not answered yet.
func (j *fakeJudge) totalInflight() int {
	j.mu.Lock()
	defer j.mu.Unlock()
	n := 0
	for _, v := range j.inflight {
		n += v
	}
	return n
}

// answered counts the calls answered with a verdict, over all markers.
func (j *fakeJudge) answered() int {
	j.mu.Lock()
	defer j.mu.Unlock()
	n := 0
	for _, rs := range j.calls {
		for _, r := range rs {
			if r == replyOK {
				n++
			}
		}
	}
	return n
}

type chatRequest struct {
	Model    string `json:"model"`
	Messages []struct {
		Role    string `json:"role"`
		Content string `json:"content"`
	} `json:"messages"`
}

func (j *fakeJudge) serve(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost || r.URL.Path != "/v1/chat/completions" {
		http.Error(w, `{"error":{"message":"unknown route"}}`, http.StatusNotFound)
		return
	}
	body, _ := io.ReadAll(r.Body)
	var req chatRequest
	if err := json.Unmarshal(body, &req); err != nil || len(req.Messages) == 0 {
		http.Error(w, `{"error":{"message":"not a chat request"}}`, http.StatusBadRequest)
		return
	}
	var prompt strings.Builder
	for _, m := range req.Messages {
		prompt.WriteString(m.Content + "\n")
	}
	qid := qidRe.FindString(prompt.String())

	j.mu.Lock()
	if r.Header.Get("Authorization") != "Bearer "+judgeAPIKey {
		j.badAuth++
	}
	n := len(j.calls[qid]) + 1
	how := j.script(qid, n)
	j.calls[qid] = append(j.calls[qid], how)
	j.inflight[qid]++
	released := j.released
	j.mu.Unlock()
	defer func() {
		j.mu.Lock()
		j.inflight[qid]--
		j.mu.Unlock()
	}()

	switch how {
	case replyOK:
		writeCompletion(w, fmt.Sprintf(`{"score": %v, "reason": %q}`, judgeScore, judgeReason), judgeInTokens, judgeOutTokens)
	case reply500:
		http.Error(w, `{"error":{"message":"internal error","type":"server_error"}}`, http.StatusInternalServerError)
	case replyHang:
		<-r.Context().Done()
	case replyBadBody:
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"id":"chatcmpl-broken","choices":[{"message":{"content":"{\"score`)
	case replyNotJSON:
		writeCompletion(w, "Looks relevant to me.", notJSONInTokens, notJSONOutTokens)
	case replyHold:
		select {
		case <-released:
			writeCompletion(w, fmt.Sprintf(`{"score": %v, "reason": %q}`, judgeScore, judgeReason), judgeInTokens, judgeOutTokens)
		case <-r.Context().Done():
		}
	}
}

func writeCompletion(w http.ResponseWriter, content string, in, out int) {
	resp := map[string]any{
		"id": "chatcmpl-e2e", "object": "chat.completion", "created": 1, "model": judgeResponseModel,
		"choices": []any{map[string]any{"index": 0, "finish_reason": "stop",
			"message": map[string]any{"role": "assistant", "content": content}}},
		"usage": map[string]any{"prompt_tokens": in, "completion_tokens": out, "total_tokens": in + out},
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(resp)
}

// webhookSink receives alert notifications: /json for the generic body,
// /slack for the Slack-compatible one.
type webhookSink struct {
	srv *httptest.Server

	mu       sync.Mutex
	got      []delivery
	failNext map[string]int // path → how many next requests answer 500
}

// delivery is one request the sink received.
type delivery struct {
	Path           string
	IdempotencyKey string
	Body           []byte
	Status         int
}

func newWebhookSink(t testing.TB) *webhookSink {
	s := &webhookSink{failNext: map[string]int{}}
	s.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		s.mu.Lock()
		status := http.StatusOK
		if s.failNext[r.URL.Path] > 0 {
			s.failNext[r.URL.Path]--
			status = http.StatusInternalServerError
		}
		s.got = append(s.got, delivery{Path: r.URL.Path, IdempotencyKey: r.Header.Get("Idempotency-Key"), Body: body, Status: status})
		s.mu.Unlock()
		w.WriteHeader(status)
	}))
	t.Cleanup(s.srv.Close)
	return s
}

// fail makes the next n requests to path answer 500.
func (s *webhookSink) fail(path string, n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failNext[path] = n
}

// deliveries returns what path received, in order.
func (s *webhookSink) deliveries(path string) []delivery {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []delivery
	for _, d := range s.got {
		if d.Path == path {
			out = append(out, d)
		}
	}
	return out
}
