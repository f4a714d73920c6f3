package evals

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"github.com/stretchr/testify/require"
	"gopkg.in/yaml.v3"

	"github.com/otelcol-genai/otelcol-genai/test/e2e/harness"
)

const apiKey = "evals-e2e-key"

// The evaluators and the alert of configs/evals.yaml.
const (
	evRelevance = "relevance"
	evPII       = "pii"
	evLatency   = "latency"
	rulePIILeak = "pii-leak"
)

// shortTimes are the component settings these tests shorten so a run takes
// seconds, not minutes: they are set in a copy of configs/evals.yaml, never
// through a test-only code path. Everything else is the shipped config.
// edits may change the copy further.
func deriveConfig(t testing.TB, edits ...func(cfg map[string]any)) string {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(harness.RepoRoot(), "configs", "evals.yaml"))
	require.NoError(t, err)
	var cfg map[string]any
	require.NoError(t, yaml.Unmarshal(raw, &cfg))

	ev := section(t, cfg, "receivers", "genai_eval")
	ev["quiet_period"] = "1s"
	ev["poll_interval"] = "200ms"
	ev["error_backoff"] = "500ms"
	// A claim held by a killed process is taken over after this; it must
	// exceed a judge call with its retries (3 attempts of at most 2s).
	ev["claim_ttl"] = "15s"
	judge := evaluator(t, ev, evRelevance)["judge"].(map[string]any)
	judge["timeout"] = "2s"
	judge["initial_backoff"] = "100ms"
	judge["max_backoff"] = "500ms"

	// Verdicts reach the metrics connector; it flushes every second here.
	section(t, cfg, "connectors", "genai_metrics")["metrics_flush_interval"] = "1s"

	// The feed's quiet period (it forwards SDK traces to the metrics
	// connector) does not matter here; the alert rules run every second.
	al := section(t, cfg, "extensions", "genai_alerts")
	al["evaluation_interval"] = "1s"
	al["retry_on_failure"] = map[string]any{"initial_interval": "100ms", "max_interval": "1s", "max_elapsed_time": "1m"}
	// The shipped webhook (GENAI_ALERT_WEBHOOK_URL, generic JSON) plus a
	// Slack-format one, so both bodies are checked.
	hooks := al["webhooks"].(map[string]any)
	hooks["slack"] = map[string]any{"endpoint": "${env:GENAI_ALERT_SLACK_URL:-}", "format": "slack"}
	for _, edit := range edits {
		edit(cfg)
	}

	out, err := yaml.Marshal(cfg)
	require.NoError(t, err)
	path := filepath.Join(t.TempDir(), "evals-e2e.yaml")
	require.NoError(t, os.WriteFile(path, out, 0o600))
	return path
}

func section(t testing.TB, cfg map[string]any, keys ...string) map[string]any {
	t.Helper()
	m := cfg
	for _, k := range keys {
		next, ok := m[k].(map[string]any)
		require.True(t, ok, "configs/evals.yaml has no %v", keys)
		m = next
	}
	return m
}

func evaluator(t testing.TB, ev map[string]any, name string) map[string]any {
	t.Helper()
	for _, e := range ev["evaluators"].([]any) {
		if m := e.(map[string]any); m["name"] == name {
			return m
		}
	}
	t.Fatalf("configs/evals.yaml has no evaluator %q", name)
	return nil
}

// env is one collector on the derived config with its fakes.
type env struct {
	t     *testing.T
	c     *harness.Collector
	judge *fakeJudge
	hooks *webhookSink
}

// judgeSetting sets one key of the relevance evaluator's judge block.
func judgeSetting(key string, value any) func(map[string]any) {
	return func(cfg map[string]any) {
		ev := cfg["receivers"].(map[string]any)["genai_eval"].(map[string]any)
		for _, e := range ev["evaluators"].([]any) {
			if m := e.(map[string]any); m["name"] == evRelevance {
				m["judge"].(map[string]any)[key] = value
			}
		}
	}
}

func start(t *testing.T, edits ...func(map[string]any)) *env {
	e := &env{t: t, judge: newFakeJudge(t), hooks: newWebhookSink(t)}
	e.c = harness.NewCollector(t, deriveConfig(t, edits...), map[string]string{
		"GENAI_API_KEY":           apiKey,
		"GENAI_JUDGE_BASE_URL":    e.judge.baseURL(),
		"GENAI_JUDGE_MODEL":       judgeModel,
		"GENAI_JUDGE_API_KEY":     judgeAPIKey,
		"GENAI_ALERT_WEBHOOK_URL": e.hooks.srv.URL + "/json",
		"GENAI_ALERT_SLACK_URL":   e.hooks.srv.URL + "/slack",
	})
	e.c.Start()
	return e
}

func (e *env) queryURL() string { return "http://" + e.c.Env["GENAI_QUERY_ENDPOINT"] }

// ---- traffic ----

// sdkTurn is one chat turn as a Maxim SDK logs it: a trace with a question
// and an answer, holding one generation (gpt-4o) that produced the answer.
// The question carries the marker the fake judge scripts by.
type sdkTurn struct {
	trace, gen, qid string
	answer          string
}

func (s sdkTurn) question() string { return "What does " + s.qid + " cost to ship to Lyon?" }

func (s sdkTurn) lines(start time.Time) []string {
	st := start.UTC().Format(time.RFC3339Nano)
	end := start.Add(700 * time.Millisecond).UTC().Format(time.RFC3339Nano)
	q, _ := json.Marshal(s.question())
	a, _ := json.Marshal(s.answer)
	return []string{
		fmt.Sprintf(`trace{id=%s,action=create,data={"name":"support-turn","startTimestamp":%q}}`, s.trace, st),
		fmt.Sprintf(`trace{id=%s,action=update,data={"input":%s}}`, s.trace, q),
		fmt.Sprintf(`trace{id=%s,action=add-generation,data={"id":%q,"name":"answer","provider":"openai","model":"gpt-4o","modelParameters":{},"messages":[{"role":"user","content":%s}],"startTimestamp":%q}}`, s.trace, s.gen, q, st),
		fmt.Sprintf(`generation{id=%s,action=result,data={"result":{"id":"chatcmpl-%s","object":"chat.completion","created":1,"model":"gpt-4o-2024-08-06","choices":[{"index":0,"message":{"role":"assistant","content":%s},"finish_reason":"stop"}],"usage":{"prompt_tokens":40,"completion_tokens":12,"total_tokens":52}}}}`, s.gen, s.qid, a),
		fmt.Sprintf(`generation{id=%s,action=end,data={"endTimestamp":%q}}`, s.gen, end),
		fmt.Sprintf(`trace{id=%s,action=update,data={"output":%s}}`, s.trace, a),
		fmt.Sprintf(`trace{id=%s,action=end,data={"endTimestamp":%q}}`, s.trace, end),
	}
}

// postSDK sends SDK lines to the mxin receiver (docs/protocol.md); a 200
// means the commits are durable.
func (e *env) postSDK(repo string, turns ...sdkTurn) {
	e.t.Helper()
	var lines []string
	now := time.Now()
	for _, s := range turns {
		lines = append(lines, s.lines(now)...)
	}
	e.post("http://"+e.c.Env["GENAI_MXIN_ENDPOINT"]+"/api/sdk/v3/log?id="+url.QueryEscape(repo), "text/plain",
		strings.Join(lines, "\n")+"\n", nil)
}

// otlpTurn is one chat turn as OTel GenAI instrumentation exports it: an
// agent root span (input.value/output.value) with one GenAI chat client
// span below it. Ids are hex: the store's trace id is the OTLP trace id,
// the generation's id the span id.
type otlpTurn struct {
	traceID, rootID, genID string
	qid, answer            string
}

func newOTLPTurn(n int, qid, answer string) otlpTurn {
	base := time.Now().UnixNano()
	return otlpTurn{
		traceID: fmt.Sprintf("%016x%016x", base, n+1),
		rootID:  fmt.Sprintf("%016x", uint64(base)^uint64(2*n+1)),
		genID:   fmt.Sprintf("%016x", uint64(base)^uint64(2*n+2)),
		qid:     qid, answer: answer,
	}
}

func (o otlpTurn) question() string { return "Where is parcel " + o.qid + " right now?" }

func (o otlpTurn) spans(start time.Time) string {
	q, _ := json.Marshal(o.question())
	a, _ := json.Marshal(o.answer)
	in, _ := json.Marshal(fmt.Sprintf(`[{"role":"user","parts":[{"type":"text","content":%s}]}]`, q))
	out, _ := json.Marshal(fmt.Sprintf(`[{"role":"assistant","parts":[{"type":"text","content":%s}],"finish_reason":"stop"}]`, a))
	s0, s1 := start.UnixNano(), start.Add(50*time.Millisecond).UnixNano()
	e1, e0 := start.Add(600*time.Millisecond).UnixNano(), start.Add(650*time.Millisecond).UnixNano()
	return fmt.Sprintf(`{"traceId":%q,"spanId":%q,"name":"support-agent","kind":1,"startTimeUnixNano":"%d","endTimeUnixNano":"%d",
"attributes":[{"key":"input.value","value":{"stringValue":%s}},{"key":"output.value","value":{"stringValue":%s}}]},
{"traceId":%q,"spanId":%q,"parentSpanId":%q,"name":"chat gpt-4o-mini","kind":3,"startTimeUnixNano":"%d","endTimeUnixNano":"%d","attributes":[
{"key":"gen_ai.operation.name","value":{"stringValue":"chat"}},
{"key":"gen_ai.provider.name","value":{"stringValue":"openai"}},
{"key":"gen_ai.request.model","value":{"stringValue":"gpt-4o-mini"}},
{"key":"gen_ai.usage.input_tokens","value":{"intValue":"30"}},
{"key":"gen_ai.usage.output_tokens","value":{"intValue":"9"}},
{"key":"gen_ai.input.messages","value":{"stringValue":%s}},
{"key":"gen_ai.output.messages","value":{"stringValue":%s}}]}`,
		o.traceID, o.rootID, s0, e0, q, a,
		o.traceID, o.genID, o.rootID, s1, e1, in, out)
}

// postOTLP exports the turns as OTLP/JSON over HTTP.
func (e *env) postOTLP(repo string, turns ...otlpTurn) {
	e.t.Helper()
	var spans []string
	now := time.Now()
	for _, o := range turns {
		spans = append(spans, o.spans(now))
	}
	payload := `{"resourceSpans":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"evals-e2e"}}]},"scopeSpans":[{"scope":{"name":"e2e"},"spans":[` +
		strings.Join(spans, ",") + `]}]}]}`
	e.post("http://"+e.c.Env["GENAI_OTLP_HTTP_ENDPOINT"]+"/v1/traces", "application/json", payload,
		map[string]string{"x-maxim-repo-id": repo})
}

func (e *env) post(u, contentType, body string, headers map[string]string) {
	e.t.Helper()
	req, err := http.NewRequest(http.MethodPost, u, strings.NewReader(body))
	require.NoError(e.t, err)
	req.Header.Set("Content-Type", contentType)
	req.Header.Set("x-maxim-api-key", apiKey)
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(e.t, err)
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	require.Equal(e.t, http.StatusOK, resp.StatusCode, "POST %s: %s", u, out)
}

// ---- reading back ----

func getJSON(u string, v any) error {
	_, err := harness.GetJSON(context.Background(), u, apiKey, v)
	return err
}

// verdict is the data of an evaluate {with:"result"} commit.
type verdict struct {
	With      string   `json:"with"`
	Evaluator string   `json:"evaluator"`
	Score     *float64 `json:"score"`
	Pass      *bool    `json:"pass"`
	Reason    string   `json:"reason"`
	Error     string   `json:"error"`
	Judge     *struct {
		Model        string   `json:"model"`
		InputTokens  int64    `json:"inputTokens"`
		OutputTokens int64    `json:"outputTokens"`
		Cost         *float64 `json:"cost"`
		Attempts     int      `json:"attempts"`
	} `json:"judge"`
	CommitID string `json:"-"`
}

// entityRef names one judged entity.
type entityRef struct{ repo, kind, id string }

func (r entityRef) String() string { return r.kind + "/" + r.id }

// verdicts reads the commit history of one entity (GET
// /api/v1/entities/{kind}/{id}) and returns its verdict commits per
// evaluator. The tree keeps one verdict per evaluator whatever is stored;
// the history shows every stored commit, so a duplicate shows here.
func (e *env) verdicts(r entityRef) (map[string][]verdict, error) {
	var resp struct {
		Commits []struct {
			CommitID string          `json:"commitId"`
			Action   string          `json:"action"`
			Data     json.RawMessage `json:"data"`
			From     *struct{}       `json:"from"`
		} `json:"commits"`
	}
	u := fmt.Sprintf("%s/api/v1/entities/%s/%s?repo=%s", e.queryURL(), r.kind, url.PathEscape(r.id), url.QueryEscape(r.repo))
	if err := getJSON(u, &resp); err != nil {
		return nil, err
	}
	out := map[string][]verdict{}
	for _, c := range resp.Commits {
		if c.Action != "evaluate" || c.From != nil {
			continue
		}
		var v verdict
		if err := json.Unmarshal(c.Data, &v); err != nil {
			return nil, fmt.Errorf("%s: commit %s: %w", r, c.CommitID, err)
		}
		if v.With != "result" {
			continue
		}
		v.CommitID = c.CommitID
		out[v.Evaluator] = append(out[v.Evaluator], v)
	}
	return out, nil
}

// waitVerdicts waits until every entity holds a verdict of each evaluator
// want lists for it, then until the engine has nothing pending, and
// returns the verdicts of each entity.
func (e *env) waitVerdicts(want map[entityRef][]string, timeout time.Duration) map[entityRef]map[string][]verdict {
	e.t.Helper()
	got := map[entityRef]map[string][]verdict{}
	err := harness.Eventually(context.Background(), timeout, func() error {
		for r, evs := range want {
			vs, err := e.verdicts(r)
			if err != nil {
				return err
			}
			got[r] = vs
			for _, ev := range evs {
				if len(vs[ev]) == 0 {
					return fmt.Errorf("%s has no %s verdict yet (has %v)", r, ev, keys(vs))
				}
			}
		}
		return nil
	})
	require.NoError(e.t, err)
	e.waitIdle(timeout)
	// Read again: anything stored after the first sighting counts too.
	for r := range want {
		vs, err := e.verdicts(r)
		require.NoError(e.t, err)
		got[r] = vs
	}
	return got
}

// waitIdle waits until the engine has no trace or session pending (every
// change it saw, its own verdicts included, is handled).
func (e *env) waitIdle(timeout time.Duration) {
	e.t.Helper()
	err := harness.Eventually(context.Background(), timeout, func() error {
		fams, err := e.selfMetrics()
		if err != nil {
			return err
		}
		pending, ok := gaugeValue(fams, "otelcol_genai_eval_pending")
		if !ok {
			return fmt.Errorf("no otelcol_genai_eval_pending gauge yet")
		}
		if pending != 0 {
			return fmt.Errorf("%v traces or sessions pending", pending)
		}
		return nil
	})
	require.NoError(e.t, err)
}

// requireOneEach asserts that each entity holds exactly one verdict of each
// evaluator want lists for it, and none of any other.
func requireOneEach(t *testing.T, want map[entityRef][]string, got map[entityRef]map[string][]verdict) {
	t.Helper()
	for r, evs := range want {
		vs := got[r]
		for _, ev := range evs {
			require.Len(t, vs[ev], 1, "%s: %s verdicts %+v", r, ev, vs[ev])
		}
		require.Len(t, vs, len(evs), "%s: verdicts of %v, want exactly %v", r, keys(vs), evs)
	}
}

func keys[V any](m map[string]V) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

// selfMetrics scrapes the collector's own telemetry.
func (e *env) selfMetrics() (map[string]*dto.MetricFamily, error) {
	return scrape("http://localhost:" + e.c.Env["GENAI_METRICS_PORT"] + "/metrics")
}

// genaiMetrics scrapes the prometheus exporter the genai_metrics connector
// feeds.
func (e *env) genaiMetrics() (map[string]*dto.MetricFamily, error) {
	return scrape("http://" + e.c.Env["GENAI_PROMETHEUS_ENDPOINT"] + "/metrics")
}

func scrape(u string) (map[string]*dto.MetricFamily, error) {
	resp, err := http.Get(u)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET %s: %s", u, resp.Status)
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	return p.TextToMetricFamilies(resp.Body)
}

// family finds a metric family by name, with or without the exporter's
// unit and _total suffixes.
func family(fams map[string]*dto.MetricFamily, name string) *dto.MetricFamily {
	if f := fams[name]; f != nil {
		return f
	}
	for n, f := range fams {
		if strings.HasPrefix(n, name+"_") {
			return f
		}
	}
	return nil
}

func gaugeValue(fams map[string]*dto.MetricFamily, name string) (float64, bool) {
	f := family(fams, name)
	if f == nil {
		return 0, false
	}
	sum := 0.0
	for _, m := range f.Metric {
		switch {
		case m.Gauge != nil:
			sum += m.Gauge.GetValue()
		case m.Counter != nil:
			sum += m.Counter.GetValue()
		}
	}
	return sum, true
}

// counterBy sums a counter's series whose labels include match.
func counterBy(fams map[string]*dto.MetricFamily, name string, match map[string]string) float64 {
	f := family(fams, name)
	if f == nil {
		return 0
	}
	sum := 0.0
next:
	for _, m := range f.Metric {
		labels := map[string]string{}
		for _, l := range m.GetLabel() {
			labels[l.GetName()] = l.GetValue()
		}
		for k, v := range match {
			if labels[k] != v {
				continue next
			}
		}
		sum += m.GetCounter().GetValue()
	}
	return sum
}

// histogramCount sums the sample counts of a histogram's series whose
// labels include match.
func histogramCount(fams map[string]*dto.MetricFamily, name string, match map[string]string) uint64 {
	f := family(fams, name)
	if f == nil {
		return 0
	}
	var n uint64
next:
	for _, m := range f.Metric {
		labels := map[string]string{}
		for _, l := range m.GetLabel() {
			labels[l.GetName()] = l.GetValue()
		}
		for k, v := range match {
			if labels[k] != v {
				continue next
			}
		}
		n += m.GetHistogram().GetSampleCount()
	}
	return n
}
