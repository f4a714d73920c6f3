package tracetreequery

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/otelcol-genai/otelcol-genai/internal/alerting"
	"github.com/otelcol-genai/otelcol-genai/internal/store"
)

func seedAlerts(t *testing.T, fs *feedStore) {
	t.Helper()
	v := 2.0
	ev := func(id, repo, kind string, m int) alerting.Event {
		return alerting.Event{ID: id, Rule: "pii-leak", Repo: repo, Kind: kind, At: t0.Add(time.Duration(m) * time.Minute), Value: &v,
			Samples: 3, Threshold: 1, Op: "at_least", Deliveries: []alerting.Delivery{{Webhook: "slack", Status: alerting.DeliverySent, Attempts: 1}}}
	}
	require.NoError(t, alerting.Save(context.Background(), fs, &alerting.Document{
		Rules: []alerting.Rule{{Name: "pii-leak", Metric: "eval_failures", Evaluator: "pii", Op: "at_least", Threshold: 1, Window: "1m0s"}},
		Alerts: []alerting.Alert{
			{Rule: "pii-leak", Repo: "repo1", State: alerting.StateOK, Since: t0},
			{Rule: "pii-leak", Repo: "repo2", State: alerting.StateFiring, Since: t0},
			{Rule: "errors", Repo: "repo1", State: alerting.StateFiring, Since: t0},
		},
		History:   []alerting.Event{ev("a", "repo1", "fired", 1), ev("b", "repo2", "fired", 2), ev("c", "repo1", "resolved", 3)},
		UpdatedAt: t0,
	}))
}

func TestAlerts(t *testing.T) {
	fs := seed(t)
	empty := newServer(t, fs, []string{"repo1"}, apiOptions{maxPage: 50})
	var got alertsResponse
	code, _ := get(t, empty, "/api/v1/alerts", &got)
	require.Equal(t, http.StatusOK, code)
	assert.Empty(t, got.Rules, "no alerts extension has written state yet")
	assert.NotNil(t, got.Alerts)

	seedAlerts(t, fs)
	// A key for repo1 sees repo1's alerts and history only, firing first,
	// history newest first.
	got = alertsResponse{}
	code, _ = get(t, empty, "/api/v1/alerts", &got)
	require.Equal(t, http.StatusOK, code)
	require.Len(t, got.Rules, 1)
	require.Len(t, got.Alerts, 2)
	assert.Equal(t, "errors", got.Alerts[0].Rule)
	assert.Equal(t, alerting.StateFiring, got.Alerts[0].State)
	assert.Equal(t, 1, got.Firing)
	require.Len(t, got.History, 2)
	assert.Equal(t, []string{"c", "a"}, []string{got.History[0].ID, got.History[1].ID})
	assert.Equal(t, alerting.DeliverySent, got.History[0].Deliveries[0].Status)

	getError(t, empty, "/api/v1/alerts?repo=repo2", http.StatusForbidden)

	all := newServer(t, fs, []string{"*"}, apiOptions{maxPage: 50})
	got = alertsResponse{}
	get(t, all, "/api/v1/alerts?limit=1", &got)
	assert.Len(t, got.Alerts, 3)
	assert.Equal(t, 2, got.Firing)
	require.Len(t, got.History, 1, "limit")
	assert.Equal(t, "c", got.History[0].ID)
	got = alertsResponse{}
	get(t, all, "/api/v1/alerts?repo=repo2", &got)
	require.Len(t, got.Alerts, 1)
	assert.Equal(t, "repo2", got.Alerts[0].Repo)
	getError(t, all, "/api/v1/alerts?limit=zero", http.StatusBadRequest)
}

// eval and eval_score_lt reach the store's eval filter.
func TestSearchTracesByEvaluation(t *testing.T) {
	fs := seed(t)
	low, high := 0.2, 0.9
	require.NoError(t, fs.PutTraceSummaries(context.Background(), []store.TraceSummary{
		{Repo: "repo1", TraceID: "t1", Name: "chat", Start: t0.Add(3 * time.Minute), Revision: 2,
			Evaluations: []store.EvalVerdict{{Evaluator: "pii", Runs: 1, Failures: 1, MinScore: &low}}},
		{Repo: "repo1", TraceID: "t2", Name: "chat", Start: t0.Add(2 * time.Minute), Revision: 2,
			Evaluations: []store.EvalVerdict{{Evaluator: "pii", Runs: 1, MinScore: &high}, {Evaluator: "relevance", Runs: 1, MinScore: &low}}},
	}))
	srv := newServer(t, fs, []string{"repo1"}, apiOptions{maxPage: 50})
	ids := func(path string) []string {
		var page store.TracePage
		code, _ := get(t, srv, path, &page)
		require.Equal(t, http.StatusOK, code, path)
		var out []string
		for _, r := range page.Traces {
			out = append(out, r.TraceID)
		}
		return out
	}
	assert.Equal(t, []string{"t1"}, ids("/api/v1/traces?eval=pii"))
	assert.Equal(t, []string{"t1"}, ids("/api/v1/traces?eval=pii&eval_score_lt=0.5"))
	assert.Equal(t, []string{"t1", "t2"}, ids("/api/v1/traces?eval=pii&eval_score_lt=1"))
	assert.Equal(t, []string{"t2"}, ids("/api/v1/traces?eval=relevance&eval_score_lt=0.3"))
	assert.Empty(t, ids("/api/v1/traces?eval=relevance"))
	getError(t, srv, "/api/v1/traces?eval_score_lt=0.3", http.StatusBadRequest)

	var page store.TracePage
	get(t, srv, "/api/v1/traces?eval=pii", &page)
	require.Len(t, page.Traces, 1)
	require.Len(t, page.Traces[0].Evaluations, 1, "rows carry their verdicts")
	assert.Equal(t, 1, page.Traces[0].Evaluations[0].Failures)
}
