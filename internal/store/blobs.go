package store

import (
	"net/url"
	"strings"

	"github.com/otelcol-genai/otelcol-genai/pkg/commit"
)

// Blob namespaces. Five users share the backends' one blob key space
// (PutBlob/GetBlob take a repository and a key): this file is the only
// place that says which keys each of them owns, so no two can collide and
// retention knows which blobs belong to a node.
//
// Stored keys are exactly the keys these users wrote before the namespaces
// existed (the SDK's attachment and large-log keys, the receiver's
// "#mxin-pending" suffix, the feed receiver's "_feed/" prefix), so blobs
// already in a Pebble directory or a PostgreSQL schema stay readable with
// no migration and no fallback read. The shapes are disjoint: '#' never
// appears in an SDK key (the mxin receiver refuses it), "_feed" is not a
// repository segment an SDK key can start with under a repository, and an
// attachment key has the "/files/" segment a large-log key has not.
//
// Invariants:
//   - Namespace(k.Name) == k.NS for every key built here;
//   - a blob owned by a node (BlobAttachment, and the BlobLargeLog link
//     written by LinkLargeLog) has a stored key under OwnedPrefix(node),
//     and Delete of the node removes it (and a linked large log);
//   - BlobPending, BlobFeed and BlobStorage keys are never under an
//     OwnedPrefix, so retention never deletes them by accident.

// BlobNamespace names one user of the blob key space.
type BlobNamespace string

const (
	// BlobAttachment: SDK attachments, "<repo>/<entity>/<id>/files/<kind>/<attachment>",
	// owned by the node <entity>/<id>.
	BlobAttachment BlobNamespace = "attachment"
	// BlobLargeLog: offloaded commit lines, "<repo>/large-logs/<uuid>",
	// and the links "<repo>/<entity>/<id>/large-logs/<uuid>" that tie one
	// to the node its line was ingested into.
	BlobLargeLog BlobNamespace = "large-log"
	// BlobPending: the mxin receiver's marker for a large log pushed before
	// its upload, "<large-log key>#mxin-pending".
	BlobPending BlobNamespace = "pending"
	// BlobFeed: the tracetree_feed receiver's emission markers and
	// checkpoints, "_feed/<receiver>/...".
	BlobFeed BlobNamespace = "feed"
	// BlobStorage: any other key written through the tracetree_store
	// extension's storage.Client.
	BlobStorage BlobNamespace = "storage"
)

const (
	pendingSuffix = "#mxin-pending"
	feedPrefix    = "_feed/"
	largeLogSeg   = "/large-logs/"
)

// BlobKey is a namespaced blob address: the backend stores it under
// (Repo, Name).
type BlobKey struct {
	NS   BlobNamespace
	Repo string
	Name string
}

// OwnedPrefix is the stored-key prefix of every blob node owns.
func OwnedPrefix(node commit.NodeRef) string {
	return node.Repo + "/" + string(node.Kind) + "/" + node.ID + "/"
}

// AttachmentKey is the key of an SDK attachment of node.
func AttachmentKey(node commit.NodeRef, kind, attachmentID string) BlobKey {
	return BlobKey{NS: BlobAttachment, Repo: node.Repo, Name: OwnedPrefix(node) + "files/" + kind + "/" + attachmentID}
}

// LargeLogKey is the key of an offloaded commit line.
func LargeLogKey(repo, id string) BlobKey {
	return BlobKey{NS: BlobLargeLog, Repo: repo, Name: repo + largeLogSeg + id}
}

// LargeLogLink is the key that ties the large log k to node: Delete of the
// node removes the link and the large log it names (LinkedLargeLog). The
// link's name ends with the large log's own name after the repository, so
// no value needs to be read to find it.
func LargeLogLink(node commit.NodeRef, k BlobKey) (BlobKey, bool) {
	id, ok := strings.CutPrefix(k.Name, k.Repo+largeLogSeg)
	if !ok || k.NS != BlobLargeLog || node.Repo != k.Repo {
		return BlobKey{}, false
	}
	return BlobKey{NS: BlobLargeLog, Repo: node.Repo, Name: OwnedPrefix(node) + "large-logs/" + id}, true
}

// LinkedLargeLog returns the large log a stored key under OwnedPrefix(node)
// links to, if it is a link.
func LinkedLargeLog(node commit.NodeRef, stored string) (BlobKey, bool) {
	rest, ok := strings.CutPrefix(stored, OwnedPrefix(node)+"large-logs/")
	if !ok || rest == "" || strings.Contains(rest, "/") {
		return BlobKey{}, false
	}
	return LargeLogKey(node.Repo, rest), true
}

// PendingKey is the marker of a large log not uploaded yet.
func PendingKey(largeLog BlobKey) BlobKey {
	return BlobKey{NS: BlobPending, Repo: largeLog.Repo, Name: largeLog.Name + pendingSuffix}
}

// FeedMarkerKey is the feed receiver's emission marker of a trace.
func FeedMarkerKey(receiverID string, trace commit.NodeRef) BlobKey {
	return BlobKey{NS: BlobFeed, Repo: trace.Repo, Name: feedPrefix + receiverID + "/trace/" + url.PathEscape(trace.ID)}
}

// FeedCheckpointKey is the feed receiver's checkpoint, kept in repo.
func FeedCheckpointKey(repo, receiverID string) BlobKey {
	return BlobKey{NS: BlobFeed, Repo: repo, Name: feedPrefix + receiverID + "/checkpoint"}
}

// ClientKey maps a storage.Client key to its blob: the repository is the
// key's first "/"-separated segment (none for a key without "/") and the
// stored name is the whole key, so an SDK attachment key is served by the
// query API under the same key; the namespace follows from its shape.
func ClientKey(key string) BlobKey {
	repo, _, found := strings.Cut(key, "/")
	if !found {
		repo = ""
	}
	return BlobKey{NS: Namespace(repo, key), Repo: repo, Name: key}
}

// Namespace tells which user a stored key of repo belongs to.
func Namespace(repo, name string) BlobNamespace {
	switch {
	case strings.HasSuffix(name, pendingSuffix):
		return BlobPending
	case strings.HasPrefix(name, feedPrefix):
		return BlobFeed
	case repo == "" || !strings.HasPrefix(name, repo+"/"):
		return BlobStorage
	}
	rest := name[len(repo)+1:]
	if strings.HasPrefix(rest, "large-logs/") {
		return BlobLargeLog
	}
	// <entity>/<id>/files/... or <entity>/<id>/large-logs/<uuid>
	parts := strings.SplitN(rest, "/", 4)
	if len(parts) == 4 && parts[0] != "" && parts[1] != "" {
		switch parts[2] {
		case "files":
			return BlobAttachment
		case "large-logs":
			return BlobLargeLog
		}
	}
	return BlobStorage
}

// OwnedBy reports whether the stored key (repo, name) is a blob node owns:
// an attachment ("files/...") or a large-log link ("large-logs/<uuid>")
// directly under OwnedPrefix(node). The rest is matched, not parsed from
// the front, so node "a" does not own the blobs of node "a/b".
func OwnedBy(node commit.NodeRef, repo, name string) bool {
	if repo != node.Repo {
		return false
	}
	rest, ok := strings.CutPrefix(name, OwnedPrefix(node))
	if !ok {
		return false
	}
	if _, ok := LinkedLargeLog(node, name); ok {
		return true
	}
	return strings.HasPrefix(rest, "files/")
}

// OwnedRange is the [lower, upper) range of stored names that holds every
// blob node owns (backends scan it, then keep the names OwnedBy accepts).
func OwnedRange(node commit.NodeRef) (lower, upper string) {
	p := OwnedPrefix(node)
	return p, p[:len(p)-1] + "0" // '0' follows '/' in byte order
}
