package genaimetricsconnector

import (
	"context"
	"sort"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/connector/connectortest"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/pmetric"

	"github.com/otelcol-genai/otelcol-genai/pkg/commit"
)

func evalLogs(t *testing.T, repo string, lines ...string) []commit.Commit {
	t.Helper()
	cs, errs := commit.ParseBody(repo, []byte(strings.Join(lines, "\n")), commit.NewVersioner())
	require.Empty(t, errs)
	return cs
}

func attrsKey(m pcommon.Map) string {
	var parts []string
	m.Range(func(k string, v pcommon.Value) bool {
		parts = append(parts, k+"="+v.AsString())
		return true
	})
	sort.Strings(parts)
	return strings.Join(parts, ",")
}

// Verdicts among the commits of a logs pipeline become a count per
// evaluator and result and a score histogram; requests and other commits
// are not counted.
func TestEvaluationMetrics(t *testing.T) {
	c, sink := newTestConnector(t, nil)
	cs := evalLogs(t, "r1",
		`generation{id=g1,action=evaluate,data={"with":"result","evaluator":"pii","score":0,"pass":false,"reason":"email"}}`,
		`generation{id=g2,action=evaluate,data={"with":"result","evaluator":"pii","score":1,"pass":true}}`,
		`generation{id=g3,action=evaluate,data={"with":"result","evaluator":"pii","score":1,"pass":true}}`,
		`trace{id=t1,action=evaluate,data={"with":"result","evaluator":"relevance","error":"judge: 3 attempts: status 500"}}`,
		`generation{id=g1,action=evaluate,data={"with":"evaluators","evaluators":["pii"]}}`,
		`generation{id=g1,action=result,data={"result":{}}}`,
	)
	require.NoError(t, c.ConsumeLogs(context.Background(), commit.LogsFromCommits(cs)))
	c.flush(context.Background())
	require.Len(t, sink.AllMetrics(), 1)
	counts := map[string]int64{}
	var score pmetric.HistogramDataPoint
	ms := sink.AllMetrics()[0].ResourceMetrics().At(0).ScopeMetrics().At(0).Metrics()
	for i := 0; i < ms.Len(); i++ {
		m := ms.At(i)
		switch m.Name() {
		case MetricEvaluations:
			for j := 0; j < m.Sum().DataPoints().Len(); j++ {
				dp := m.Sum().DataPoints().At(j)
				counts[attrsKey(dp.Attributes())] = dp.IntValue()
			}
		case MetricEvaluationScore:
			require.Equal(t, 1, m.Histogram().DataPoints().Len(), "scores of pii only: the errored verdict has none")
			score = m.Histogram().DataPoints().At(0)
		default:
			t.Errorf("unexpected metric %s from commits", m.Name())
		}
	}
	assert.Equal(t, map[string]int64{
		"genai.evaluation.result=fail,genai.evaluator.name=pii,maxim.entity.kind=generation,maxim.repo.id=r1":   1,
		"genai.evaluation.result=pass,genai.evaluator.name=pii,maxim.entity.kind=generation,maxim.repo.id=r1":   2,
		"genai.evaluation.result=error,genai.evaluator.name=relevance,maxim.entity.kind=trace,maxim.repo.id=r1": 1,
	}, counts)
	assert.Equal(t, uint64(3), score.Count())
	assert.Equal(t, 2.0, score.Sum())
	assert.Equal(t, []uint64{1, 0, 0, 0, 0, 0, 0, 0, 0, 2, 0}, score.BucketCounts().AsRaw())
}

// The factory offers the logs → metrics route.
func TestFactoryLogsToMetrics(t *testing.T) {
	f := NewFactory()
	conn, err := f.CreateLogsToMetrics(context.Background(), connectortest.NewNopSettings(f.Type()), f.CreateDefaultConfig(), &consumertest.MetricsSink{})
	require.NoError(t, err)
	require.NotNil(t, conn)
}
