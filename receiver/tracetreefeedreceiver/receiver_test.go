package tracetreefeedreceiver

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/extension"
	"go.opentelemetry.io/collector/extension/extensiontest"
	"go.opentelemetry.io/collector/receiver/receivertest"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"

	"github.com/otelcol-genai/otelcol-genai/extension/tracetreestore"
	"github.com/otelcol-genai/otelcol-genai/internal/store/pebblestore"
	"github.com/otelcol-genai/otelcol-genai/internal/tree"
	"github.com/otelcol-genai/otelcol-genai/pkg/commit"
	"github.com/otelcol-genai/otelcol-genai/receiver/tracetreefeedreceiver/internal/metadata"
)

type host struct {
	exts map[component.ID]component.Component
}

func (h host) GetExtensions() map[component.ID]component.Component { return h.exts }

var storeID = component.MustNewID("tracetree_store")

// startStore runs the real tracetree_store extension on a Pebble directory.
func startStore(t *testing.T, dir string) (extension.Extension, host) {
	t.Helper()
	f := tracetreestore.NewFactory()
	cfg := f.CreateDefaultConfig().(*tracetreestore.Config)
	p := pebblestore.DefaultConfig()
	p.Directory = dir
	cfg.Backends = map[string]tracetreestore.BackendConfig{"main": {Pebble: &p}}
	require.NoError(t, cfg.Validate())
	ext, err := f.Create(context.Background(), extensiontest.NewNopSettings(f.Type()), cfg)
	require.NoError(t, err)
	h := host{exts: map[component.ID]component.Component{storeID: ext}}
	require.NoError(t, ext.Start(context.Background(), h))
	return ext, h
}

func pushTo(t *testing.T, h host, body string) {
	t.Helper()
	st, err := tracetreestore.GetStore(h, storeID, "")
	require.NoError(t, err)
	cs, errs := commit.ParseBody(repo, []byte(body), commit.NewVersioner())
	require.Empty(t, errs)
	require.NoError(t, st.Apply(context.Background(), cs, tree.EdgesOfAll(cs)))
}

// TestReceiverLifecycleAcrossRestart runs the component against the real
// store extension on Pebble: spans arrive through the live feed, and after a
// restart of both (same directory) only new traces are emitted.
func TestReceiverLifecycleAcrossRestart(t *testing.T) {
	dir := t.TempDir()
	tel := componenttest.NewTelemetry()
	t.Cleanup(func() { require.NoError(t, tel.Shutdown(context.Background())) })

	run := func(sink *consumertest.TracesSink, body string, want int) {
		ext, h := startStore(t, dir)
		cfg := createDefaultConfig().(*Config)
		cfg.QuietPeriod = 50 * time.Millisecond
		cfg.PollInterval = time.Hour
		set := receivertest.NewNopSettings(metadata.Type)
		set.TelemetrySettings = tel.NewTelemetrySettings()
		rcv, err := NewFactory().CreateTraces(context.Background(), set, cfg, sink)
		require.NoError(t, err)
		require.NoError(t, rcv.Start(context.Background(), h))
		pushTo(t, h, body)
		// Done when the spans arrived and nothing is pending any more: with
		// no trace waiting, nothing more can be emitted.
		require.Eventually(t, func() bool { return sink.SpanCount() >= want && pendingTraces(t, tel) == 0 }, 10*time.Second, 10*time.Millisecond)
		require.NoError(t, rcv.Shutdown(context.Background()))
		require.NoError(t, ext.Shutdown(context.Background()))
		assert.Equal(t, want, sink.SpanCount())
	}

	first := new(consumertest.TracesSink)
	run(first, sdkSession, 4)
	second := new(consumertest.TracesSink)
	run(second, `trace{id=trace-two,action=create,data={"name":"turn-2"}}
trace{id=trace-two,action=end,data={"endTimestamp":"2026-11-22T08:01:01.000Z"}}`, 1)
	sp := second.AllTraces()[0].ResourceSpans().At(0).ScopeSpans().At(0).Spans().At(0)
	assert.Equal(t, "turn-2", sp.Name())

	m, err := tel.GetMetric("otelcol_tracetree_feed_spans_emitted")
	require.NoError(t, err)
	sum := m.Data.(metricdata.Sum[int64])
	require.Len(t, sum.DataPoints, 1)
	assert.Equal(t, int64(5), sum.DataPoints[0].Value)
}

// pendingTraces reads the pending gauge (0 before it was ever recorded).
func pendingTraces(t *testing.T, tel *componenttest.Telemetry) int64 {
	t.Helper()
	m, err := tel.GetMetric("otelcol_tracetree_feed_pending_traces")
	if err != nil {
		return 0
	}
	var n int64
	for _, dp := range m.Data.(metricdata.Sum[int64]).DataPoints {
		n += dp.Value
	}
	return n
}

func TestReceiverStartFailsWithoutStore(t *testing.T) {
	cfg := createDefaultConfig().(*Config)
	rcv, err := NewFactory().CreateTraces(context.Background(), receivertest.NewNopSettings(metadata.Type), cfg, consumertest.NewNop())
	require.NoError(t, err)
	err = rcv.Start(context.Background(), host{exts: map[component.ID]component.Component{}})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "tracetree_store")
	assert.NoError(t, rcv.Shutdown(context.Background()))
}
