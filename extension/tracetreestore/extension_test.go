package tracetreestore

import (
	"context"
	"encoding/json"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/extension/extensiontest"
	"go.opentelemetry.io/collector/extension/xextension/storage"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"

	"github.com/otelcol-genai/otelcol-genai/extension/tracetreestore/internal/metadata"
	"github.com/otelcol-genai/otelcol-genai/internal/pricing"
	"github.com/otelcol-genai/otelcol-genai/internal/store"
	"github.com/otelcol-genai/otelcol-genai/internal/store/memstore"
	"github.com/otelcol-genai/otelcol-genai/internal/store/pebblestore"
	"github.com/otelcol-genai/otelcol-genai/internal/tree"
	"github.com/otelcol-genai/otelcol-genai/pkg/commit"
)

type host struct {
	exts map[component.ID]component.Component
}

func (h host) GetExtensions() map[component.ID]component.Component { return h.exts }

var extID = component.MustNewID("tracetree_store")

func pebbleConfig(t *testing.T, dirs ...string) *Config {
	cfg := NewFactory().CreateDefaultConfig().(*Config)
	names := []string{"main", "second"}
	for i, d := range dirs {
		p := pebblestore.DefaultConfig()
		p.Directory = d
		cfg.Backends[names[i]] = BackendConfig{Pebble: &p}
	}
	if len(dirs) > 1 {
		cfg.DefaultBackend = "main"
	}
	cfg.Indexer.Debounce = time.Millisecond
	require.NoError(t, cfg.Validate())
	return cfg
}

func startExtension(t *testing.T, cfg *Config, tel *componenttest.Telemetry) (*storeExtension, component.Host) {
	t.Helper()
	set := extensiontest.NewNopSettings(metadata.Type)
	if tel != nil {
		set.TelemetrySettings = tel.NewTelemetrySettings()
	}
	ext, err := NewFactory().Create(context.Background(), set, cfg)
	require.NoError(t, err)
	h := host{exts: map[component.ID]component.Component{extID: ext, component.MustNewID("other"): nopComponent{}}}
	require.NoError(t, ext.Start(context.Background(), h))
	return ext.(*storeExtension), h
}

func sdkCommits() []commit.Commit {
	mk := func(e commit.Entity, id string, a commit.Action, data string, v int64) commit.Commit {
		c := commit.Commit{Repo: "repo-1", Entity: e, EntityID: id, Action: a, Data: json.RawMessage(data), Version: v}
		c.Seal()
		return c
	}
	now := time.Now().UnixNano()
	return []commit.Commit{
		mk(commit.EntityTrace, "t1", commit.ActionCreate, `{"id":"t1","name":"checkout","sessionId":"s1"}`, now),
		mk(commit.EntityTrace, "t1", commit.ActionAddSpan, `{"id":"sp1","name":"plan"}`, now+1),
		mk(commit.EntitySpan, "sp1", commit.ActionAddGeneration, `{"id":"g1","model":"gpt-4o","provider":"openai","messages":[]}`, now+2),
	}
}

func TestStoreLifecycleAndGetStore(t *testing.T) {
	ctx := context.Background()
	dirA, dirB := t.TempDir(), t.TempDir()
	tel := componenttest.NewTelemetry()
	defer tel.Shutdown(ctx)
	ext, h := startExtension(t, pebbleConfig(t, dirA, dirB), tel)

	s, err := GetStore(h, extID, "")
	require.NoError(t, err)
	named, err := GetStore(h, extID, "main")
	require.NoError(t, err)
	assert.Same(t, s, named, "empty backend name is the default backend")
	second, err := GetStore(h, component.ID{}, "second")
	require.NoError(t, err, "a zero id finds the extension by type")
	assert.NotSame(t, s, second)
	_, err = GetStore(h, extID, "missing")
	assert.ErrorContains(t, err, `no backend named "missing"`)
	_, err = GetStore(h, component.MustNewIDWithName("tracetree_store", "absent"), "")
	assert.ErrorContains(t, err, "cannot find extension")
	_, err = GetStore(h, component.MustNewID("other"), "")
	assert.ErrorContains(t, err, "is not a tracetree_store extension")

	changes, cancel := s.Subscribe(ctx, "repo-1")
	defer cancel()
	cs := sdkCommits()
	require.NoError(t, s.Apply(ctx, cs, tree.EdgesOfAll(cs)))
	// A pass announces its trace rows and its session rows in separate
	// changes (traces first, so small traces are never held back by
	// sessions): read until both were named.
	var traces, sessions []string
	for deadline := time.After(10 * time.Second); !slices.Contains(traces, "t1") || !slices.Contains(sessions, "s1"); {
		select {
		case c := <-changes:
			assert.Equal(t, "repo-1", c.Repo)
			traces, sessions = append(traces, c.Traces...), append(sessions, c.Sessions...)
		case <-deadline:
			t.Fatalf("the live feed named traces %v and sessions %v after Apply, want t1 and s1", traces, sessions)
		}
	}
	require.Eventually(t, func() bool {
		p, err := s.SearchTraces(ctx, store.TraceQuery{Repo: "repo-1"})
		return err == nil && len(p.Traces) == 1 && p.Traces[0].Name == "checkout" && len(p.Traces[0].Models) == 1
	}, 10*time.Second, 10*time.Millisecond, "summary indexed by the extension's indexer")

	// Internal telemetry through the collector's MeterProvider.
	m, err := tel.GetMetric("otelcol_tracetree_store_commits_applied")
	require.NoError(t, err)
	sum := m.Data.(metricdata.Sum[int64])
	require.Len(t, sum.DataPoints, 1)
	assert.Equal(t, int64(len(cs)), sum.DataPoints[0].Value)
	backend, _ := sum.DataPoints[0].Attributes.Value("backend")
	assert.Equal(t, "main", backend.AsString())
	_, err = tel.GetMetric("otelcol_tracetree_store_apply_duration")
	require.NoError(t, err)
	g, err := tel.GetMetric("otelcol_tracetree_store_subscribers")
	require.NoError(t, err)
	assert.Equal(t, int64(1), g.Data.(metricdata.Sum[int64]).DataPoints[0].Value)

	require.NoError(t, ext.Shutdown(ctx))
	_, err = ext.Store("")
	assert.Error(t, err, "no store after shutdown")

	// Restart on the same directories: data and summaries are there.
	ext2, h2 := startExtension(t, pebbleConfig(t, dirA, dirB), nil)
	defer ext2.Shutdown(ctx)
	s2, err := GetStore(h2, extID, "")
	require.NoError(t, err)
	tr, err := tree.AssembleTrace(ctx, s2, commit.NodeRef{Repo: "repo-1", Kind: commit.EntityTrace, ID: "t1"})
	require.NoError(t, err)
	assert.Equal(t, 3, tr.CommitCount)
	p, err := s2.SearchSessions(ctx, store.SessionQuery{Repo: "repo-1"})
	require.NoError(t, err)
	require.Len(t, p.Sessions, 1)
	assert.Equal(t, 1, p.Sessions[0].TraceCount)
}

func TestStartFailsOnBadDirectory(t *testing.T) {
	cfg := pebbleConfig(t, "/proc/definitely/not/writable")
	ext, err := NewFactory().Create(context.Background(), extensiontest.NewNopSettings(metadata.Type), cfg)
	require.NoError(t, err)
	err = ext.Start(context.Background(), host{})
	require.Error(t, err)
	assert.ErrorContains(t, err, `backend "main"`)
	require.NoError(t, ext.Shutdown(context.Background()))
}

func TestStorageClient(t *testing.T) {
	ctx := context.Background()
	ext, h := startExtension(t, pebbleConfig(t, t.TempDir()), nil)
	defer ext.Shutdown(ctx)
	var se storage.Extension = ext
	c, err := se.GetClient(ctx, component.KindReceiver, component.MustNewID("mxin"), "")
	require.NoError(t, err)
	defer c.Close(ctx)

	v, err := c.Get(ctx, "repo-1/large-logs/abc")
	require.NoError(t, err)
	assert.Nil(t, v, "missing key reads as nil, nil")

	require.NoError(t, c.Set(ctx, "repo-1/large-logs/abc", []byte("payload")))
	v, err = c.Get(ctx, "repo-1/large-logs/abc")
	require.NoError(t, err)
	assert.Equal(t, []byte("payload"), v)

	// The key maps onto the store's blob (first segment, whole key): the
	// query side sees it.
	s, err := GetStore(h, extID, "")
	require.NoError(t, err)
	b, err := s.GetBlob(ctx, "repo-1", "repo-1/large-logs/abc")
	require.NoError(t, err)
	assert.Equal(t, "payload", string(b.Data))
	assert.Equal(t, clientContentType, b.ContentType)

	ops := []*storage.Operation{
		storage.SetOperation("repo-2/a", []byte("A")),
		storage.GetOperation("repo-2/a"),
		storage.DeleteOperation("repo-1/large-logs/abc"),
		storage.GetOperation("repo-1/large-logs/abc"),
		storage.SetOperation("noslash", []byte("N")),
	}
	require.NoError(t, c.Batch(ctx, ops...))
	assert.Equal(t, []byte("A"), ops[1].Value)
	assert.Nil(t, ops[3].Value, "deleted in the same batch")
	_, err = s.GetBlob(ctx, "repo-1", "repo-1/large-logs/abc")
	assert.ErrorIs(t, err, store.ErrNotFound, "Pebble deletes the blob itself")
	// An SDK attachment key is served by the query API under the same key.
	att := "repo-1/trace/t1/files/original/att-1"
	require.NoError(t, c.Set(ctx, att, []byte("file bytes")))
	b, err = s.GetBlob(ctx, "repo-1", att)
	require.NoError(t, err)
	assert.Equal(t, "file bytes", string(b.Data))
	repo, k := BlobRef(att)
	assert.Equal(t, "repo-1", repo)
	assert.Equal(t, att, k)
	b, err = s.GetBlob(ctx, "", "noslash")
	require.NoError(t, err)
	assert.Equal(t, "N", string(b.Data))
}

// TestStorageClientTombstone covers backends without DeleteBlob.
func TestStorageClientTombstone(t *testing.T) {
	ctx := context.Background()
	c := &blobClient{s: memOnly{memstore.New()}}
	require.NoError(t, c.Set(ctx, "r/k", []byte("x")))
	require.NoError(t, c.Delete(ctx, "r/k"))
	v, err := c.Get(ctx, "r/k")
	require.NoError(t, err)
	assert.Nil(t, v)
	require.NoError(t, c.Delete(ctx, "r/never"))
	_, err = c.s.GetBlob(ctx, "r", "never")
	assert.ErrorIs(t, err, store.ErrNotFound, "deleting a missing key writes nothing")
}

// memOnly is a store.Store without optional capabilities.
type memOnly struct{ *memstore.Store }

func (memOnly) Subscribe(context.Context, string) (<-chan store.Change, func()) {
	return nil, func() {}
}

func (memOnly) Prices() *pricing.Table { return pricing.MustDefault() }

type nopComponent struct {
	component.StartFunc
	component.ShutdownFunc
}
