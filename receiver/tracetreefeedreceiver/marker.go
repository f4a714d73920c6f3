package tracetreefeedreceiver

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"sync"

	"github.com/otelcol-genai/otelcol-genai/internal/store"
	"github.com/otelcol-genai/otelcol-genai/internal/tree"
	"github.com/otelcol-genai/otelcol-genai/pkg/commit"
)

// The receiver remembers what it emitted in the store it reads, so the
// memory survives restarts and moves with the data (a Postgres backend
// shared by a fleet, a Pebble directory restored from backup):
//
//   - one marker blob per emitted trace, in the trace's repo, under
//     "_feed/<receiver id>/trace/<trace id>": per node a hash of its folded
//     state and the keys of the sub-records (feedback, evaluations, events,
//     errors, attachments) already sent, so a later change emits only
//     what is new;
//   - one checkpoint blob in the repo "_tracetree_feed" under
//     "_feed/<receiver id>/checkpoint": the time (RFC 3339) before which
//     every change has been handled.
const (
	markerContentType = "application/vnd.otelcol-genai.feed-marker+json"
	checkpointRepo    = "_tracetree_feed"
	markerVersion     = 1
)

// marker is what was emitted for one trace.
type marker struct {
	V int `json:"v"`
	// LastVersion and CommitCount of the trace when it was last emitted:
	// equal values mean nothing changed (the usual case after a restart).
	LastVersion int64 `json:"lastVersion"`
	CommitCount int   `json:"commitCount"`
	// Updates counts late-update emissions; it makes update span ids unique.
	Updates int                 `json:"updates"`
	Nodes   map[string]nodeMark `json:"nodes"`
}

// nodeMark is what was emitted for one node.
type nodeMark struct {
	Hash string   `json:"h"`
	Subs []string `json:"s,omitempty"`
}

func nodeKey(n *tree.Node) string { return string(n.Kind) + "/" + n.ID }

// markNode fingerprints a node's folded state, leaving out the counters
// that change with every commit (a duplicate end changes CommitCount, not
// anything a vendor would show).
//
// The JSON is tree.AppendNodeJSON's, json.Marshal's bytes written without
// reflection (it was 5 % of the collector's CPU under SDK load): markers
// saved by earlier versions hold the hash of json.Marshal, and a mark made
// of other bytes would see every node of an old trace as changed.
func markNode(n *tree.Node) nodeMark {
	c := *n
	c.CommitCount, c.FirstVersion, c.LastVersion = 0, 0, 0
	bp := markBufs.Get().(*[]byte)
	raw, err := tree.AppendNodeJSON((*bp)[:0], &c)
	if err != nil {
		raw = raw[:0] // as json.Marshal's nil result was hashed
	}
	sum := sha256.Sum256(raw)
	if cap(raw) <= 1<<20 {
		*bp = raw
		markBufs.Put(bp)
	}
	return nodeMark{Hash: hex.EncodeToString(sum[:12]), Subs: subKeys(n)}
}

// markBufs holds the buffers markNode encodes nodes into (the feed marks
// every node of every trace it emits, from several workers).
var markBufs = sync.Pool{New: func() any { b := make([]byte, 0, 4096); return &b }}

// subKeys lists the sub-record keys of a node, each prefixed by its kind.
func subKeys(n *tree.Node) []string {
	var out []string
	for _, e := range n.Errors {
		out = append(out, "error:"+e.Key)
	}
	for _, e := range n.Events {
		out = append(out, "event:"+e.ID)
	}
	for _, f := range n.Feedback {
		out = append(out, "feedback:"+f.Key)
	}
	for _, e := range n.Evaluations {
		out = append(out, "evaluation:"+e.Key)
	}
	for _, a := range n.Attachments {
		out = append(out, "attachment:"+a.ID)
	}
	return out
}

// The markers and the checkpoint live in the store's BlobFeed namespace.
func markerKey(receiverID string, ref commit.NodeRef) store.BlobKey {
	return store.FeedMarkerKey(receiverID, ref)
}

func checkpointKey(receiverID string) store.BlobKey {
	return store.FeedCheckpointKey(checkpointRepo, receiverID)
}

// loadMarker returns the trace's marker, or nil when it was never emitted.
func loadMarker(ctx context.Context, b store.Backend, receiverID string, ref commit.NodeRef) (*marker, error) {
	k := markerKey(receiverID, ref)
	blob, err := b.GetBlob(ctx, k.Repo, k.Name)
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read emission marker of trace %s/%s: %w", ref.Repo, ref.ID, err)
	}
	var m marker
	if err := json.Unmarshal(blob.Data, &m); err != nil || m.V != markerVersion {
		// A corrupt or foreign marker must not block the trace forever:
		// treat it as "emitted, state unknown" so only later changes go out.
		return &marker{V: markerVersion, Nodes: map[string]nodeMark{}}, nil
	}
	if m.Nodes == nil {
		m.Nodes = map[string]nodeMark{}
	}
	return &m, nil
}

func saveMarker(ctx context.Context, b store.Backend, receiverID string, ref commit.NodeRef, m *marker) error {
	raw, err := json.Marshal(m)
	if err != nil {
		return fmt.Errorf("encode emission marker: %w", err)
	}
	k := markerKey(receiverID, ref)
	if err := b.PutBlob(ctx, k.Repo, k.Name, store.Blob{ContentType: markerContentType, Data: raw}); err != nil {
		return fmt.Errorf("write emission marker of trace %s/%s: %w", ref.Repo, ref.ID, err)
	}
	return nil
}
