package tracetreeexporter

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/exporter/exportertest"
	"go.opentelemetry.io/collector/extension/extensiontest"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/otelcol-genai/otelcol-genai/exporter/tracetreeexporter/internal/metadata"
	"github.com/otelcol-genai/otelcol-genai/extension/tracetreestore"
	"github.com/otelcol-genai/otelcol-genai/internal/store"
	"github.com/otelcol-genai/otelcol-genai/internal/store/pebblestore"
	"github.com/otelcol-genai/otelcol-genai/internal/tree"
	"github.com/otelcol-genai/otelcol-genai/pkg/commit"
	"github.com/otelcol-genai/otelcol-genai/pkg/spancommit"
)

type testHost struct {
	exts map[component.ID]component.Component
}

func (h testHost) GetExtensions() map[component.ID]component.Component { return h.exts }

var storeID = component.MustNewID("tracetree_store")

// startStore runs a real tracetree_store extension on Pebble.
func startStore(t *testing.T) testHost {
	t.Helper()
	f := tracetreestore.NewFactory()
	cfg := f.CreateDefaultConfig().(*tracetreestore.Config)
	pc := pebblestore.DefaultConfig()
	pc.Directory = t.TempDir()
	cfg.Backends = map[string]tracetreestore.BackendConfig{"local": {Pebble: &pc}}
	cfg.DefaultBackend = "local"
	ext, err := f.Create(context.Background(), extensiontest.NewNopSettings(f.Type()), cfg)
	require.NoError(t, err)
	host := testHost{exts: map[component.ID]component.Component{storeID: ext}}
	require.NoError(t, ext.Start(context.Background(), host))
	t.Cleanup(func() { require.NoError(t, ext.Shutdown(context.Background())) })
	return host
}

func TestLogsExporterThroughStoreExtension(t *testing.T) {
	host := startStore(t)
	ctx := context.Background()
	f := NewFactory()
	exp, err := f.CreateLogs(ctx, exportertest.NewNopSettings(metadata.Type), f.CreateDefaultConfig())
	require.NoError(t, err)
	require.NoError(t, exp.Start(ctx, host))
	defer func() { require.NoError(t, exp.Shutdown(ctx)) }()

	commits := parse(t, sdkBody)
	require.NoError(t, exp.ConsumeLogs(ctx, commit.LogsFromCommits(commits)))

	// ConsumeLogs returned: the commits are in the store, no waiting.
	st, err := tracetreestore.GetStore(host, storeID, "")
	require.NoError(t, err)
	tr, err := tree.AssembleTrace(ctx, st, commit.NodeRef{Repo: "repo1", Kind: commit.EntityTrace, ID: "t1"})
	require.NoError(t, err)
	assert.Equal(t, len(commits), tr.CommitCount)
	assert.Equal(t, int64(8), tr.Root.Totals.TotalTokens, "the generation's usage is in the tree")

	// The summary index and search follow shortly after.
	assert.Eventually(t, func() bool {
		page, err := st.SearchTraces(ctx, storeQuery("repo1"))
		return err == nil && len(page.Traces) == 1 && page.Traces[0].TraceID == "t1"
	}, 10*time.Second, 20*time.Millisecond)
}

func TestTracesExporterStoresNormalizedSpans(t *testing.T) {
	host := startStore(t)
	ctx := context.Background()
	f := NewFactory()
	exp, err := f.CreateTraces(ctx, exportertest.NewNopSettings(metadata.Type), f.CreateDefaultConfig())
	require.NoError(t, err)
	require.NoError(t, exp.Start(ctx, host))
	defer func() { require.NoError(t, exp.Shutdown(ctx)) }()

	traceID := pcommon.TraceID{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16}
	start := time.Date(2026, 11, 22, 8, 0, 0, 0, time.UTC)
	td := ptrace.NewTraces()
	spans := td.ResourceSpans().AppendEmpty().ScopeSpans().AppendEmpty().Spans()
	root := spans.AppendEmpty()
	root.SetTraceID(traceID)
	root.SetSpanID(pcommon.SpanID{1})
	root.SetName("agent turn")
	root.SetStartTimestamp(pcommon.NewTimestampFromTime(start))
	root.SetEndTimestamp(pcommon.NewTimestampFromTime(start.Add(2 * time.Second)))
	root.Attributes().PutBool(spancommit.AttrNormalized, true)
	root.Attributes().PutStr(spancommit.AttrKind, spancommit.KindSpan)
	root.Attributes().PutStr(spancommit.AttrRepo, "repo1")
	gen := spans.AppendEmpty()
	gen.SetTraceID(traceID)
	gen.SetSpanID(pcommon.SpanID{2})
	gen.SetParentSpanID(pcommon.SpanID{1})
	gen.SetName("chat gpt-4o")
	gen.SetStartTimestamp(pcommon.NewTimestampFromTime(start.Add(time.Second)))
	gen.SetEndTimestamp(pcommon.NewTimestampFromTime(start.Add(1500 * time.Millisecond)))
	gen.Attributes().PutBool(spancommit.AttrNormalized, true)
	gen.Attributes().PutStr(spancommit.AttrKind, spancommit.KindGeneration)
	gen.Attributes().PutStr(spancommit.AttrRepo, "repo1")
	gen.Attributes().PutStr(spancommit.AttrModel, "gpt-4o")
	gen.Attributes().PutInt(spancommit.AttrUsageInput, 10)
	gen.Attributes().PutInt(spancommit.AttrUsageOutput, 4)
	gen.Attributes().PutInt(spancommit.AttrUsageTotal, 14)

	require.NoError(t, exp.ConsumeTraces(ctx, td))

	st, err := tracetreestore.GetStore(host, storeID, "")
	require.NoError(t, err)
	tr, err := tree.AssembleTrace(ctx, st, commit.NodeRef{Repo: "repo1", Kind: commit.EntityTrace, ID: traceID.String()})
	require.NoError(t, err)
	assert.Equal(t, 1, tr.Root.Totals.Counts[string(commit.EntityGeneration)], "one generation under the trace")
	assert.Equal(t, int64(14), tr.Root.Totals.TotalTokens)
	var models []string
	tree.Walk(tr.Root, func(n *tree.TreeNode) {
		if n.Kind == commit.EntityGeneration {
			models = append(models, n.Model)
		}
	})
	assert.Equal(t, []string{"gpt-4o"}, models)
}

func TestStartFailsWithoutStoreExtension(t *testing.T) {
	ctx := context.Background()
	f := NewFactory()
	exp, err := f.CreateLogs(ctx, exportertest.NewNopSettings(metadata.Type), f.CreateDefaultConfig())
	require.NoError(t, err)
	err = exp.Start(ctx, testHost{exts: map[component.ID]component.Component{}})
	require.Error(t, err)
	assert.ErrorContains(t, err, "tracetree_store")

	host := startStore(t)
	cfg := f.CreateDefaultConfig().(*Config)
	cfg.Backend = "nope"
	exp, err = f.CreateLogs(ctx, exportertest.NewNopSettings(metadata.Type), cfg)
	require.NoError(t, err)
	assert.ErrorContains(t, exp.Start(ctx, host), "nope")
}

func storeQuery(repo string) store.TraceQuery { return store.TraceQuery{Repo: repo} }
