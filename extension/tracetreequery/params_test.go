package tracetreequery

import (
	"errors"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/otelcol-genai/otelcol-genai/internal/store"
)

// Every parameter error is a 400 naming the parameter.
func TestParseTraceFilterRefusesBadParameters(t *testing.T) {
	for _, raw := range []string{
		"from=yesterday", "to=x", "from=2000&to=1000", "tag=nocolon", "tag=:v",
		"status=ok", "min_duration=-5", "min_duration=soon", "min_cost=-1", "min_cost=NaN", "min_cost=cheap",
		"eval_score_lt=0.5", "eval=pii&eval_score_lt=low", "eval=pii&eval_score_lt=Inf",
	} {
		q, err := url.ParseQuery(raw)
		require.NoError(t, err)
		var tq store.TraceQuery
		err = parseTraceFilter(q, &tq)
		var he *httpError
		require.True(t, errors.As(err, &he), "%s: %v", raw, err)
		assert.Equal(t, http.StatusBadRequest, he.code, raw)
	}
}

func TestParseTraceFilterReadsEveryFilter(t *testing.T) {
	q, err := url.ParseQuery("from=1000&to=2000&session=s&name=n&model=m&tag=a:b&tag=c:d:e&status=error&min_duration=1.5s&min_cost=0.25")
	require.NoError(t, err)
	var tq store.TraceQuery
	require.NoError(t, parseTraceFilter(q, &tq))
	assert.Equal(t, store.TraceQuery{
		From: time.UnixMilli(1000).UTC(), To: time.UnixMilli(2000).UTC(), SessionID: "s", Name: "n", Model: "m",
		Tags: map[string]string{"a": "b", "c": "d:e"}, ErrorOnly: true, MinDuration: 1500 * time.Millisecond, MinCost: 0.25,
	}, tq)
}

func TestParseTraceFilterEval(t *testing.T) {
	var tq store.TraceQuery
	require.NoError(t, parseTraceFilter(url.Values{"eval": {"pii"}}, &tq))
	assert.Equal(t, "pii", tq.Eval)
	assert.Nil(t, tq.EvalScoreBelow, "eval alone: the evaluator failed")
	tq = store.TraceQuery{}
	require.NoError(t, parseTraceFilter(url.Values{"eval": {"relevance"}, "eval_score_lt": {"0.5"}}, &tq))
	require.NotNil(t, tq.EvalScoreBelow)
	assert.Equal(t, 0.5, *tq.EvalScoreBelow)
}

func TestParseLimitAndSort(t *testing.T) {
	n, err := parseLimit("", 50)
	require.NoError(t, err)
	assert.Equal(t, 0, n, "absent: the backend's default")
	n, err = parseLimit("500", 50)
	require.NoError(t, err)
	assert.Equal(t, 50, n, "capped at the server's page limit")
	for _, bad := range []string{"0", "-1", "ten"} {
		_, err = parseLimit(bad, 50)
		assert.Error(t, err, bad)
	}
	s, err := parseTraceSort("cost")
	require.NoError(t, err)
	assert.Equal(t, store.SortCost, s)
	_, err = parseTraceSort("name")
	assert.ErrorContains(t, err, "sort: want start or cost")
}

func TestParseStatsParamsDefaults(t *testing.T) {
	now := time.Date(2026, 1, 2, 15, 0, 0, 0, time.UTC)
	sq := store.StatsQuery{TraceQuery: store.TraceQuery{Repo: "r"}}
	require.NoError(t, parseStatsParams(url.Values{}, now, &sq))
	assert.Equal(t, now, sq.To)
	assert.Equal(t, now.Add(-defaultStatsRange), sq.From)
	assert.Equal(t, defaultStatsStep, sq.Step)

	sq = store.StatsQuery{TraceQuery: store.TraceQuery{Repo: "r"}}
	sq.From = now.Add(time.Hour)
	assert.ErrorContains(t, parseStatsParams(url.Values{}, now, &sq), "from must be in the past")
	sq = store.StatsQuery{TraceQuery: store.TraceQuery{Repo: "r"}}
	assert.ErrorContains(t, parseStatsParams(url.Values{"step": {"often"}}, now, &sq), "step: want a Go duration")
}

func TestParseKind(t *testing.T) {
	k, err := parseKind("generation")
	require.NoError(t, err)
	assert.EqualValues(t, "generation", k)
	_, err = parseKind("planet")
	assert.ErrorContains(t, err, `kind: unknown entity "planet"`)
}
