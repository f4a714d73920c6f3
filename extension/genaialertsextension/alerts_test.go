package genaialertsextension

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/config/configretry"
	"go.opentelemetry.io/collector/extension"
	"go.opentelemetry.io/collector/extension/extensiontest"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"

	"github.com/otelcol-genai/otelcol-genai/extension/genaialertsextension/internal/metadata"
	"github.com/otelcol-genai/otelcol-genai/internal/alerting"
	"github.com/otelcol-genai/otelcol-genai/internal/store"
	"github.com/otelcol-genai/otelcol-genai/internal/store/memstore"
	"github.com/otelcol-genai/otelcol-genai/internal/tree"
	"github.com/otelcol-genai/otelcol-genai/pkg/commit"
)

var t0 = time.Date(2026, 5, 4, 10, 0, 0, 0, time.UTC)

// clock is a fake clock the tests move by hand.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time      { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) set(t time.Time)     { c.mu.Lock(); c.t = t; c.mu.Unlock() }
func (c *clock) add(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

// receiver is a webhook endpoint recording bodies; fail answers the first
// calls with the given status codes.
type receiver struct {
	mu     sync.Mutex
	bodies []map[string]any
	fail   []int
	calls  int
	srv    *httptest.Server
}

func newReceiver(t *testing.T, fail ...int) *receiver {
	r := &receiver{fail: fail}
	r.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		data, _ := io.ReadAll(req.Body)
		r.mu.Lock()
		defer r.mu.Unlock()
		r.calls++
		if len(r.fail) > 0 {
			code := r.fail[0]
			r.fail = r.fail[1:]
			http.Error(w, "try later", code)
			return
		}
		var m map[string]any
		if err := json.Unmarshal(data, &m); err != nil {
			t.Errorf("webhook body is not JSON: %s", data)
		}
		m["_idempotency"] = req.Header.Get("Idempotency-Key")
		r.bodies = append(r.bodies, m)
	}))
	t.Cleanup(r.srv.Close)
	return r
}

func (r *receiver) got() ([]map[string]any, int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]map[string]any(nil), r.bodies...), r.calls
}

func f(v float64) *float64 { return &v }

func testConfig(url, format string, rules ...RuleConfig) *Config {
	cfg := createDefaultConfig().(*Config)
	cfg.RetryOnFailure = configretry.BackOffConfig{Enabled: true, InitialInterval: time.Millisecond,
		MaxInterval: 2 * time.Millisecond, Multiplier: 2, MaxElapsedTime: 5 * time.Second}
	cfg.Webhooks = map[string]WebhookConfig{"hook": {Format: format}}
	w := cfg.Webhooks["hook"]
	w.Endpoint = url
	cfg.Webhooks["hook"] = w
	cfg.Rules = rules
	return cfg
}

func piiRule() RuleConfig {
	return RuleConfig{Name: "pii-leak", Metric: MetricEvalFailures, Evaluator: "pii", Window: time.Minute, AtLeast: f(1)}
}

// harness runs an extension over a backend with a fake clock, without the
// ticker: tests call evaluate and wait for deliveries themselves.
type harness struct {
	t   *testing.T
	e   *alertsExtension
	clk *clock
	tel *componenttest.Telemetry
}

func start(t *testing.T, cfg *Config, b store.Backend, clk *clock, repos ...string) *harness {
	t.Helper()
	require.NoError(t, cfg.Validate())
	tel := componenttest.NewTelemetry()
	t.Cleanup(func() { _ = tel.Shutdown(context.Background()) })
	set := extensiontest.NewNopSettings(metadata.Type)
	set.TelemetrySettings = tel.NewTelemetrySettings()
	e, err := newAlertsExtension(cfg, set)
	require.NoError(t, err)
	e.now = clk.now
	clients := map[string]*http.Client{}
	for name, w := range cfg.Webhooks {
		if w.Endpoint != "" {
			clients[name] = http.DefaultClient
		}
	}
	runCtx, cancel := context.WithCancel(context.Background())
	e.cancel = cancel
	require.NoError(t, e.open(context.Background(), runCtx, b, clients))
	for _, r := range repos {
		e.seeRepo(r)
	}
	t.Cleanup(func() { _ = e.Shutdown(context.Background()) })
	return &harness{t: t, e: e, clk: clk, tel: tel}
}

// evaluate runs one evaluation and waits for its deliveries.
func (h *harness) evaluate() {
	h.e.evaluateDue(context.Background())
	h.e.wg.Wait()
}

func (h *harness) counter(name string) map[string]int64 {
	out := map[string]int64{}
	m, err := h.tel.GetMetric(name)
	if err != nil {
		return out
	}
	switch d := m.Data.(type) {
	case metricdata.Sum[int64]:
		for _, dp := range d.DataPoints {
			var keys []string
			for _, kv := range dp.Attributes.ToSlice() {
				keys = append(keys, string(kv.Key)+"="+kv.Value.Emit())
			}
			out[strings.Join(keys, ",")] += dp.Value
		}
	}
	return out
}

// putTrace stores a trace with the given verdicts the way the indexer
// does: commits folded into a tree and summarized.
func putTrace(t *testing.T, b *memstore.Store, repo, id string, start time.Time, extra ...string) {
	t.Helper()
	lines := []string{
		fmt.Sprintf(`trace{id=%s,action=create,data={"startTimestamp":%q}}`, id, start.Format(time.RFC3339Nano)),
		fmt.Sprintf(`trace{id=%s,action=add-generation,data={"id":"%s-g","model":"gpt-4o"}}`, id, id),
	}
	lines = append(lines, extra...)
	cs, errs := commit.ParseBody(repo, []byte(strings.Join(lines, "\n")), commit.NewVersioner())
	require.Empty(t, errs)
	ctx := context.Background()
	require.NoError(t, b.Apply(ctx, cs, tree.EdgesOfAll(cs)))
	tr, err := tree.AssembleTrace(ctx, b, commit.NodeRef{Repo: repo, Kind: commit.EntityTrace, ID: id})
	require.NoError(t, err)
	require.NoError(t, b.PutTraceSummaries(ctx, []store.TraceSummary{tree.SummarizeTrace(tr)}))
}

func verdict(id, evaluator string, pass bool, score float64, at time.Time) string {
	return fmt.Sprintf(`generation{id=%s-g,action=evaluate,data={"with":"result","evaluator":%q,"score":%g,"pass":%t,"reason":"r","timestamp":%q}}`,
		id, evaluator, score, pass, at.Format(time.RFC3339Nano))
}

// The pii-leak rule fires once when a failure lands in the window, stays
// quiet while it keeps firing, and resolves once when the window slides
// past it; each transition reaches the webhook once.
func TestPIILeakFiresAndResolves(t *testing.T) {
	b := memstore.New()
	rcv := newReceiver(t)
	clk := &clock{t: t0}
	h := start(t, testConfig(rcv.srv.URL, FormatJSON, piiRule()), b, clk, "r1")

	h.evaluate()
	bodies, _ := rcv.got()
	require.Empty(t, bodies, "no data, no alert")

	putTrace(t, b, "r1", "t1", t0, verdict("t1", "pii", false, 0, t0.Add(10*time.Second)))
	clk.set(t0.Add(20 * time.Second))
	h.evaluate()
	clk.add(15 * time.Second)
	h.evaluate() // still firing: no second notification
	bodies, _ = rcv.got()
	require.Len(t, bodies, 1)
	assert.Equal(t, "fired", bodies[0]["kind"])
	assert.Equal(t, "pii-leak", bodies[0]["rule"])
	assert.Equal(t, "r1", bodies[0]["repo"])
	assert.Equal(t, "pii", bodies[0]["evaluator"])
	assert.EqualValues(t, 1, bodies[0]["value"])
	assert.Equal(t, bodies[0]["id"], bodies[0]["_idempotency"])

	clk.set(t0.Add(3 * time.Minute)) // the failure left the 1m window
	h.evaluate()
	bodies, _ = rcv.got()
	require.Len(t, bodies, 2)
	assert.Equal(t, "resolved", bodies[1]["kind"])
	assert.Contains(t, bodies[1]["summary"], "[RESOLVED] pii-leak on r1")

	doc, err := alerting.Load(context.Background(), b)
	require.NoError(t, err)
	require.Len(t, doc.History, 2)
	for _, ev := range doc.History {
		require.Len(t, ev.Deliveries, 1)
		assert.Equal(t, alerting.DeliverySent, ev.Deliveries[0].Status)
	}
	assert.Equal(t, alerting.StateOK, doc.Find("pii-leak", "r1").State)
	assert.Equal(t, map[string]int64{"kind=fired,rule=pii-leak": 1, "kind=resolved,rule=pii-leak": 1},
		h.counter("otelcol_genai_alerts_transitions"))
	assert.Equal(t, map[string]int64{"outcome=sent,webhook=hook": 2}, h.counter("otelcol_genai_alerts_notifications"))
	assert.Equal(t, map[string]int64{"": 0}, h.counter("otelcol_genai_alerts_firing"))
}

// Restarting over the same store keeps the firing state: no second
// notification for the same alert, and the resolve still comes once.
func TestRestartDoesNotRefire(t *testing.T) {
	b := memstore.New()
	rcv := newReceiver(t)
	clk := &clock{t: t0.Add(20 * time.Second)}
	cfg := testConfig(rcv.srv.URL, FormatSlack, piiRule())
	putTrace(t, b, "r1", "t1", t0, verdict("t1", "pii", false, 0, t0.Add(10*time.Second)))

	h1 := start(t, cfg, b, clk, "r1")
	h1.evaluate()
	require.NoError(t, h1.e.Shutdown(context.Background()))
	bodies, _ := rcv.got()
	require.Len(t, bodies, 1)

	// A new extension, no repository announced: it knows r1 from the state.
	clk.add(10 * time.Second)
	h2 := start(t, cfg, b, clk)
	h2.evaluate()
	bodies, _ = rcv.got()
	require.Len(t, bodies, 1, "a restart must not re-fire")
	assert.Equal(t, map[string]int64{"": 1}, h2.counter("otelcol_genai_alerts_firing"), "the restarted extension reports the firing alert")

	clk.set(t0.Add(5 * time.Minute))
	h2.evaluate()
	bodies, _ = rcv.got()
	require.Len(t, bodies, 2)
	assert.Contains(t, bodies[1]["text"], "[RESOLVED] pii-leak on r1")
}

// A delivery still pending when the process stopped (crash between saving
// the transition and reaching the webhook) is sent on the next start.
func TestPendingDeliveryResentOnStart(t *testing.T) {
	b := memstore.New()
	rcv := newReceiver(t)
	clk := &clock{t: t0}
	rule := piiRule()
	ev := alerting.Event{ID: "e1", Rule: rule.Name, Repo: "r1", Kind: alerting.EventFired, At: t0, Value: f(2), Samples: 2,
		Threshold: 1, Op: "at_least", Deliveries: []alerting.Delivery{{Webhook: "hook", Status: alerting.DeliveryPending}}}
	require.NoError(t, alerting.Save(context.Background(), b, &alerting.Document{
		Alerts:  []alerting.Alert{{Rule: rule.Name, Repo: "r1", State: alerting.StateFiring, Since: t0}},
		History: []alerting.Event{ev},
	}))
	h := start(t, testConfig(rcv.srv.URL, FormatJSON, rule), b, clk)
	h.e.wg.Wait()
	bodies, _ := rcv.got()
	require.Len(t, bodies, 1)
	assert.Equal(t, "e1", bodies[0]["id"])
	doc, err := alerting.Load(context.Background(), b)
	require.NoError(t, err)
	assert.Equal(t, alerting.DeliverySent, doc.History[0].Deliveries[0].Status)
}

// 5xx and 429 are retried with backoff until the receiver takes the body;
// a 4xx is final.
func TestWebhookRetry(t *testing.T) {
	for _, tc := range []struct {
		name         string
		fail         []int
		wantStatus   string
		wantAttempts int
		wantBodies   int
	}{
		{"retried until accepted", []int{500, 429, 503}, alerting.DeliverySent, 4, 1},
		{"client error is final", []int{400}, alerting.DeliveryFailed, 1, 0},
		{"gives up after max_elapsed_time", repeat(500, 1000), alerting.DeliveryFailed, -1, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := memstore.New()
			rcv := newReceiver(t, tc.fail...)
			clk := &clock{t: t0.Add(20 * time.Second)}
			cfg := testConfig(rcv.srv.URL, FormatJSON, piiRule())
			if tc.wantAttempts < 0 {
				cfg.RetryOnFailure.MaxElapsedTime = 50 * time.Millisecond
			}
			putTrace(t, b, "r1", "t1", t0, verdict("t1", "pii", false, 0, t0.Add(10*time.Second)))
			h := start(t, cfg, b, clk, "r1")
			h.evaluate()
			bodies, calls := rcv.got()
			assert.Len(t, bodies, tc.wantBodies)
			doc, err := alerting.Load(context.Background(), b)
			require.NoError(t, err)
			d := doc.History[0].Deliveries[0]
			assert.Equal(t, tc.wantStatus, d.Status)
			if tc.wantAttempts > 0 {
				assert.Equal(t, tc.wantAttempts, d.Attempts)
				assert.Equal(t, tc.wantAttempts, calls)
			} else {
				assert.Greater(t, d.Attempts, 1)
			}
			if tc.wantStatus == alerting.DeliveryFailed {
				assert.Contains(t, d.Error, "status")
				assert.Equal(t, map[string]int64{"outcome=failed,webhook=hook": 1}, h.counter("otelcol_genai_alerts_notifications"))
			}
		})
	}
}

func repeat(code, n int) []int {
	out := make([]int, n)
	for i := range out {
		out[i] = code
	}
	return out
}

// The Slack body is text plus blocks.
func TestSlackBody(t *testing.T) {
	ev := alerting.Event{ID: "abc", Repo: "r1", Kind: alerting.EventFired, At: t0, Value: f(0.25), Samples: 40, Threshold: 0.1, Op: "above"}
	r := alerting.Rule{Name: "errors", Metric: MetricErrorRate, Window: "5m0s"}
	data, err := body(FormatSlack, &ev, &r)
	require.NoError(t, err)
	var got slackBody
	require.NoError(t, json.Unmarshal(data, &got))
	assert.Equal(t, "[FIRING] errors on r1: error_rate = 0.25 (above 0.1 over 5m0s, 40 samples)", got.Text)
	require.Len(t, got.Blocks, 2)
	assert.Equal(t, "section", got.Blocks[0].Type)
	assert.Contains(t, got.Blocks[0].Text.Text, ":rotating_light:")
	assert.Contains(t, got.Blocks[1].Elements[0].Text, "event abc")
}

// min_samples keeps a rate from firing on too little traffic, and an
// interval longer than the tick skips evaluations.
func TestMinSamplesAndInterval(t *testing.T) {
	b := memstore.New()
	rcv := newReceiver(t)
	clk := &clock{t: t0.Add(30 * time.Second)}
	rule := RuleConfig{Name: "relevance-low", Metric: MetricEvalMeanScore, Evaluator: "relevance", Window: 5 * time.Minute,
		Below: f(0.5), MinSamples: 3, Interval: time.Minute}
	h := start(t, testConfig(rcv.srv.URL, FormatJSON, rule), b, clk, "r1")
	putTrace(t, b, "r1", "a", t0, verdict("a", "relevance", false, 0.1, t0.Add(time.Second)))
	putTrace(t, b, "r1", "b", t0, verdict("b", "relevance", false, 0.2, t0.Add(time.Second)))
	h.evaluate()
	doc, _ := alerting.Load(context.Background(), b)
	a := doc.Find("relevance-low", "r1")
	require.NotNil(t, a)
	assert.Equal(t, alerting.StateOK, a.State, "2 samples < min_samples 3")
	assert.InDelta(t, 0.15, *a.Value, 1e-9)

	putTrace(t, b, "r1", "c", t0, verdict("c", "relevance", true, 0.9, t0.Add(time.Second)))
	clk.add(30 * time.Second) // not due yet (interval 1m)
	h.evaluate()
	doc, _ = alerting.Load(context.Background(), b)
	assert.Equal(t, int64(2), doc.Find("relevance-low", "r1").Samples, "not re-evaluated before its interval")

	clk.add(30 * time.Second)
	h.evaluate()
	doc, _ = alerting.Load(context.Background(), b)
	a = doc.Find("relevance-low", "r1")
	assert.Equal(t, int64(3), a.Samples)
	assert.Equal(t, alerting.StateFiring, a.State, "mean 0.4 < 0.5 over 3 samples")
	bodies, _ := rcv.got()
	require.Len(t, bodies, 1)
}

func TestBreaches(t *testing.T) {
	for _, tc := range []struct {
		rule RuleConfig
		rd   reading
		want bool
	}{
		{RuleConfig{Above: f(0.1)}, reading{Value: 0.2, HasValue: true, Samples: 1}, true},
		{RuleConfig{Above: f(0.1)}, reading{Value: 0.1, HasValue: true, Samples: 1}, false},
		{RuleConfig{AtLeast: f(1)}, reading{Value: 1, HasValue: true, Samples: 1}, true},
		{RuleConfig{Below: f(0.5)}, reading{Value: 0.5, HasValue: true, Samples: 1}, false},
		{RuleConfig{AtMost: f(0.5)}, reading{Value: 0.5, HasValue: true, Samples: 1}, true},
		{RuleConfig{Below: f(0.5)}, reading{Samples: 0}, false},                                           // no value
		{RuleConfig{Below: f(0.5)}, reading{Value: 0, HasValue: true, Samples: 0}, false},                 // min_samples defaults to 1
		{RuleConfig{Above: f(0), MinSamples: 10}, reading{Value: 0.5, HasValue: true, Samples: 9}, false}, // too few
		{RuleConfig{Above: f(0), MinSamples: 10}, reading{Value: 0.5, HasValue: true, Samples: 10}, true},
	} {
		assert.Equal(t, tc.want, breaches(&tc.rule, tc.rd), "%+v %+v", tc.rule, tc.rd)
	}
}

// Every metric reads the stats totals: the same numbers the stats API
// answers.
func TestMetricOf(t *testing.T) {
	tot := store.StatsBucket{Traces: 8, ErrorTraces: 2, Generations: 10, InputTokens: 300, OutputTokens: 100, Cost: 0.5,
		TraceLatencyMs: &store.Percentiles{P50: 10, P95: 900, P99: 1000},
		Evaluations:    &store.EvalStats{Runs: 4, Failures: 1, FailureRate: f(0.25), Scored: 2, MeanScore: f(0.6)}}
	for _, tc := range []struct {
		metric string
		want   reading
	}{
		{MetricEvalFailureRate, reading{0.25, true, 4}},
		{MetricEvalFailures, reading{1, true, 4}},
		{MetricEvalMeanScore, reading{0.6, true, 2}},
		{MetricErrorRate, reading{0.25, true, 8}},
		{MetricLatencyP95, reading{900, true, 8}},
		{MetricCostPerHour, reading{1, true, 8}},     // 0.5 USD over 30m
		{MetricTokensPerHour, reading{800, true, 8}}, // 400 tokens over 30m
	} {
		assert.Equal(t, tc.want, metricOf(tc.metric, &tot, 30*time.Minute), tc.metric)
	}
	empty := store.StatsBucket{}
	for _, m := range allMetrics {
		rd := metricOf(m, &empty, time.Hour)
		if m == MetricEvalFailures {
			assert.Equal(t, reading{0, true, 0}, rd, m)
			continue
		}
		assert.False(t, rd.HasValue, m)
	}
}

// Cost and tokens per hour come from the summary rows' generation rows
// (tree totals), per repository.
func TestCostPerHourFromStore(t *testing.T) {
	b := memstore.New()
	clk := &clock{t: t0.Add(30 * time.Minute)}
	rule := RuleConfig{Name: "spend", Metric: MetricCostPerHour, Window: time.Hour, Above: f(1)}
	rcv := newReceiver(t)
	h := start(t, testConfig(rcv.srv.URL, FormatJSON, rule), b, clk, "r1", "r2")
	for i, repo := range []string{"r1", "r1", "r2"} {
		id := fmt.Sprintf("t%d", i)
		putTrace(t, b, repo, id, t0.Add(time.Duration(i)*time.Minute),
			fmt.Sprintf(`generation{id=%s-g,action=result,data={"result":{"usage":{"prompt_tokens":1,"completion_tokens":1},"cost":{"total":0.75}}}}`, id))
	}
	h.evaluate()
	doc, _ := alerting.Load(context.Background(), b)
	r1, r2 := doc.Find("spend", "r1"), doc.Find("spend", "r2")
	require.NotNil(t, r1)
	require.NotNil(t, r2)
	// The window [9:30, 10:30) read as whole minutes: 1.5 USD in r1 over 1h.
	assert.InDelta(t, 1.5, *r1.Value, 1e-9)
	assert.Equal(t, alerting.StateFiring, r1.State)
	assert.InDelta(t, 0.75, *r2.Value, 1e-9)
	assert.Equal(t, alerting.StateOK, r2.State)
}

func extensiontestSettings() extension.Settings { return extensiontest.NewNopSettings(metadata.Type) }
