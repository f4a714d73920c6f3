// Package evals drives the built distribution on a copy of
// configs/evals.yaml (only its waits shortened) with a fake
// OpenAI-compatible judge and a webhook receiver in the test process, and
// checks online evaluations and alerts end to end: SDK and OTLP traffic is
// judged once per entity and evaluator by the deterministic evaluators and
// the LLM judge, a failing judge is retried and its failure recorded as
// receiver/genaievalreceiver/README.md promises, kill -9 during evaluation
// neither loses nor duplicates a verdict, and the pii-leak alert fires once,
// survives a restart without firing again and resolves once.
package evals

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"net/url"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/otelcol-genai/otelcol-genai/internal/pricing"
	"github.com/otelcol-genai/otelcol-genai/test/e2e/harness"
)

// judgeCost is what the collector must record for one verdict call: the
// fake's usage priced by the one pricing rule (internal/pricing).
func judgeCost(t *testing.T, in, out int64) float64 {
	t.Helper()
	res, err := pricing.MustDefault().PriceCall(pricing.Call{
		Usage:        pricing.Usage{InputTokens: in, OutputTokens: out},
		RequestModel: judgeModel, ResponseModel: judgeResponseModel, Start: time.Now(),
	})
	require.NoError(t, err)
	require.Greater(t, res.TotalCost, 0.0)
	return res.TotalCost
}

func near(a, b float64) bool { return math.Abs(a-b) <= 1e-12+1e-9*math.Abs(b) }

// wantFor lists the evaluators configs/evals.yaml runs on a turn: relevance
// and pii on the generation, pii and latency on the trace.
func wantFor(repo, trace, gen string, want map[entityRef][]string) {
	want[entityRef{repo, "trace", trace}] = []string{evPII, evLatency}
	want[entityRef{repo, "generation", gen}] = []string{evRelevance, evPII}
}

func TestSDKAndOTLPTrafficIsJudgedOncePerEvaluator(t *testing.T) {
	e := start(t)
	const repo = "evals-traffic"
	sdk := []sdkTurn{
		{trace: "sdk-trace-clean", gen: "sdk-gen-clean", qid: "qid-sdk-clean", answer: "Shipping a parcel to Lyon costs 12 EUR."},
		{trace: "sdk-trace-leak", gen: "sdk-gen-leak", qid: "qid-sdk-leak", answer: "Write to jane.doe@example.com and she will quote you."},
	}
	otlp := []otlpTurn{
		newOTLPTurn(0, "qid-otlp-clean", "It left the Lyon depot this morning."),
		newOTLPTurn(1, "qid-otlp-leak", "The courier is reachable at +33 6 12 34 56 78."),
	}
	e.postSDK(repo, sdk...)
	e.postOTLP(repo, otlp...)

	want := map[entityRef][]string{}
	for _, s := range sdk {
		wantFor(repo, s.trace, s.gen, want)
	}
	for _, o := range otlp {
		wantFor(repo, o.traceID, o.genID, want)
	}
	got := e.waitVerdicts(want, 90*time.Second)
	requireOneEach(t, want, got)

	// The judge was called once per generation, with the configured key.
	for _, qid := range []string{sdk[0].qid, sdk[1].qid, otlp[0].qid, otlp[1].qid} {
		require.Equal(t, []reply{replyOK}, e.judge.callsOf(qid), "judge calls for %s", qid)
	}
	require.Zero(t, e.judge.badAuth, "judge calls without GENAI_JUDGE_API_KEY")

	cost := judgeCost(t, judgeInTokens, judgeOutTokens)
	leaks := map[string]bool{sdk[1].trace: true, sdk[1].gen: true, otlp[1].traceID: true, otlp[1].genID: true}
	for r, vs := range got {
		if r.kind == "generation" {
			v := vs[evRelevance][0]
			require.NotNil(t, v.Score, "%s relevance", r)
			require.Equal(t, judgeScore, *v.Score, "%s relevance", r)
			require.True(t, *v.Pass, "%s relevance", r)
			require.Equal(t, judgeReason, v.Reason)
			require.Empty(t, v.Error)
			require.NotNil(t, v.Judge, "%s relevance: no judge usage", r)
			require.Equal(t, judgeResponseModel, v.Judge.Model)
			require.Equal(t, int64(judgeInTokens), v.Judge.InputTokens)
			require.Equal(t, int64(judgeOutTokens), v.Judge.OutputTokens)
			require.Equal(t, 1, v.Judge.Attempts)
			require.NotNil(t, v.Judge.Cost, "%s relevance: no judge cost", r)
			require.True(t, near(*v.Judge.Cost, cost), "%s judge cost %v, want %v", r, *v.Judge.Cost, cost)
		} else {
			v := vs[evLatency][0]
			require.True(t, v.Pass != nil && *v.Pass, "%s latency %+v", r, v)
		}
		p := vs[evPII][0]
		require.NotNil(t, p.Pass, "%s pii %+v", r, p)
		require.Equal(t, !leaks[r.id], *p.Pass, "%s pii: %s", r, p.Reason)
		if leaks[r.id] {
			require.True(t, strings.Contains(p.Reason, "email") || strings.Contains(p.Reason, "phone"), "%s pii reason %q", r, p.Reason)
			require.NotContains(t, p.Reason, "jane.doe", "a PII reason names kinds, never values")
		}
	}

	// The tree shows the verdicts, and the eval search filter finds the
	// traces that leaked (SDK and OTLP alike).
	var tr struct {
		Trace struct {
			Evaluations []struct {
				With      string `json:"with"`
				Evaluator string `json:"evaluator"`
			} `json:"evaluations"`
		} `json:"trace"`
	}
	require.NoError(t, getJSON(e.queryURL()+"/api/v1/traces/"+otlp[1].traceID+"?repo="+repo, &tr))
	var names []string
	for _, ev := range tr.Trace.Evaluations {
		if ev.With == "result" {
			names = append(names, ev.Evaluator)
		}
	}
	sort.Strings(names)
	require.Equal(t, []string{evLatency, evPII}, names, "verdicts on the OTLP trace node")

	// The search reads the summary rows, which the indexer updates after
	// the commits are stored: wait for it to catch up.
	q := url.Values{"repo": {repo}, "eval": {evPII}, "from": {time.Now().Add(-time.Hour).Format(time.RFC3339)}}
	wantIDs := []string{otlp[1].traceID, sdk[1].trace}
	sort.Strings(wantIDs)
	waitFor(t, 30*time.Second, func() error {
		var found struct {
			Traces []struct {
				TraceID string `json:"id"`
			} `json:"traces"`
		}
		if err := getJSON(e.queryURL()+"/api/v1/traces?"+q.Encode(), &found); err != nil {
			return err
		}
		var ids []string
		for _, tr := range found.Traces {
			ids = append(ids, tr.TraceID)
		}
		sort.Strings(ids)
		if fmt.Sprint(ids) != fmt.Sprint(wantIDs) {
			return fmt.Errorf("traces with a failed pii verdict: %v, want %v", ids, wantIDs)
		}
		return nil
	})

	// The verdicts feed the metrics connector: genai.evaluations per
	// evaluator and result, the relevance scores in the histogram.
	waitFor(t, 60*time.Second, func() error {
		fams, err := e.genaiMetrics()
		if err != nil {
			return err
		}
		got := map[string]float64{}
		for _, k := range []struct{ ev, result string }{{evRelevance, "pass"}, {evPII, "pass"}, {evPII, "fail"}, {evLatency, "pass"}} {
			got[k.ev+"/"+k.result] = counterBy(fams, "genai_evaluations",
				map[string]string{"genai_evaluator_name": k.ev, "genai_evaluation_result": k.result, "maxim_repo_id": repo})
		}
		want := map[string]float64{evRelevance + "/pass": 4, evPII + "/pass": 4, evPII + "/fail": 4, evLatency + "/pass": 4}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			return fmt.Errorf("genai_evaluations %v, want %v", got, want)
		}
		if n := histogramCount(fams, "genai_evaluation_score", map[string]string{"genai_evaluator_name": evRelevance}); n != 4 {
			return fmt.Errorf("%d relevance scores in genai_evaluation_score, want 4", n)
		}
		return nil
	})

	// The collector counted what it stored: one evaluation per verdict.
	fams, err := e.selfMetrics()
	require.NoError(t, err)
	require.Equal(t, 4.0, counterBy(fams, "otelcol_genai_eval_evaluations", map[string]string{"evaluator": evRelevance}))
	require.Equal(t, 8.0, counterBy(fams, "otelcol_genai_eval_evaluations", map[string]string{"evaluator": evPII}))
	require.Equal(t, 4.0, counterBy(fams, "otelcol_genai_eval_evaluations", map[string]string{"evaluator": evPII, "outcome": "failed"}))
}

// A judge that fails in every way it can is retried and never blocks the
// other evaluators; one that never answers with a verdict gets its error
// recorded as the verdict (receiver/genaievalreceiver/README.md, "Judge
// failures"): `error` set, no score or pass, counted as errored.
func TestJudgeFailuresAreRetriedThenRecorded(t *testing.T) {
	e := start(t)
	const repo = "evals-judge-faults"
	flaky := sdkTurn{trace: "trace-flaky", gen: "gen-flaky", qid: "qid-flaky", answer: "It costs 12 EUR to ship to Lyon."}
	broken := sdkTurn{trace: "trace-broken", gen: "gen-broken", qid: "qid-broken", answer: "It costs 14 EUR to ship to Lyon."}
	// flaky: 500, then a timeout, then a body that is not a chat
	// completion, then a verdict. broken: always prose instead of JSON.
	e.judge.setScript(func(qid string, n int) reply {
		switch qid {
		case flaky.qid:
			return [...]reply{reply500, replyHang, replyBadBody, replyOK, replyOK}[min(n, 5)-1]
		case broken.qid:
			return replyNotJSON
		}
		return replyOK
	})
	e.postSDK(repo, flaky, broken)

	want := map[entityRef][]string{}
	wantFor(repo, flaky.trace, flaky.gen, want)
	wantFor(repo, broken.trace, broken.gen, want)
	got := e.waitVerdicts(want, 2*time.Minute)
	requireOneEach(t, want, got)

	// flaky: every failure was retried until the verdict came.
	require.Equal(t, []reply{reply500, replyHang, replyBadBody, replyOK}, e.judge.callsOf(flaky.qid))
	v := got[entityRef{repo, "generation", flaky.gen}][evRelevance][0]
	require.Empty(t, v.Error)
	require.NotNil(t, v.Score)
	require.Equal(t, judgeScore, *v.Score)
	require.NotNil(t, v.Judge)
	// The verdict records every call it took and what they cost.
	require.Equal(t, 4, v.Judge.Attempts, "judge attempts on the verdict")
	require.Equal(t, int64(judgeInTokens), v.Judge.InputTokens)

	// broken: each round asks once (an unreadable verdict is not retried
	// within a round), 1 + error_retries rounds, then the error is the
	// verdict.
	calls := e.judge.callsOf(broken.qid)
	require.Equal(t, []reply{replyNotJSON, replyNotJSON, replyNotJSON}, calls)
	b := got[entityRef{repo, "generation", broken.gen}][evRelevance][0]
	require.Nil(t, b.Score, "an errored verdict has no score: %+v", b)
	require.Nil(t, b.Pass, "an errored verdict has no pass: %+v", b)
	require.Contains(t, b.Error, "invalid verdict")
	require.NotNil(t, b.Judge, "the errored verdict records the judge's spend")
	require.Equal(t, judgeResponseModel, b.Judge.Model)
	require.Equal(t, len(calls), b.Judge.Attempts)
	require.Equal(t, int64(len(calls)*notJSONInTokens), b.Judge.InputTokens)
	require.Equal(t, int64(len(calls)*notJSONOutTokens), b.Judge.OutputTokens)
	require.NotNil(t, b.Judge.Cost)
	require.True(t, near(*b.Judge.Cost, float64(len(calls))*judgeCost(t, notJSONInTokens, notJSONOutTokens)),
		"errored verdict cost %v", *b.Judge.Cost)

	// The deterministic evaluators of the same generations were not held
	// back by the judge: they passed (no PII in the answers).
	for _, g := range []string{flaky.gen, broken.gen} {
		p := got[entityRef{repo, "generation", g}][evPII][0]
		require.True(t, p.Pass != nil && *p.Pass, "%s pii %+v", g, p)
	}

	fams, err := e.selfMetrics()
	require.NoError(t, err)
	require.Equal(t, 1.0, counterBy(fams, "otelcol_genai_eval_evaluations", map[string]string{"evaluator": evRelevance, "outcome": "errored"}))
	require.Equal(t, 1.0, counterBy(fams, "otelcol_genai_eval_evaluations", map[string]string{"evaluator": evRelevance, "outcome": "passed"}))
}

// A judge call that hangs holds back neither ingest nor the evaluations of
// other traces. The judge keeps the shipped 30s timeout here, so the held
// call outlasts the wait for the other trace's verdicts.
func TestSlowJudgeHoldsNothingElseBack(t *testing.T) {
	e := start(t, judgeSetting("timeout", "30s"))
	const repo = "evals-slow-judge"
	slow := sdkTurn{trace: "trace-slow", gen: "gen-slow", qid: "qid-slow", answer: "It costs 12 EUR."}
	e.judge.setScript(func(qid string, n int) reply {
		if qid == slow.qid {
			return replyHold
		}
		return replyOK
	})
	e.postSDK(repo, slow)
	waitFor(t, 30*time.Second, func() error {
		if e.judge.inflightOf(slow.qid) == 0 {
			return fmt.Errorf("the judge has not been asked about %s yet", slow.qid)
		}
		return nil
	})
	// While that call is held: ingest answers, and the next trace is
	// judged by every evaluator, the judge included.
	next := sdkTurn{trace: "trace-next", gen: "gen-next", qid: "qid-next", answer: "It costs 9 EUR."}
	e.postSDK(repo, next)
	want := map[entityRef][]string{}
	wantFor(repo, next.trace, next.gen, want)
	waitFor(t, 25*time.Second, func() error {
		for r, evs := range want {
			vs, err := e.verdicts(r)
			if err != nil {
				return err
			}
			for _, ev := range evs {
				if len(vs[ev]) == 0 {
					return fmt.Errorf("%s has no %s verdict", r, ev)
				}
			}
		}
		return nil
	})
	require.Positive(t, e.judge.inflightOf(slow.qid), "the slow call ended before the next trace was judged; the check proves nothing")
	e.judge.release()
	wantFor(repo, slow.trace, slow.gen, want)
	requireOneEach(t, want, e.waitVerdicts(want, 60*time.Second))
}

func waitFor(t *testing.T, timeout time.Duration, f func() error) {
	t.Helper()
	require.NoError(t, harness.Eventually(context.Background(), timeout, f))
}

// kill -9 while judge calls are in flight, restart on the same data
// directory: every entity ends with exactly one verdict per evaluator, none
// lost (the claims of the killed process expire after claim_ttl, the
// restarted follower catches up from its checkpoint) and none twice.
func TestKillDuringEvaluationLosesAndDuplicatesNothing(t *testing.T) {
	// The shipped judge timeout: calls held by the fake stay in flight
	// until the kill.
	e := start(t, judgeSetting("timeout", "30s"))
	const repo = "evals-kill"
	e.judge.setScript(func(string, int) reply { return replyHold })
	var turns []sdkTurn
	want := map[entityRef][]string{}
	for i := range 12 {
		s := sdkTurn{trace: fmt.Sprintf("kill-trace-%02d", i), gen: fmt.Sprintf("kill-gen-%02d", i),
			qid: fmt.Sprintf("qid-kill-%02d", i), answer: "Shipping costs 12 EUR."}
		if i%3 == 0 {
			s.answer = "Ask anna.berg@example.org for a quote."
		}
		turns = append(turns, s)
		wantFor(repo, s.trace, s.gen, want)
	}
	e.postSDK(repo, turns...)

	// Judge calls in flight and some deterministic verdicts stored: the
	// kill hits evaluations half done.
	waitFor(t, 60*time.Second, func() error {
		if n := e.judge.totalInflight(); n < 2 {
			return fmt.Errorf("%d judge calls in flight", n)
		}
		for r := range want {
			vs, err := e.verdicts(r)
			if err != nil {
				return err
			}
			if len(vs[evPII]) > 0 {
				return nil
			}
		}
		return fmt.Errorf("no pii verdict stored yet")
	})
	e.c.Kill()
	e.judge.setScript(func(string, int) reply { return replyOK })
	e.c.Start()

	got := e.waitVerdicts(want, 3*time.Minute)
	requireOneEach(t, want, got)
	for _, s := range turns {
		answered := 0
		for _, r := range e.judge.callsOf(s.qid) {
			if r == replyOK {
				answered++
			}
		}
		require.Equal(t, 1, answered, "%s: judge verdicts given (calls %v)", s.qid, e.judge.callsOf(s.qid))
		v := got[entityRef{repo, "generation", s.gen}][evRelevance][0]
		require.True(t, v.Pass != nil && *v.Pass && v.Error == "", "%s relevance %+v", s.gen, v)
	}
}

// alertsDoc is GET /api/v1/alerts.
type alertsDoc struct {
	Alerts []struct {
		Rule          string    `json:"rule"`
		Repo          string    `json:"repo"`
		State         string    `json:"state"`
		LastEvaluated time.Time `json:"lastEvaluated"`
	} `json:"alerts"`
	History []struct {
		ID         string    `json:"id"`
		Rule       string    `json:"rule"`
		Repo       string    `json:"repo"`
		Kind       string    `json:"kind"`
		At         time.Time `json:"at"`
		Deliveries []struct {
			Webhook  string `json:"webhook"`
			Status   string `json:"status"`
			Attempts int    `json:"attempts"`
		} `json:"deliveries"`
	} `json:"history"`
	Firing int `json:"firing"`
}

func (e *env) alerts(repo string) (alertsDoc, error) {
	var d alertsDoc
	err := getJSON(e.queryURL()+"/api/v1/alerts?repo="+url.QueryEscape(repo), &d)
	return d, err
}

// jsonNotice is the generic webhook body.
type jsonNotice struct {
	ID        string   `json:"id"`
	Kind      string   `json:"kind"`
	State     string   `json:"state"`
	Rule      string   `json:"rule"`
	Repo      string   `json:"repo"`
	Metric    string   `json:"metric"`
	Evaluator string   `json:"evaluator"`
	Value     *float64 `json:"value"`
	Op        string   `json:"op"`
	Threshold float64  `json:"threshold"`
	Samples   int64    `json:"samples"`
	Window    string   `json:"window"`
	Summary   string   `json:"summary"`
}

// slackNotice is the Slack-compatible body.
type slackNotice struct {
	Text   string `json:"text"`
	Blocks []struct {
		Type string `json:"type"`
		Text *struct {
			Type string `json:"type"`
			Text string `json:"text"`
		} `json:"text"`
		Elements []struct {
			Type string `json:"type"`
			Text string `json:"text"`
		} `json:"elements"`
	} `json:"blocks"`
}

// accepted returns the deliveries of path the sink answered 2xx.
func (s *webhookSink) accepted(path string) []delivery {
	var out []delivery
	for _, d := range s.deliveries(path) {
		if d.Status/100 == 2 {
			out = append(out, d)
		}
	}
	return out
}

// The pii-leak alert of configs/evals.yaml: a leaked e-mail address fires
// it once on both webhooks (the generic one answers 500 first and is
// retried), a kill -9 and restart do not fire it again, and once a minute
// passes without a leak it resolves once. GET /api/v1/alerts shows it all.
func TestPIILeakAlertFiresOnceAndResolvesOnce(t *testing.T) {
	e := start(t)
	const repo = "evals-alerts"
	e.hooks.fail("/json", 1)
	e.postSDK(repo, sdkTurn{trace: "leak-trace", gen: "leak-gen", qid: "qid-leak", answer: "Mail sam.lee@example.com for the refund."})

	waitFor(t, 60*time.Second, func() error {
		if len(e.hooks.accepted("/json")) == 0 || len(e.hooks.accepted("/slack")) == 0 {
			return fmt.Errorf("deliveries so far: json %d, slack %d", len(e.hooks.deliveries("/json")), len(e.hooks.deliveries("/slack")))
		}
		return nil
	})
	js := e.hooks.deliveries("/json")
	require.Len(t, js, 2, "the generic webhook: a 500, then the retry")
	require.Equal(t, 500, js[0].Status)
	require.Equal(t, 200, js[1].Status)
	require.Equal(t, js[0].IdempotencyKey, js[1].IdempotencyKey, "a retry is the same event")
	require.Equal(t, js[0].Body, js[1].Body)
	var fired jsonNotice
	require.NoError(t, json.Unmarshal(js[1].Body, &fired))
	require.Equal(t, "fired", fired.Kind)
	require.Equal(t, "firing", fired.State)
	require.Equal(t, rulePIILeak, fired.Rule)
	require.Equal(t, repo, fired.Repo)
	require.Equal(t, "eval_failures", fired.Metric)
	require.Equal(t, evPII, fired.Evaluator)
	require.Equal(t, "at_least", fired.Op)
	require.Equal(t, 1.0, fired.Threshold)
	require.NotNil(t, fired.Value)
	require.GreaterOrEqual(t, *fired.Value, 1.0)
	require.Equal(t, fired.ID, js[1].IdempotencyKey)
	require.Contains(t, fired.Summary, "[FIRING] "+rulePIILeak)

	sl := e.hooks.deliveries("/slack")
	require.Len(t, sl, 1)
	var slack slackNotice
	require.NoError(t, json.Unmarshal(sl[0].Body, &slack))
	require.Contains(t, slack.Text, "[FIRING] "+rulePIILeak+" on "+repo)
	require.Len(t, slack.Blocks, 2)
	require.Equal(t, "section", slack.Blocks[0].Type)
	require.NotNil(t, slack.Blocks[0].Text)
	require.Equal(t, "mrkdwn", slack.Blocks[0].Text.Type)
	require.Contains(t, slack.Blocks[0].Text.Text, rulePIILeak)
	require.Equal(t, "context", slack.Blocks[1].Type)
	require.NotEmpty(t, slack.Blocks[1].Elements)
	require.Contains(t, slack.Blocks[1].Elements[0].Text, fired.ID)

	// The history records both deliveries as sent, the generic one after
	// two attempts.
	waitFor(t, 30*time.Second, func() error {
		d, err := e.alerts(repo)
		if err != nil {
			return err
		}
		if len(d.History) != 1 || d.History[0].Kind != "fired" || d.Firing != 1 {
			return fmt.Errorf("history %+v, %d firing", d.History, d.Firing)
		}
		got := map[string]string{}
		for _, dl := range d.History[0].Deliveries {
			got[dl.Webhook] = fmt.Sprintf("%s/%d", dl.Status, dl.Attempts)
		}
		if fmt.Sprint(got) != fmt.Sprint(map[string]string{"default": "sent/2", "slack": "sent/1"}) {
			return fmt.Errorf("deliveries %v", got)
		}
		return nil
	})

	// kill -9 and restart while the window still holds the leak: the
	// alert is evaluated again, stays firing, and nothing is sent.
	e.c.Kill()
	restarted := time.Now()
	e.c.Start()
	waitFor(t, 60*time.Second, func() error {
		d, err := e.alerts(repo)
		if err != nil {
			return err
		}
		for _, a := range d.Alerts {
			if a.Rule == rulePIILeak && a.LastEvaluated.After(restarted) {
				if a.State != "firing" {
					return fmt.Errorf("the alert resolved before the restarted collector evaluated it while firing; the check proves nothing")
				}
				return nil
			}
		}
		return fmt.Errorf("not evaluated since the restart: %+v", d.Alerts)
	})
	d, err := e.alerts(repo)
	require.NoError(t, err)
	require.Len(t, d.History, 1, "no transition after the restart: %+v", d.History)
	require.Len(t, e.hooks.deliveries("/json"), 2, "nothing sent again")
	require.Len(t, e.hooks.deliveries("/slack"), 1, "nothing sent again")

	// A minute without a leak: resolved, once per webhook.
	waitFor(t, 4*time.Minute, func() error {
		if len(e.hooks.accepted("/json")) < 2 || len(e.hooks.accepted("/slack")) < 2 {
			return fmt.Errorf("not resolved yet")
		}
		return nil
	})
	js = e.hooks.accepted("/json")
	require.Len(t, js, 2)
	var resolved jsonNotice
	require.NoError(t, json.Unmarshal(js[1].Body, &resolved))
	require.Equal(t, "resolved", resolved.Kind)
	require.Equal(t, "ok", resolved.State)
	require.Equal(t, rulePIILeak, resolved.Rule)
	require.NotEqual(t, fired.ID, resolved.ID)
	require.Contains(t, resolved.Summary, "[RESOLVED] "+rulePIILeak)
	sl = e.hooks.accepted("/slack")
	require.Len(t, sl, 2)
	require.NoError(t, json.Unmarshal(sl[1].Body, &slack))
	require.Contains(t, slack.Text, "[RESOLVED] "+rulePIILeak)

	// The history: resolved then fired (newest first), the alert ok; an
	// evaluation after the resolve sends nothing more.
	waitFor(t, 30*time.Second, func() error {
		d, err := e.alerts(repo)
		if err != nil {
			return err
		}
		if len(d.History) != 2 || d.History[0].Kind != "resolved" || d.History[1].Kind != "fired" {
			return fmt.Errorf("history %+v", d.History)
		}
		for _, dl := range d.History[0].Deliveries {
			if dl.Status != "sent" {
				return fmt.Errorf("resolved delivery %+v", dl)
			}
		}
		for _, a := range d.Alerts {
			if a.Rule == rulePIILeak && a.State == "ok" && a.LastEvaluated.After(d.History[0].At) {
				return nil
			}
		}
		return fmt.Errorf("no evaluation after the resolve yet: %+v", d.Alerts)
	})
	require.Len(t, e.hooks.deliveries("/json"), 3, "500, fired, resolved")
	require.Len(t, e.hooks.deliveries("/slack"), 2, "fired, resolved")
}
