package tracetreequery

import (
	"context"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/otelcol-genai/otelcol-genai/internal/store"
)

func seedStats(t *testing.T) *feedStore {
	t.Helper()
	fs := newFeedStore()
	rows := []store.TraceSummary{{
		Repo: "repo1", TraceID: "a", Name: "chat", Start: t0.Add(10 * time.Minute), End: t0.Add(10*time.Minute + 2*time.Second),
		DurationMs: 2000, Tags: map[string]string{"env": "prod"}, Models: []string{"gpt-4o"}, Revision: 1,
		Generations: []store.GenerationRow{
			{ID: "g1", Start: t0.Add(10 * time.Minute), Model: "gpt-4o", Generation: true, Leaf: true, InputTokens: 10, OutputTokens: 20, Cost: 0.25, DurationMs: 800},
			{ID: "g2", Start: t0.Add(70 * time.Minute), Model: "claude", Generation: true, Leaf: true, InputTokens: 1, OutputTokens: 2, Unpriced: true, DurationMs: 100, Error: true},
		},
	}, {
		Repo: "repo1", TraceID: "b", Name: "rag", Start: t0.Add(80 * time.Minute), Error: true, Revision: 1,
		Generations: []store.GenerationRow{{ID: "g3", Start: t0.Add(80 * time.Minute), Model: "gpt-4o", Generation: true, Leaf: true, InputTokens: 5, OutputTokens: 5, Cost: 0.5, DurationMs: -1}},
	}, {
		Repo: "repo2", TraceID: "x", Name: "secret", Start: t0.Add(10 * time.Minute), Revision: 1,
		Generations: []store.GenerationRow{{ID: "g", Start: t0.Add(10 * time.Minute), Model: "gpt-4o", Generation: true, Leaf: true, InputTokens: 1000, DurationMs: 1}},
	}}
	require.NoError(t, fs.PutTraceSummaries(context.Background(), rows))
	return fs
}

func statsURL(params ...string) string {
	v := url.Values{}
	for i := 0; i+1 < len(params); i += 2 {
		v.Add(params[i], params[i+1])
	}
	return "/api/v1/stats?" + v.Encode()
}

var statsRange = []string{"repo", "repo1", "from", t0.Format(time.RFC3339), "to", t0.Add(3 * time.Hour).Format(time.RFC3339)}

func TestStatsUngrouped(t *testing.T) {
	srv := newServer(t, seedStats(t), nil, apiOptions{})
	var got statsResponse
	code, _ := get(t, srv, statsURL(append(statsRange, "step", "1h")...), &got)
	require.Equal(t, http.StatusOK, code)
	assert.Equal(t, "1h", got.Step)
	assert.Equal(t, "", got.By)
	assert.True(t, got.From.Equal(t0) && got.To.Equal(t0.Add(3*time.Hour)), "%s..%s", got.From, got.To)
	require.Len(t, got.Groups, 1)
	g := got.Groups[0]
	assert.Equal(t, "", g.Key)
	require.Len(t, g.Buckets, 3)
	assert.Equal(t, int64(2), g.Totals.Traces)
	assert.Equal(t, int64(1), g.Totals.ErrorTraces)
	assert.Equal(t, int64(3), g.Totals.Generations)
	assert.Equal(t, int64(16), g.Totals.InputTokens)
	assert.InDelta(t, 0.75, g.Totals.Cost, 1e-9)
	assert.Equal(t, int64(1), g.Totals.UnpricedGenerations)
	assert.Equal(t, int64(1), g.Buckets[0].Traces)
	assert.Equal(t, int64(2), g.Buckets[1].Generations)
	assert.Equal(t, int64(0), g.Buckets[2].Traces)
	require.NotNil(t, g.Buckets[0].TraceLatencyMs)
	assert.InEpsilon(t, 2000, g.Buckets[0].TraceLatencyMs.P50, 0.01)
	assert.Nil(t, g.Buckets[1].TraceLatencyMs, "trace b is open")
	assert.Nil(t, g.Buckets[2].GenerationLatencyMs)

	// A 30-minute step and a filter scan rows instead of rollups.
	code, _ = get(t, srv, statsURL(append(statsRange, "step", "30m", "status", "error")...), &got)
	require.Equal(t, http.StatusOK, code)
	assert.Equal(t, "30m", got.Step)
	require.Len(t, got.Groups[0].Buckets, 6)
	assert.Equal(t, int64(1), got.Groups[0].Totals.Traces)
	assert.Equal(t, int64(1), got.Groups[0].Buckets[2].Traces)
}

func TestStatsGrouped(t *testing.T) {
	srv := newServer(t, seedStats(t), nil, apiOptions{})
	var got statsResponse
	code, _ := get(t, srv, statsURL(append(statsRange, "step", "1h", "by", "model")...), &got)
	require.Equal(t, http.StatusOK, code)
	assert.Equal(t, "model", got.By)
	require.Len(t, got.Groups, 2)
	assert.Equal(t, "claude", got.Groups[0].Key)
	assert.Equal(t, "gpt-4o", got.Groups[1].Key)
	gpt := got.Groups[1].Totals
	assert.Equal(t, int64(2), gpt.Traces)
	assert.Equal(t, int64(2), gpt.Generations)
	assert.Equal(t, int64(15), gpt.InputTokens)
	assert.Equal(t, int64(1), got.Groups[0].Totals.ErrorGenerations)

	code, _ = get(t, srv, statsURL(append(statsRange, "by", "tag:env")...), &got)
	require.Equal(t, http.StatusOK, code)
	require.Len(t, got.Groups, 2)
	assert.Equal(t, "", got.Groups[0].Key, "traces without the tag")
	assert.Equal(t, "prod", got.Groups[1].Key)

	code, _ = get(t, srv, statsURL(append(statsRange, "by", "name", "tag", "env:prod")...), &got)
	require.Equal(t, http.StatusOK, code)
	require.Len(t, got.Groups, 1)
	assert.Equal(t, "chat", got.Groups[0].Key)
}

func TestStatsBadRequests(t *testing.T) {
	srv := newServer(t, seedStats(t), nil, apiOptions{})
	for name, u := range map[string]string{
		"step below 1m":   statsURL(append(statsRange, "step", "30s")...),
		"step not a dur":  statsURL(append(statsRange, "step", "hourly")...),
		"negative step":   statsURL(append(statsRange, "step", "-1h")...),
		"unknown by":      statsURL(append(statsRange, "by", "color")...),
		"empty tag key":   statsURL(append(statsRange, "by", "tag:")...),
		"too many":        statsURL("repo", "repo1", "from", t0.Format(time.RFC3339), "to", t0.Add(30*24*time.Hour).Format(time.RFC3339), "step", "1m"),
		"to before from":  statsURL("repo", "repo1", "from", t0.Format(time.RFC3339), "to", t0.Add(-time.Hour).Format(time.RFC3339)),
		"bad from":        statsURL("repo", "repo1", "from", "yesterday"),
		"bad tag filter":  statsURL(append(statsRange, "tag", "novalue")...),
		"bad status":      statsURL(append(statsRange, "status", "ok")...),
		"repo not chosen": statsURL("from", t0.Format(time.RFC3339)),
	} {
		var e apiError
		code, _ := get(t, srv, u, &e)
		assert.Equal(t, http.StatusBadRequest, code, "%s: %s", name, e.Message)
	}
}

func TestStatsAuth(t *testing.T) {
	srv := newServer(t, seedStats(t), []string{"repo1"}, apiOptions{authEnabled: true})
	var e apiError
	code, _ := get(t, srv, statsURL("repo", "repo2", "from", t0.Format(time.RFC3339), "to", t0.Add(time.Hour).Format(time.RFC3339)), &e)
	assert.Equal(t, http.StatusForbidden, code)

	// The key's only repository is the default.
	var got statsResponse
	code, _ = get(t, srv, statsURL("from", t0.Format(time.RFC3339), "to", t0.Add(time.Hour).Format(time.RFC3339)), &got)
	require.Equal(t, http.StatusOK, code)
	assert.Equal(t, int64(10), got.Groups[0].Totals.InputTokens, "repo2's tokens must not leak in")
}

// by=repo: one group per repository, each exactly its ungrouped answer,
// and a repository the key may not read refused as it is alone.
func TestStatsByRepo(t *testing.T) {
	rng := []string{"from", t0.Format(time.RFC3339), "to", t0.Add(3 * time.Hour).Format(time.RFC3339), "step", "1h", "by", "repo"}
	all := newServer(t, seedStats(t), []string{"*"}, apiOptions{authEnabled: true})
	var got statsResponse
	code, _ := get(t, all, statsURL(append([]string{"repo", "repo1", "repo", "repo2"}, rng...)...), &got)
	require.Equal(t, http.StatusOK, code)
	assert.Equal(t, "repo", got.By)
	require.Len(t, got.Groups, 2)
	assert.Equal(t, "repo1", got.Groups[0].Key)
	assert.Equal(t, int64(16), got.Groups[0].Totals.InputTokens)
	assert.Equal(t, int64(2), got.Groups[0].Totals.Traces)
	assert.Equal(t, "repo2", got.Groups[1].Key)
	assert.Equal(t, int64(1000), got.Groups[1].Totals.InputTokens)

	var e apiError
	code, _ = get(t, all, statsURL(rng...), &e)
	assert.Equal(t, http.StatusBadRequest, code, "a key for every repository must name them: %s", e.Message)

	one := newServer(t, seedStats(t), []string{"repo1"}, apiOptions{authEnabled: true})
	code, _ = get(t, one, statsURL(rng...), &got)
	require.Equal(t, http.StatusOK, code)
	require.Len(t, got.Groups, 1)
	assert.Equal(t, "repo1", got.Groups[0].Key)
	code, _ = get(t, one, statsURL(append([]string{"repo", "repo1", "repo", "repo2"}, rng...)...), &e)
	assert.Equal(t, http.StatusForbidden, code)
}
