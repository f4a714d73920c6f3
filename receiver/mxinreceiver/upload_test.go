package mxinreceiver

import (
	"bytes"
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/otelcol-genai/otelcol-genai/internal/store"
	"github.com/otelcol-genai/otelcol-genai/pkg/commit"
)

func (e *env) uploadURL(key, mime string, apiKey string) response {
	e.t.Helper()
	// Raw, unencoded query values, as the JS and Python SDKs send them.
	return e.do(http.MethodGet, pathUploadURL+"?key="+key+"&mimeType="+mime+"&size=12", map[string]string{"x-maxim-api-key": apiKey}, nil)
}

func put(t *testing.T, u string, body []byte) response {
	t.Helper()
	req, err := http.NewRequest(http.MethodPut, u, bytes.NewReader(body))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/octet-stream")
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	var b bytes.Buffer
	_, _ = b.ReadFrom(resp.Body)
	return response{code: resp.StatusCode, header: resp.Header, body: b.Bytes()}
}

func TestUploadURLAndPut(t *testing.T) {
	e := newEnv(t, envOpts{})
	key := testRepo + "/trace/t1/files/original/att-1"
	resp := e.uploadURL(key, "image/svg+xml", testKey)
	require.Equal(t, http.StatusOK, resp.code, string(resp.body))
	u := resp.json(t)["data"].(map[string]any)["url"].(string)
	assert.True(t, strings.HasPrefix(u, e.url+pathBlobPut), u)

	// PUT without any API key (Python, Go) succeeds.
	got := put(t, u, []byte("hello world!"))
	require.Equal(t, http.StatusOK, got.code)
	assert.JSONEq(t, `{"data":{"success":true}}`, string(got.body))
	stored, err := e.r.blobs.Get(context.Background(), key)
	require.NoError(t, err)
	assert.Equal(t, []byte("hello world!"), stored)

	// Tampering with the key or the expiry breaks the signature.
	pu, _ := url.Parse(u)
	q := pu.Query()
	q.Set("key", testRepo+"/trace/t1/files/original/att-2")
	pu.RawQuery = q.Encode()
	got = put(t, pu.String(), []byte("evil"))
	assert.Equal(t, http.StatusForbidden, got.code)
	assert.JSONEq(t, invalidAccess, string(got.body))
	q = pu.Query()
	q.Set("key", key)
	q.Set("exp", "99999999999")
	pu.RawQuery = q.Encode()
	assert.Equal(t, http.StatusForbidden, put(t, pu.String(), []byte("evil")).code)
	stored, _ = e.r.blobs.Get(context.Background(), key)
	assert.Equal(t, []byte("hello world!"), stored, "refused PUTs change nothing")
}

func TestUploadURLExpires(t *testing.T) {
	e := newEnv(t, envOpts{})
	now := time.Now()
	e.r.signer.now = func() time.Time { return now }
	resp := e.uploadURL(testRepo+"/large-logs/abc", "text/plain", testKey)
	require.Equal(t, http.StatusOK, resp.code)
	u := resp.json(t)["data"].(map[string]any)["url"].(string)
	e.r.signer.now = func() time.Time { return now.Add(time.Hour + time.Minute) }
	got := put(t, u, []byte("late"))
	assert.Equal(t, http.StatusForbidden, got.code)
	assert.JSONEq(t, invalidAccess, string(got.body))
}

func TestUploadURLErrors(t *testing.T) {
	e := newEnv(t, envOpts{})
	resp := e.uploadURL(foreignRepo+"/trace/t/files/original/a", "text/plain", teamKey)
	assert.Equal(t, http.StatusForbidden, resp.code, "a key may only upload into its own repositories")
	assert.JSONEq(t, invalidAccess, string(resp.body))
	resp = e.uploadURL(testRepo+"/trace/t/files/original/a", "text/plain", "")
	assert.Equal(t, http.StatusForbidden, resp.code)
	resp = e.uploadURL(testRepo+"/../etc/passwd", "text/plain", testKey)
	assert.Equal(t, http.StatusBadRequest, resp.code)
	assert.JSONEq(t, `{"error":{"message":"key \"repo-local-1/../etc/passwd\" has a relative path segment"}}`, string(resp.body))
	resp = e.uploadURL("no-slash", "text/plain", testKey)
	assert.Equal(t, http.StatusBadRequest, resp.code)
	assert.JSONEq(t, `{"error":{"message":"key must be <repository>/<path>"}}`, string(resp.body))
	resp = e.do(http.MethodGet, pathUploadURL+"?key="+testRepo+"/large-logs/x&mimeType=text/plain&size=999999999999", map[string]string{"x-maxim-api-key": testKey}, nil)
	assert.Equal(t, http.StatusRequestEntityTooLarge, resp.code)
	assert.JSONEq(t, `{"error":{"message":"size 999999999999 over max_request_body_size 67108864"}}`, string(resp.body))
}

func TestUploadsWithoutBlobStorage(t *testing.T) {
	e := newEnv(t, envOpts{noBlobs: true})
	resp := e.uploadURL(testRepo+"/trace/t/files/original/a", "text/plain", testKey)
	assert.Equal(t, http.StatusNotImplemented, resp.code)
	assert.JSONEq(t, `{"error":{"message":"uploads are disabled on this receiver (no blob_storage configured)"}}`, string(resp.body))
}

// TestLargeLogPendingUntilUploaded: the push carrying process-large-log
// arrives before the PUT (Python uploads on a worker). The storage commit is
// kept and reported as pending; the PUT then ingests the line with the
// pointer's version.
func TestLargeLogPendingUntilUploaded(t *testing.T) {
	e := newEnv(t, envOpts{})
	key := testRepo + "/large-logs/0b6f3a52-1111-4a3e-9d2c-5c7a0e2f9a10"
	body := "trace{id=t-big,action=create,data={\"name\":\"big\"}}\n" +
		"storage{id=0b6f3a52-1111-4a3e-9d2c-5c7a0e2f9a10,action=process-large-log,data={\"key\":\"" + key + "\"}}\n"
	resp := e.push(testRepo, testKey, []byte(body))
	require.Equal(t, http.StatusOK, resp.code)
	data := resp.json(t)["data"].(map[string]any)
	assert.EqualValues(t, 2, data["accepted"])
	assert.EqualValues(t, 1, data["pendingCount"])
	pending := data["pending"].([]any)[0].(map[string]any)
	assert.EqualValues(t, 2, pending["line"])
	assert.Contains(t, pending["reason"], "not uploaded yet")
	got := e.commits()
	require.Len(t, got, 2)
	assert.Equal(t, commit.EntityStorage, got[1].Entity, "the pointer is kept, never silently dropped")
	pointerVersion := got[1].Version
	refused := counterByAttrs(t, e, "otelcol_mxin_commits_refused")
	assert.EqualValues(t, 1, refused[attrKey("storage", "process-large-log", reasonLargeLogPending)])

	// Now the upload arrives.
	line := `trace{id=t-big,action=update,data={"output":"` + strings.Repeat("y", 1000) + `"}}`
	u := e.uploadURL(key, "text/plain", testKey).json(t)["data"].(map[string]any)["url"].(string)
	require.Equal(t, http.StatusOK, put(t, u, []byte(line)).code)
	got = e.commits()
	require.Len(t, got, 3)
	assert.Equal(t, commit.ActionUpdate, got[2].Action)
	assert.Equal(t, "t-big", got[2].EntityID)
	assert.Equal(t, pointerVersion, got[2].Version)
	marker, err := e.r.blobs.Get(context.Background(), pendingKey(key))
	require.NoError(t, err)
	assert.Nil(t, marker, "resolved marker is removed")

	// A resend of the batch now resolves the pointer directly.
	e.logs.Reset()
	resp = e.push(testRepo, testKey, []byte(body))
	require.Equal(t, http.StatusOK, resp.code)
	assert.NotContains(t, resp.json(t)["data"], "pending")
	got = e.commits()
	require.Len(t, got, 2)
	assert.Equal(t, "t-big", got[1].EntityID)
	assert.Equal(t, commit.ActionUpdate, got[1].Action)
}

func TestLargeLogKeyOfAnotherRepoIsRejected(t *testing.T) {
	e := newEnv(t, envOpts{})
	body := `storage{id=u1,action=process-large-log,data={"key":"` + foreignRepo + `/large-logs/u1"}}`
	resp := e.push(testRepo, testKey, []byte(body))
	require.Equal(t, http.StatusOK, resp.code)
	data := resp.json(t)["data"].(map[string]any)
	assert.EqualValues(t, 1, data["rejectedCount"])
	assert.Contains(t, data["rejected"].([]any)[0].(map[string]any)["reason"], "is not in repository")
	assert.Empty(t, e.commits())
}

func TestRawQueryValue(t *testing.T) {
	assert.Equal(t, "image/svg+xml", rawQueryValue("key=a/b&mimeType=image/svg+xml", "mimeType"))
	assert.Equal(t, "a/b c", rawQueryValue("key=a%2Fb%20c", "key"))
	assert.Equal(t, "a/b", rawQueryValue("key=a/b", "key"))
	assert.Equal(t, "100%", rawQueryValue("x=100%", "x"), "an invalid escape is kept raw")
	assert.Equal(t, "", rawQueryValue("x=1", "key"))
}

// TestLargeLogLinkedToItsNode: an ingested large log gets a link under the
// node its line became (store.LargeLogLink), so retention deleting that
// node's trace deletes the offloaded line too — whether the upload came
// before the push or after it.
func TestLargeLogLinkedToItsNode(t *testing.T) {
	ctx := context.Background()
	for _, uploadFirst := range []bool{true, false} {
		e := newEnv(t, envOpts{})
		id := "1c2d3e4f-1111-4a3e-9d2c-5c7a0e2f9a10"
		key := testRepo + "/large-logs/" + id
		body := "storage{id=" + id + ",action=process-large-log,data={\"key\":\"" + key + "\"}}\n"
		line := `generation{id=g-big,action=result,data={"id":"r1"}}`
		upload := func() {
			u := e.uploadURL(key, "text/plain", testKey).json(t)["data"].(map[string]any)["url"].(string)
			require.Equal(t, http.StatusOK, put(t, u, []byte(line)).code)
		}
		if uploadFirst {
			upload()
		}
		require.Equal(t, http.StatusOK, e.push(testRepo, testKey, []byte(body)).code)
		if !uploadFirst {
			upload()
		}
		node := commit.NodeRef{Repo: testRepo, Kind: commit.EntityGeneration, ID: "g-big"}
		link, ok := store.LargeLogLink(node, store.ClientKey(key))
		require.True(t, ok)
		v, err := e.r.blobs.Get(ctx, link.Name)
		require.NoError(t, err)
		assert.Equal(t, key, string(v), "upload first = %v: link %q", uploadFirst, link.Name)
	}
}

// TestLargeLogNamingUnreadableIDIsRejected: the line a large-log pointer
// points at is held to the same id rule as a pushed line, whether it was
// uploaded before the push (rejected with the pointer's line) or after
// (dropped and counted when the upload arrives).
func TestLargeLogNamingUnreadableIDIsRejected(t *testing.T) {
	e := newEnv(t, envOpts{})
	line := []byte(`trace{id=t-big,action=add-span,data={"id":"` + strings.Repeat("s", commit.MaxIDLen+1) + `"}}`)
	upload := func(key string) {
		u := e.uploadURL(key, "text/plain", testKey).json(t)["data"].(map[string]any)["url"].(string)
		require.Equal(t, http.StatusOK, put(t, u, line).code)
	}

	before := testRepo + "/large-logs/0b6f3a52-2222-4a3e-9d2c-5c7a0e2f9a10"
	upload(before)
	resp := e.push(testRepo, testKey, []byte(`storage{id=u2,action=process-large-log,data={"key":"`+before+`"}}`))
	require.Equal(t, http.StatusOK, resp.code)
	data := resp.json(t)["data"].(map[string]any)
	assert.EqualValues(t, 1, data["rejectedCount"])
	assert.Contains(t, data["rejected"].([]any)[0].(map[string]any)["reason"], "data names a span: entity id is 513 bytes")
	assert.Empty(t, e.commits())

	after := testRepo + "/large-logs/0b6f3a52-3333-4a3e-9d2c-5c7a0e2f9a10"
	resp = e.push(testRepo, testKey, []byte(`storage{id=u3,action=process-large-log,data={"key":"`+after+`"}}`))
	require.Equal(t, http.StatusOK, resp.code)
	require.Len(t, e.commits(), 1, "the pointer is kept while the upload is pending")
	e.logs.Reset()
	upload(after)
	assert.Empty(t, e.commits(), "the uploaded line is not ingested")
	refused := counterByAttrs(t, e, "otelcol_mxin_commits_refused")
	assert.EqualValues(t, 1, refused[attrKey("storage", "process-large-log", reasonLargeLogMalformed)], "at the push")
	assert.EqualValues(t, 1, refused[attrKey("", "", reasonLargeLogMalformed)], "at the upload")
}
