package tracetreeexporter

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/consumer/consumererror"
	"go.opentelemetry.io/collector/exporter/exportertest"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/otelcol-genai/otelcol-genai/exporter/tracetreeexporter/internal/metadata"
	"github.com/otelcol-genai/otelcol-genai/internal/store"
	"github.com/otelcol-genai/otelcol-genai/internal/store/memstore"
	"github.com/otelcol-genai/otelcol-genai/pkg/commit"
)

const sdkBody = `trace{id=t1,action=create,data={"name":"chat","tags":{},"startTimestamp":"2026-11-22T08:33:49.664Z","sessionId":"s1"}}
trace{id=t1,action=add-span,data={"id":"sp1","name":"retrieve","tags":{},"startTimestamp":"2026-11-22T08:33:49.700Z"}}
span{id=sp1,action=add-generation,data={"id":"g1","messages":[{"role":"user","content":"hi"}],"provider":"openai","model":"gpt-4o","modelParameters":{},"tags":{},"startTimestamp":"2026-11-22T08:33:49.710Z"}}
generation{id=g1,action=result,data={"result":{"id":"r1","object":"chat.completion","created":1,"model":"gpt-4o","choices":[],"usage":{"prompt_tokens":3,"completion_tokens":5,"total_tokens":8}}}}
trace{id=t1,action=end,data={"endTimestamp":"2026-11-22T08:33:50.000Z"}}
`

func parse(t testing.TB, body string) []commit.Commit {
	t.Helper()
	cs, errs := commit.ParseBody("repo1", []byte(body), commit.NewVersioner())
	require.Empty(t, errs)
	return cs
}

// flakyBackend fails Apply while fail is set.
type flakyBackend struct {
	*memstore.Store
	fail bool
}

func (f *flakyBackend) Apply(ctx context.Context, cs []commit.Commit, es []store.Edge) error {
	if f.fail {
		return errors.New("disk on fire")
	}
	return f.Store.Apply(ctx, cs, es)
}

func newTestExporter(t *testing.T, backend store.Backend) (*storeExporter, *componenttest.Telemetry) {
	t.Helper()
	tt := componenttest.NewTelemetry()
	t.Cleanup(func() { _ = tt.Shutdown(context.Background()) })
	set := exportertest.NewNopSettings(metadata.Type)
	set.TelemetrySettings = tt.NewTelemetrySettings()
	e, err := newStoreExporter(createDefaultConfig().(*Config), set)
	require.NoError(t, err)
	e.store = backend
	return e, tt
}

func sumOf(t *testing.T, tt *componenttest.Telemetry, name string, reason string) int64 {
	t.Helper()
	m, err := tt.GetMetric(name)
	require.NoError(t, err)
	var total int64
	for _, dp := range m.Data.(metricdata.Sum[int64]).DataPoints {
		if reason != "" {
			v, _ := dp.Attributes.Value("reason")
			if v.AsString() != reason {
				continue
			}
		}
		total += dp.Value
	}
	return total
}

func TestPushLogsWritesCommitsAndEdges(t *testing.T) {
	ms := memstore.New()
	e, tt := newTestExporter(t, ms)
	commits := parse(t, sdkBody)

	require.NoError(t, e.pushLogs(context.Background(), commit.LogsFromCommits(commits)))

	ctx := context.Background()
	trace := commit.NodeRef{Repo: "repo1", Kind: commit.EntityTrace, ID: "t1"}
	span := commit.NodeRef{Repo: "repo1", Kind: commit.EntitySpan, ID: "sp1"}
	gen := commit.NodeRef{Repo: "repo1", Kind: commit.EntityGeneration, ID: "g1"}
	sets, err := ms.Commits(ctx, []commit.NodeRef{trace, span, gen})
	require.NoError(t, err)
	assert.Len(t, sets[trace], 3)
	assert.Len(t, sets[span], 1)
	assert.Len(t, sets[gen], 1)
	// The stored commits are exactly the ones sent, ids and versions included.
	assert.Equal(t, commits[3].ID, sets[gen][0].ID)
	assert.Equal(t, commits[3].Version, sets[gen][0].Version)

	kids, err := ms.Children(ctx, []commit.NodeRef{trace, span})
	require.NoError(t, err)
	assert.Equal(t, []commit.NodeRef{span}, kids[trace])
	assert.Equal(t, []commit.NodeRef{gen}, kids[span])
	parents, err := ms.Parents(ctx, []commit.NodeRef{trace})
	require.NoError(t, err)
	assert.Equal(t, []commit.NodeRef{{Repo: "repo1", Kind: commit.EntitySession, ID: "s1"}}, parents[trace])

	assert.Equal(t, int64(len(commits)), sumOf(t, tt, "otelcol_tracetree_commits_written", ""))

	// A replay of the same batch is a no-op for the store.
	require.NoError(t, e.pushLogs(ctx, commit.LogsFromCommits(commits)))
	sets, err = ms.Commits(ctx, []commit.NodeRef{trace})
	require.NoError(t, err)
	assert.Len(t, sets[trace], 3)
}

func TestPushLogsMalformedRecordsArePermanentButGoodOnesLand(t *testing.T) {
	ms := memstore.New()
	e, tt := newTestExporter(t, ms)
	commits := parse(t, sdkBody)
	ld := commit.LogsFromCommits(commits)
	recs := ld.ResourceLogs().At(0).ScopeLogs().At(0).LogRecords()
	// Two records that are not commits: no entity, and a body that is not JSON.
	recs.AppendEmpty().Body().SetStr("hello")
	bad := recs.AppendEmpty()
	recs.At(0).Attributes().CopyTo(bad.Attributes())
	bad.Body().SetStr("{not json")

	err := e.pushLogs(context.Background(), ld)
	require.Error(t, err)
	assert.True(t, consumererror.IsPermanent(err), "malformed records must not be retried: %v", err)
	assert.ErrorContains(t, err, "2 malformed")
	// The client's own input: the receivers turn InvalidArgument into 400.
	st, ok := status.FromError(err)
	assert.True(t, ok && st.Code() == codes.InvalidArgument, "malformed records must be the client's error (InvalidArgument), got %v", err)

	sets, err := ms.Commits(context.Background(), []commit.NodeRef{{Repo: "repo1", Kind: commit.EntityTrace, ID: "t1"}})
	require.NoError(t, err)
	var n int
	for _, s := range sets {
		n += len(s)
	}
	assert.Equal(t, 3, n, "the good commits of the batch are stored")
	assert.Equal(t, int64(2), sumOf(t, tt, "otelcol_tracetree_commits_failed", "malformed"))
	assert.Equal(t, int64(len(commits)), sumOf(t, tt, "otelcol_tracetree_commits_written", ""))
}

// TestPushLogsRefusesUnreadableIDs: a commit that reaches the exporter by a
// path that did not check its ids (a hand-made OTLP log record, an older
// agent) and names a node by an id no reader could use is dropped and
// counted like a malformed record; the rest of the batch and its edges land.
func TestPushLogsRefusesUnreadableIDs(t *testing.T) {
	ms := memstore.New()
	e, tt := newTestExporter(t, ms)
	commits := parse(t, sdkBody)
	long := strings.Repeat("s", commit.MaxIDLen+1)
	for _, d := range []string{`{"sessionId":"` + long + `"}`, `{"id":"sp\u0000"}`} {
		c := commit.Commit{Repo: "repo1", Entity: commit.EntityTrace, EntityID: "t1", Action: commit.ActionUpdate, Data: []byte(d), Version: 99}
		if d[2] == 'i' {
			c.Action = commit.ActionAddSpan
		}
		c.Seal()
		commits = append(commits, c)
	}

	err := e.pushLogs(context.Background(), commit.LogsFromCommits(commits))
	require.Error(t, err)
	assert.True(t, consumererror.IsPermanent(err), "%v", err)
	assert.ErrorContains(t, err, "2 malformed")
	assert.ErrorContains(t, err, "trace update: data names a session: entity id is 513 bytes")
	assert.ErrorContains(t, err, "trace add-span: data names a span: entity id")

	ctx := context.Background()
	trace := commit.NodeRef{Repo: "repo1", Kind: commit.EntityTrace, ID: "t1"}
	sets, err := ms.Commits(ctx, []commit.NodeRef{trace})
	require.NoError(t, err)
	assert.Len(t, sets[trace], 3, "the good commits of the batch are stored")
	session := commit.NodeRef{Repo: "repo1", Kind: commit.EntitySession, ID: "s1"}
	unreadable := commit.NodeRef{Repo: "repo1", Kind: commit.EntitySession, ID: long}
	kids, err := ms.Children(ctx, []commit.NodeRef{trace, session, unreadable})
	require.NoError(t, err)
	assert.Len(t, kids[trace], 1, "no edge to the span with a NUL in its id")
	assert.Equal(t, []commit.NodeRef{trace}, kids[session])
	assert.Empty(t, kids[unreadable], "no edge from the unreadable session")
	assert.Equal(t, int64(2), sumOf(t, tt, "otelcol_tracetree_commits_failed", "malformed"))
	assert.Equal(t, int64(len(commits)-2), sumOf(t, tt, "otelcol_tracetree_commits_written", ""))
}

func TestPushLogsStoreFailureIsRetryable(t *testing.T) {
	fb := &flakyBackend{Store: memstore.New(), fail: true}
	e, tt := newTestExporter(t, fb)
	ld := commit.LogsFromCommits(parse(t, sdkBody))

	err := e.pushLogs(context.Background(), ld)
	require.Error(t, err)
	assert.False(t, consumererror.IsPermanent(err), "a store failure must be retried")
	assert.Equal(t, int64(5), sumOf(t, tt, "otelcol_tracetree_commits_failed", "store"))

	fb.fail = false
	require.NoError(t, e.pushLogs(context.Background(), ld))
	nodes, commits := fb.Len()
	assert.Equal(t, 3, nodes)
	assert.Equal(t, 5, commits)
}

func TestPushBeforeStartFails(t *testing.T) {
	e, _ := newTestExporter(t, nil)
	e.store = nil
	assert.Error(t, e.pushLogs(context.Background(), plog.NewLogs()))
}
