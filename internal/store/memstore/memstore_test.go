package memstore

import (
	"context"
	"errors"
	"testing"

	"github.com/otelcol-genai/otelcol-genai/internal/store"
	"github.com/otelcol-genai/otelcol-genai/internal/store/storetest"
	"github.com/otelcol-genai/otelcol-genai/pkg/commit"
)

func TestApplyUnionKeepsLowerVersion(t *testing.T) {
	ctx := context.Background()
	s := New()
	c, err := commit.ParseLine("r", []byte(`trace{id=t,action=create,data={}}`), 20)
	if err != nil {
		t.Fatal(err)
	}
	low := c
	low.Version = 10
	for _, batch := range [][]commit.Commit{{c}, {low}, {c}} {
		if err := s.Apply(ctx, batch, nil); err != nil {
			t.Fatal(err)
		}
	}
	got, _ := s.Commits(ctx, []commit.NodeRef{c.Node()})
	if len(got[c.Node()]) != 1 || got[c.Node()][0].Version != 10 {
		t.Fatalf("union: %+v", got)
	}
	refs, next, _ := s.ChangedSince(ctx, 0, 0)
	if len(refs) != 2 || next != 2 { // first insert and the version lowering; the re-apply is a no-op
		t.Fatalf("change log: %v %d", refs, next)
	}
	if _, err := s.GetBlob(ctx, "r", "nope"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("GetBlob: %v", err)
	}
}

func TestConformance(t *testing.T) {
	storetest.RunBackendTests(t, func(t *testing.T) store.Backend {
		s := New()
		t.Cleanup(func() { _ = s.Close() })
		return s
	})
}
