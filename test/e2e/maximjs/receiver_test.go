package maximjs

import (
	"context"
	"encoding/json"
	"strings"
	"sync"
	"testing"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/extension/extensiontest"
	"go.opentelemetry.io/collector/extension/xextension/storage"
	"go.opentelemetry.io/collector/receiver/receivertest"

	"github.com/otelcol-genai/otelcol-genai/extension/maximauthextension"
	"github.com/otelcol-genai/otelcol-genai/pkg/commit"
	"github.com/otelcol-genai/otelcol-genai/receiver/mxinreceiver"
)

const (
	apiKey = "e2e-key"
	repoID = "repo-e2e"
)

// memStorage is a storage extension keeping blobs in memory, so the test can
// read what the receiver stored.
type memStorage struct {
	mu sync.Mutex
	m  map[string][]byte
}

func (s *memStorage) Start(context.Context, component.Host) error { return nil }
func (s *memStorage) Shutdown(context.Context) error              { return nil }
func (s *memStorage) GetClient(context.Context, component.Kind, component.ID, string) (storage.Client, error) {
	return s, nil
}
func (s *memStorage) Get(_ context.Context, k string) ([]byte, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.m[k], nil
}
func (s *memStorage) Set(_ context.Context, k string, v []byte) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.m[k] = append([]byte(nil), v...)
	return nil
}
func (s *memStorage) Delete(_ context.Context, k string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.m, k)
	return nil
}
func (s *memStorage) Batch(ctx context.Context, ops ...*storage.Operation) error {
	for _, op := range ops {
		switch op.Type {
		case storage.Get:
			op.Value, _ = s.Get(ctx, op.Key)
		case storage.Set:
			_ = s.Set(ctx, op.Key, op.Value)
		case storage.Delete:
			_ = s.Delete(ctx, op.Key)
		}
	}
	return nil
}
func (s *memStorage) Close(context.Context) error { return nil }

type host struct {
	exts map[component.ID]component.Component
}

func (h host) GetExtensions() map[component.ID]component.Component { return h.exts }

// TestMaximJSAgainstReceiver drives the real npm SDK through the 503 proxy
// into an in-process mxin receiver and checks every commit that came out:
// this needs only node, not the built distribution or a store.
func TestMaximJSAgainstReceiver(t *testing.T) {
	node := installSDK(t)
	ctx := context.Background()

	authID := component.MustNewID("maxim_auth")
	blobID := component.MustNewIDWithName("mem_storage", "blobs")
	auth, err := maximauthextension.NewFactory().Create(ctx, extensiontest.NewNopSettings(component.MustNewType("maxim_auth")),
		&maximauthextension.Config{Keys: []maximauthextension.KeyConfig{{Key: apiKey, Repos: []string{repoID}}}})
	if err != nil {
		t.Fatal(err)
	}
	blobs := &memStorage{m: map[string][]byte{}}
	h := host{exts: map[component.ID]component.Component{authID: auth, blobID: blobs}}
	if err := auth.Start(ctx, h); err != nil {
		t.Fatal(err)
	}

	f := mxinreceiver.NewFactory()
	cfg := f.CreateDefaultConfig().(*mxinreceiver.Config)
	addr := freePort(t)
	cfg.NetAddr.Endpoint = addr
	cfg.Authenticator = &authID
	cfg.BlobStorage = &blobID
	sink := new(consumertest.LogsSink)
	rcv, err := f.CreateLogs(ctx, receivertest.NewNopSettings(f.Type()), cfg, sink)
	if err != nil {
		t.Fatal(err)
	}
	if err := rcv.Start(ctx, h); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = rcv.Shutdown(context.Background()) })

	proxy, proxyURL := startProxy(t, "http://"+addr)
	ids := runDriver(t, node, proxyURL, apiKey, repoID)
	checkRetried(t, proxy)

	// Collect the distinct commits (the resent batch repeats commit ids).
	byID := map[commit.ID]commit.Commit{}
	for _, ld := range sink.AllLogs() {
		cs, err := commit.CommitsFromLogs(ld)
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range cs {
			if c.Repo != repoID {
				t.Errorf("commit of repo %q", c.Repo)
			}
			byID[c.ID] = c
		}
	}
	find := func(e commit.Entity, id string, a commit.Action, contains string) commit.Commit {
		t.Helper()
		for _, c := range byID {
			if c.Entity == e && c.EntityID == id && c.Action == a && strings.Contains(string(c.Data), contains) {
				return c
			}
		}
		t.Errorf("no %s{id=%s,action=%s} commit containing %q", e, id, a, contains)
		return commit.Commit{}
	}
	find(commit.EntitySession, ids.Session, commit.ActionCreate, `"support-chat"`)
	find(commit.EntityTrace, ids.Trace, commit.ActionCreate, `"sessionId":"`+ids.Session+`"`)
	find(commit.EntityTrace, ids.Trace, commit.ActionAddSpan, `"id":"`+ids.Span+`"`)
	find(commit.EntitySpan, ids.Span, commit.ActionAddGeneration, `"id":"`+ids.Generation+`"`)
	find(commit.EntityGeneration, ids.Generation, commit.ActionResult, `"tool_calls"`)
	find(commit.EntitySpan, ids.Span, commit.ActionAddToolCall, `"id":"`+ids.ToolCall+`"`)
	find(commit.EntityToolCall, ids.ToolCall, commit.ActionResult, `tempC`)
	find(commit.EntityToolCall, ids.FailingToolCall, commit.ActionError, `ETIMEDOUT`)
	find(commit.EntityRetrieval, ids.Retrieval, commit.ActionEnd, `doc A: Paris marathon`)
	find(commit.EntitySpan, ids.Span, commit.ActionAddEvent, ids.SpanEvent)
	find(commit.EntitySpan, ids.Span, commit.ActionAddSpan, ids.ChildSpan)
	find(commit.EntityTrace, ids.Trace, commit.ActionAddError, ids.TraceError)
	find(commit.EntityTrace, ids.Trace, commit.ActionAddEvent, ids.TraceEvent)
	find(commit.EntityTrace, ids.Trace, commit.ActionAddFeedback, `"score":4`)
	find(commit.EntityTrace, ids.Trace, commit.ActionEvaluate, `faithfulness`)
	find(commit.EntityTrace, ids.Trace, commit.ActionUpdate, `latency_ms`)
	find(commit.EntitySession, ids.Session, commit.ActionAddFeedback, `"score":5`)
	find(commit.EntitySession, ids.Session, commit.ActionEnd, `endTimestamp`)

	// The attachment: its commit names a key, and the bytes are stored there.
	att := find(commit.EntityTrace, ids.Trace, commit.ActionAddAttachment, ids.Attachment)
	var ad struct {
		Key string `json:"key"`
	}
	_ = json.Unmarshal(att.Data, &ad)
	if want := repoID + "/trace/" + ids.Trace + "/files/original/" + ids.Attachment; ad.Key != want {
		t.Errorf("attachment key %q, want %q", ad.Key, want)
	}
	if got, _ := blobs.Get(ctx, ad.Key); string(got) != ids.AttachmentText {
		t.Errorf("attachment bytes %q, want %q", got, ids.AttachmentText)
	}

	// The >900 KB output went through upload + process-large-log and came
	// out as the original trace update, whole.
	big := find(commit.EntityTrace, ids.BigTrace, commit.ActionUpdate, `"output"`)
	var bd struct {
		Output string `json:"output"`
	}
	_ = json.Unmarshal(big.Data, &bd)
	if len(bd.Output) != ids.LargeOutputChars || strings.Trim(bd.Output, "x") != "" {
		t.Errorf("large output: %d chars, want %d x's", len(bd.Output), ids.LargeOutputChars)
	}
	for _, c := range byID {
		if c.Entity == commit.EntityStorage {
			t.Errorf("unresolved storage commit left: %s", c.Data)
		}
	}
}
