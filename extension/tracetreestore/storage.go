package tracetreestore

import (
	"context"
	"errors"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/extension/xextension/storage"

	"github.com/otelcol-genai/otelcol-genai/internal/store"
)

// The extension is also a collector storage.Extension, so a receiver can keep
// bytes (attachments, offloaded large commit lines) in the trace store
// through the standard client API and the query extension can serve them.
//
// Key mapping: a client key "<repo>/<rest>" is the blob (repo, "<repo>/<rest>")
// of the default backend: the repo is the key's first segment and the blob
// key is the whole client key, unchanged. SDK attachment keys already have
// this shape ({repo}/{entity}/{id}/files/original/{attachment}), so the
// query API serves GET /api/v1/attachments/{the same key} with no
// translation. A key without "/" is the blob ("", key). Keys are not
// prefixed with the calling component's id (unlike file_storage): the key
// space is shared with the store's own blobs on purpose, and the key's shape
// names its namespace (store.Namespace in internal/store/blobs.go:
// attachment, large log, pending marker, or plain storage data). Values are stored
// with content type application/octet-stream. Delete removes the blob when
// the backend can (Pebble); otherwise it writes a tombstone that Get
// reports as missing.

const (
	clientContentType = "application/octet-stream"
	tombstoneType     = "application/x-tracetree-deleted"
)

var _ storage.Extension = (*storeExtension)(nil)

// blobDeleter is the optional capability of deleting one blob.
type blobDeleter interface {
	DeleteBlob(ctx context.Context, repo, key string) error
}

// GetClient returns a client on the default backend; storageName is not
// part of the key (see the mapping above).
func (e *storeExtension) GetClient(_ context.Context, _ component.Kind, _ component.ID, _ string) (storage.Client, error) {
	s, err := e.Store("")
	if err != nil {
		return nil, err
	}
	return &blobClient{s: s}, nil
}

type blobClient struct {
	s store.Store
}

// BlobRef maps a storage-client key to the store's (repo, blob key): the
// repo is the key's first "/"-separated segment, the blob key is the whole
// client key (store.ClientKey, which also names the key's namespace).
func BlobRef(key string) (repo, blobKey string) {
	k := store.ClientKey(key)
	return k.Repo, k.Name
}

func (c *blobClient) Get(ctx context.Context, key string) ([]byte, error) {
	repo, k := BlobRef(key)
	b, err := c.s.GetBlob(ctx, repo, k)
	if errors.Is(err, store.ErrNotFound) || (err == nil && b.ContentType == tombstoneType) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return b.Data, nil
}

func (c *blobClient) Set(ctx context.Context, key string, value []byte) error {
	repo, k := BlobRef(key)
	return c.s.PutBlob(ctx, repo, k, store.Blob{ContentType: clientContentType, Data: value})
}

func (c *blobClient) Delete(ctx context.Context, key string) error {
	repo, k := BlobRef(key)
	if d, ok := underlying(c.s).(blobDeleter); ok {
		return d.DeleteBlob(ctx, repo, k)
	}
	if _, err := c.s.GetBlob(ctx, repo, k); errors.Is(err, store.ErrNotFound) {
		return nil
	}
	return c.s.PutBlob(ctx, repo, k, store.Blob{ContentType: tombstoneType})
}

// Batch runs the operations in order; Get results are put in place.
func (c *blobClient) Batch(ctx context.Context, ops ...*storage.Operation) error {
	for _, op := range ops {
		var err error
		switch op.Type {
		case storage.Get:
			op.Value, err = c.Get(ctx, op.Key)
		case storage.Set:
			err = c.Set(ctx, op.Key, op.Value)
		case storage.Delete:
			err = c.Delete(ctx, op.Key)
		default:
			err = errors.New("tracetree_store: unknown storage operation")
		}
		if err != nil {
			return err
		}
	}
	return nil
}

func (c *blobClient) Close(context.Context) error { return nil }

// underlying unwraps the indexer to reach the backend's optional
// capabilities.
func underlying(s store.Store) any {
	if u, ok := s.(interface{ Unwrap() store.Backend }); ok {
		return u.Unwrap()
	}
	return s
}
