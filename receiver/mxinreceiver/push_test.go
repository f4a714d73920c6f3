package mxinreceiver

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/client"
	"go.opentelemetry.io/collector/consumer/consumererror"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/otelcol-genai/otelcol-genai/pkg/commit"
)

const invalidAccess = `{"code":403,"message":"Invalid access error"}`

// lineGrammar is the protocol's line regex (docs/protocol.md §2.2).
var lineGrammar = regexp.MustCompile(`^([a-z_]+)\{id=(.*?),action=([a-z-]+),data=(.*)\}$`)

type wantCommit struct{ entity, id, action, data string }

func jsSessionBody(t *testing.T) []byte {
	for _, c := range loadCapture(t) {
		if c.Scenario == "js-session" && c.Method == http.MethodPost {
			return []byte(c.Body)
		}
	}
	t.Fatal("no js-session push in the capture")
	return nil
}

// TestReplayCapture replays every request of the real JS SDK capture in
// order (repo check, upload URLs, PUTs, the 503'd push and its resend) and
// checks that the pushes produce exactly the commits of their bodies, with
// the process-large-log pointer replaced by the uploaded line.
func TestReplayCapture(t *testing.T) {
	e := newEnv(t, envOpts{})
	largeLine := []byte(`trace{id=trace-edge,action=update,data={"output":"` + strings.Repeat("x", 950000) + `"}}`)
	uploads := map[string]string{} // key -> signed URL
	var want []wantCommit
	for _, c := range loadCapture(t) {
		h := map[string]string{"x-maxim-api-key": testKey}
		switch {
		case c.Method == http.MethodGet && strings.HasPrefix(c.Path, pathRepoCheck):
			resp := e.do(http.MethodGet, c.Path, h, nil)
			require.Equal(t, http.StatusOK, resp.code)
			assert.JSONEq(t, `{"data":{"id":"repo-local-1","name":"repo-local-1"}}`, string(resp.body))
		case c.Method == http.MethodGet && strings.HasPrefix(c.Path, pathUploadURL):
			// The capture's path carries the raw, unencoded query the SDK sent.
			resp := e.do(http.MethodGet, c.Path, h, nil)
			require.Equal(t, http.StatusOK, resp.code, string(resp.body))
			data := resp.json(t)["data"].(map[string]any)
			key := data["key"].(string)
			assert.True(t, strings.HasPrefix(data["url"].(string), e.url+pathBlobPut+"?"), data["url"])
			uploads[key] = data["url"].(string)
		case c.Method == http.MethodPut:
			// The capture's PUT went to the recorder's own URL; send it to
			// the URL we minted for the same key (without API key, like
			// Python and Go).
			key := strings.NewReplacer("%2F", "/").Replace(strings.TrimPrefix(c.Path, "/signed-upload/"))
			u, ok := uploads[key]
			require.True(t, ok, "no upload URL minted for %s", key)
			body := []byte(c.Body)
			if c.Omitted {
				body = largeLine
			}
			req, err := http.NewRequest(http.MethodPut, u, bytes.NewReader(body))
			require.NoError(t, err)
			resp, err := http.DefaultClient.Do(req)
			require.NoError(t, err)
			resp.Body.Close()
			require.Equal(t, http.StatusOK, resp.StatusCode)
			stored, err := e.r.blobs.Get(context.Background(), key)
			require.NoError(t, err)
			require.Equal(t, body, stored)
		case c.Method == http.MethodPost:
			resp := e.push(testRepo, testKey, []byte(c.Body))
			require.Equal(t, http.StatusOK, resp.code, string(resp.body))
			// The expectation comes from the protocol grammar (docs/protocol.md §2.2), not
			// from the parser under test.
			n := 0
			for _, l := range strings.Split(c.Body, "\n") {
				if l = strings.TrimSpace(l); l == "" {
					continue
				}
				m := lineGrammar.FindStringSubmatch(l)
				require.NotNil(t, m, "capture line does not match the grammar: %.100s", l)
				w := wantCommit{entity: m[1], id: m[2], action: m[3], data: m[4]}
				if w.entity == "storage" && w.action == "process-large-log" {
					lm := lineGrammar.FindStringSubmatch(string(largeLine))
					w = wantCommit{entity: lm[1], id: lm[2], action: lm[3], data: lm[4]}
				}
				want = append(want, w)
				n++
			}
			assert.JSONEq(t, fmt.Sprintf(`{"data":{"success":true,"accepted":%d}}`, n), string(resp.body))
		}
	}
	got := e.commits()
	require.Len(t, got, len(want))
	for i, w := range want {
		assert.Equal(t, w.entity, string(got[i].Entity), "commit %d", i)
		assert.Equal(t, w.id, got[i].EntityID, "commit %d", i)
		assert.Equal(t, w.action, string(got[i].Action), "commit %d", i)
		assert.JSONEq(t, w.data, string(got[i].Data), "commit %d", i)
		assert.Equal(t, testRepo, got[i].Repo)
		assert.Equal(t, commit.ComputeID(testRepo, got[i].Entity, got[i].EntityID, got[i].Action, got[i].Data), got[i].ID)
	}
	// The 503'd batch and its resend (seq 8 and 9) yield identical commit ids.
	require.GreaterOrEqual(t, len(got), 14)
	tail := got[len(got)-14:]
	for i := 0; i < 7; i++ {
		assert.Equal(t, tail[i].ID, tail[7+i].ID, "resent line %d", i)
	}
	// The 950 KB output arrived whole.
	var sawLarge bool
	for _, c := range got {
		if c.EntityID == "trace-edge" && c.Action == commit.ActionUpdate {
			sawLarge = true
			assert.Len(t, c.Data, len(`{"output":""}`)+950000)
		}
	}
	assert.True(t, sawLarge)
	// Versions increase in line order within a push.
	for i := 1; i < len(got); i++ {
		assert.Less(t, got[i-1].Version, got[i].Version)
	}
	// The repository travels in the request metadata for the normalizer.
	for _, ctx := range e.logs.Contexts() {
		assert.Equal(t, []string{testRepo}, client.FromContext(ctx).Metadata.Get("x-maxim-repo-id"))
	}
}

func TestPushIsIdempotent(t *testing.T) {
	e := newEnv(t, envOpts{})
	body := jsSessionBody(t)
	require.Equal(t, http.StatusOK, e.push(testRepo, testKey, body).code)
	// A file replay: same lines, no trailing LF.
	require.Equal(t, http.StatusOK, e.push(testRepo, testKey, bytes.TrimRight(body, "\n")).code)
	got := e.commits()
	require.Equal(t, 0, len(got)%2)
	half := len(got) / 2
	for i := 0; i < half; i++ {
		assert.Equal(t, got[i].ID, got[half+i].ID, "same content, same commit id")
	}
}

func TestPythonDialect(t *testing.T) {
	e := newEnv(t, envOpts{})
	body := strings.Join([]string{
		`session{id=py-sess-1,action=create,data={"name": "py session", "tags": {"lang": "py"}, "startTimestamp": "2026-11-22T08:35:08.941342+00:00"}}`,
		`span{id=py-span-1,action=add-generation,data={"name": "g", "model": "gpt-4o-mini", "messages": [{"role": "user", "content": "hi"}], "modelParameters": {"temperature": "0.1", "max_tokens": "256"}, "id": "py-gen-1", "spanId": "py-span-1"}}`,
		`generation{id=py-gen-1,action=update,data={"metrics": {"score": NaN, "up": Infinity, "down": -Infinity}}}`,
		`span{id=py-span-1,action=add-error,data={"startTimestamp": "2026-11-22T08:35:08.941910+00:00", "message": "boom", "code": "E1", "errorType": "x"}}`,
		`trace{id=py-trace-1,action=create,data={"name": "turn", "input": "h\u00e9llo"}}`,
		`tool_call{id=py-tc-1,action=update,data=null}`,
	}, "\n") // no trailing LF, no Content-Type
	resp := e.do(http.MethodPost, "/api/sdk/v3/log?id="+testRepo, map[string]string{"x-maxim-api-key": testKey}, []byte(body))
	require.Equal(t, http.StatusOK, resp.code, string(resp.body))
	assert.Equal(t, "application/json", resp.header.Get("Content-Type"))
	assert.JSONEq(t, `{"data":{"success":true,"accepted":6}}`, string(resp.body))
	got := e.commits()
	require.Len(t, got, 6)
	assert.JSONEq(t, `{"metrics": {"score": null, "up": null, "down": null}}`, string(got[2].Data))
	assert.Contains(t, string(got[1].Data), `"temperature": "0.1"`)
	assert.Equal(t, commit.ActionAddError, got[3].Action)
}

func TestPartlyMalformedBody(t *testing.T) {
	e := newEnv(t, envOpts{})
	body := "trace{id=t1,action=create,data={\"name\":\"ok\"}}\n" +
		"this is not a commit\n" +
		"\n" +
		"trace{id=t1,action=update,data={\"output\":}}\n" +
		"widget{id=w1,action=create,data={}}\n" +
		"trace{id=t1,action=end,data={\"endTimestamp\":\"2026-01-01T00:00:00Z\"}}\n"
	resp := e.push(testRepo, testKey, []byte(body))
	require.Equal(t, http.StatusOK, resp.code)
	m := resp.json(t)
	assert.NotContains(t, m, "error", "SDKs treat an `error` key as failure and resend forever")
	data := m["data"].(map[string]any)
	assert.Equal(t, true, data["success"])
	assert.EqualValues(t, 2, data["accepted"])
	assert.EqualValues(t, 3, data["rejectedCount"])
	rej := data["rejected"].([]any)
	require.Len(t, rej, 3)
	lines := []float64{}
	for _, r := range rej {
		rm := r.(map[string]any)
		lines = append(lines, rm["line"].(float64))
		assert.NotEmpty(t, rm["reason"])
	}
	assert.ElementsMatch(t, []float64{2, 4, 5}, lines)
	assert.Contains(t, fmt.Sprint(rej), `unknown entity "widget"`)
	got := e.commits()
	require.Len(t, got, 2)
	assert.Equal(t, commit.ActionCreate, got[0].Action)
	assert.Equal(t, commit.ActionEnd, got[1].Action)

	refused := counterByAttrs(t, e, "otelcol_mxin_commits_refused")
	assert.EqualValues(t, 2, refused[attrKey("", "", reasonMalformed)])
	assert.EqualValues(t, 1, refused[attrKey("widget", "create", reasonUnknownEntity)])
	accepted := counterByAttrs(t, e, "otelcol_mxin_commits_accepted")
	assert.EqualValues(t, 1, accepted[attrKey("trace", "create", "")])
	assert.EqualValues(t, 1, accepted[attrKey("trace", "end", "")])
}

func TestWhollyMalformedBodyIsStillAccepted(t *testing.T) {
	e := newEnv(t, envOpts{})
	resp := e.push(testRepo, testKey, []byte("garbage\nmore garbage"))
	require.Equal(t, http.StatusOK, resp.code)
	data := resp.json(t)["data"].(map[string]any)
	assert.EqualValues(t, 0, data["accepted"])
	assert.EqualValues(t, 2, data["rejectedCount"])
	assert.Empty(t, e.logs.AllLogs(), "nothing to hand on")
}

// TestMillionBadLines: every bad line is counted (response and metric) but
// only maxReportedLines are detailed, the good line after them keeps its
// line number, and the answer stays small.
func TestMillionBadLines(t *testing.T) {
	e := newEnv(t, envOpts{})
	body := strings.Repeat("x\n", 1000000) + "trace{id=t1,action=create,data={}}\n"
	resp := e.push(testRepo, testKey, []byte(body))
	require.Equal(t, http.StatusOK, resp.code)
	assert.Less(t, len(resp.body), 64<<10)
	data := resp.json(t)["data"].(map[string]any)
	assert.EqualValues(t, 1, data["accepted"])
	assert.EqualValues(t, 1000000, data["rejectedCount"])
	assert.Len(t, data["rejected"], maxReportedLines)
	refused := counterByAttrs(t, e, "otelcol_mxin_commits_refused")
	assert.EqualValues(t, 1000000, refused[attrKey("", "", reasonMalformed)])

	// A line refused after parsing is still numbered by its place.
	resp = e.push(testRepo, testKey, []byte(strings.Repeat("x\n\n", 50)+"widget{id=w,action=create,data={}}\n"))
	data = resp.json(t)["data"].(map[string]any)
	assert.EqualValues(t, 51, data["rejectedCount"])
	rej := data["rejected"].([]any)
	require.Len(t, rej, 51)
	assert.EqualValues(t, 101, rej[50].(map[string]any)["line"])
}

func TestAuthErrors(t *testing.T) {
	e := newEnv(t, envOpts{})
	body := []byte(`trace{id=t1,action=create,data={}}`)
	tests := []struct {
		name string
		key  string
		repo string
	}{
		{"missing key", "", testRepo},
		{"wrong key", "nope", testRepo},
		{"key used for a repo it does not own", teamKey, foreignRepo},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp := e.push(tt.repo, tt.key, body)
			assert.Equal(t, http.StatusForbidden, resp.code)
			assert.JSONEq(t, invalidAccess, string(resp.body))
			assert.Equal(t, "application/json", resp.header.Get("Content-Type"))
		})
	}
	assert.Empty(t, e.logs.AllLogs())
	// The scoped key works for its own repo.
	resp := e.push(teamRepo, teamKey, body)
	assert.Equal(t, http.StatusOK, resp.code)
	// Repo check is scoped the same way.
	resp = e.do(http.MethodGet, pathRepoCheck+"?loggerId="+foreignRepo, map[string]string{"x-maxim-api-key": teamKey}, nil)
	assert.Equal(t, http.StatusForbidden, resp.code)
	assert.JSONEq(t, invalidAccess, string(resp.body))
}

func TestMissingRepo(t *testing.T) {
	e := newEnv(t, envOpts{})
	resp := e.do(http.MethodPost, pathPush, map[string]string{"x-maxim-api-key": testKey}, []byte(`trace{id=t1,action=create,data={}}`))
	assert.Equal(t, http.StatusBadRequest, resp.code)
	assert.JSONEq(t, `{"error":{"message":"missing query parameter id (the log repository)"}}`, string(resp.body))
}

func TestBodyLimit(t *testing.T) {
	e := newEnv(t, envOpts{cfg: func(c *Config) { c.MaxRequestBodySize = 1024 }})
	line := `trace{id=t1,action=update,data={"output":"` + strings.Repeat("x", 2000) + `"}}`
	resp := e.push(testRepo, testKey, []byte(line))
	assert.Equal(t, http.StatusRequestEntityTooLarge, resp.code)
	assert.JSONEq(t, `{"error":{"message":"request body over 1024 bytes (max_request_body_size)"}}`, string(resp.body))
	assert.Empty(t, e.logs.AllLogs())
}

func TestGzipBody(t *testing.T) {
	e := newEnv(t, envOpts{})
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	_, _ = zw.Write(jsSessionBody(t))
	require.NoError(t, zw.Close())
	resp := e.do(http.MethodPost, "/api/sdk/v3/log?id="+testRepo, map[string]string{"x-maxim-api-key": testKey, "Content-Encoding": "gzip"}, buf.Bytes())
	require.Equal(t, http.StatusOK, resp.code, string(resp.body))
	parsed, _ := commit.ParseBody(testRepo, jsSessionBody(t), nil)
	assert.Len(t, e.commits(), len(parsed))
}

func TestPipelineErrors(t *testing.T) {
	body := []byte(`trace{id=t1,action=create,data={}}`)
	tests := []struct {
		name       string
		err        error
		wantCode   int
		retryAfter string
		wantMsg    string
	}{
		{"retryable", errors.New("queue is full"), http.StatusServiceUnavailable, "3",
			"consume 1 commits: queue is full"},
		{"memory limiter style", status.Error(codes.ResourceExhausted, "memory limit"), http.StatusTooManyRequests, "3",
			"consume 1 commits: rpc error: code = ResourceExhausted desc = memory limit"},
		{"unavailable status", status.Error(codes.Unavailable, "down"), http.StatusServiceUnavailable, "3",
			"consume 1 commits: rpc error: code = Unavailable desc = down"},
		{"permanent", consumererror.NewPermanent(errors.New("exporter rejected")), http.StatusInternalServerError, "",
			"consume 1 commits: Permanent error: exporter rejected"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, envOpts{logs: consumertest.NewErr(tt.err), cfg: func(c *Config) { c.RetryAfter = 2500e6 }})
			resp := e.push(testRepo, testKey, body)
			assert.Equal(t, tt.wantCode, resp.code)
			assert.Equal(t, tt.retryAfter, resp.header.Get("Retry-After"))
			// An `error` key: the SDK keeps the batch and resends it.
			assert.JSONEq(t, `{"error":{"message":"pipeline refused the data; resend later: `+tt.wantMsg+`"}}`, string(resp.body))
			refused := counterByAttrs(t, e, "otelcol_mxin_commits_refused")
			assert.EqualValues(t, 1, refused[attrKey("trace", "create", reasonPipeline)])
		})
	}
}

func TestNotFoundRoute(t *testing.T) {
	e := newEnv(t, envOpts{})
	resp := e.do(http.MethodGet, "/nope", nil, nil)
	assert.Equal(t, http.StatusNotFound, resp.code)
	assert.JSONEq(t, `{"error":{"message":"no such route"}}`, string(resp.body))
	resp = e.do(http.MethodGet, pathPush+"?id="+testRepo, map[string]string{"x-maxim-api-key": testKey}, nil)
	assert.Equal(t, http.StatusMethodNotAllowed, resp.code)
	assert.Equal(t, "POST", resp.header.Get("Allow"))
	assert.JSONEq(t, `{"error":{"message":"method not allowed; use POST"}}`, string(resp.body))
}

func TestObsReportCountsAcceptedRecords(t *testing.T) {
	e := newEnv(t, envOpts{})
	body := jsSessionBody(t)
	require.Equal(t, http.StatusOK, e.push(testRepo, testKey, body).code)
	parsed, _ := commit.ParseBody(testRepo, body, nil)
	m, err := e.tel.GetMetric("otelcol_receiver_accepted_log_records")
	require.NoError(t, err)
	var total int64
	for _, dp := range m.Data.(metricdata.Sum[int64]).DataPoints {
		total += dp.Value
	}
	assert.EqualValues(t, len(parsed), total)
}

func attrKey(entity, action, reason string) string {
	return entity + "|" + action + "|" + reason
}

func counterByAttrs(t *testing.T, e *env, name string) map[string]int64 {
	t.Helper()
	m, err := e.tel.GetMetric(name)
	require.NoError(t, err)
	out := map[string]int64{}
	for _, dp := range m.Data.(metricdata.Sum[int64]).DataPoints {
		get := func(k string) string {
			v, _ := dp.Attributes.Value(attribute.Key(k))
			return v.AsString()
		}
		out[attrKey(get("entity"), get("action"), get("reason"))] += dp.Value
	}
	return out
}

// A baseUrl with a trailing slash ("http://host:8088/") makes the SDK post to
// "//api/sdk/v3/log": it must be ingested, not redirected.
func TestDoubleSlashPath(t *testing.T) {
	e := newEnv(t, envOpts{})
	resp := e.do(http.MethodPost, "//api/sdk/v3/log?id="+testRepo, map[string]string{"x-maxim-api-key": testKey}, []byte(`trace{id=t1,action=create,data={}}`))
	require.Equal(t, http.StatusOK, resp.code, string(resp.body))
	assert.JSONEq(t, `{"data":{"success":true,"accepted":1}}`, string(resp.body))
	require.Len(t, e.commits(), 1)
}

// Concurrent pushes: every commit arrives once, and no two commits share a
// version (the fold's last-writer order must be total).
func TestConcurrentPushes(t *testing.T) {
	e := newEnv(t, envOpts{})
	const workers, pushes, linesPer = 8, 10, 5
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for p := 0; p < pushes; p++ {
				var b strings.Builder
				for l := 0; l < linesPer; l++ {
					fmt.Fprintf(&b, "trace{id=t-%d-%d,action=update,data={\"metrics\":{\"n\":%d}}}\n", w, p, l)
				}
				resp := e.push(testRepo, testKey, []byte(b.String()))
				assert.Equal(t, http.StatusOK, resp.code)
			}
		}(w)
	}
	wg.Wait()
	got := e.commits()
	require.Len(t, got, workers*pushes*linesPer)
	versions := map[int64]bool{}
	for _, c := range got {
		assert.False(t, versions[c.Version], "duplicate version %d", c.Version)
		versions[c.Version] = true
	}
}

// SDK temp-file replays are not chunked: a body far above the SDKs' 5 MiB
// request size must be accepted with the default limit.
func TestBodyAboveSDKChunkSize(t *testing.T) {
	e := newEnv(t, envOpts{})
	var b strings.Builder
	filler := strings.Repeat("z", 1000)
	n := 0
	for b.Len() < 6<<20 {
		fmt.Fprintf(&b, "trace{id=t-%d,action=update,data={\"output\":\"%s\"}}\n", n, filler)
		n++
	}
	resp := e.push(testRepo, testKey, []byte(b.String()))
	require.Equal(t, http.StatusOK, resp.code, "%.300s", resp.body)
	assert.JSONEq(t, fmt.Sprintf(`{"data":{"success":true,"accepted":%d}}`, n), string(resp.body))
	assert.Len(t, e.commits(), n)
}

// TestPushRefusesUnreadableReferencedIDs: a line whose data names a node
// (session, child, parent) by an id the query API cannot read is rejected
// with its line number and reason, like a line with such an id of its own;
// the good lines around it are ingested.
func TestPushRefusesUnreadableReferencedIDs(t *testing.T) {
	e := newEnv(t, envOpts{})
	long := strings.Repeat("s", commit.MaxIDLen+1)
	body := "trace{id=t1,action=create,data={\"name\":\"ok\"}}\n" +
		"trace{id=t1,action=update,data={\"sessionId\":\"" + long + "\"}}\n" +
		"trace{id=t1,action=add-span,data={\"id\":\"sp\\u0000\"}}\n" +
		"tool_call{id=c1,action=create,data={\"spanId\":\"" + long + "\"}}\n" +
		"trace{id=t1,action=add-span,data={\"id\":\"sp1\"}}\n"
	resp := e.push(testRepo, testKey, []byte(body))
	require.Equal(t, http.StatusOK, resp.code)
	data := resp.json(t)["data"].(map[string]any)
	assert.EqualValues(t, 2, data["accepted"])
	rej := data["rejected"].([]any)
	require.Len(t, rej, 3)
	reasons := map[float64]string{}
	for _, r := range rej {
		rm := r.(map[string]any)
		reasons[rm["line"].(float64)] = rm["reason"].(string)
	}
	assert.Contains(t, reasons[2], "data names a session: entity id is 513 bytes, over the 512-byte limit")
	assert.Contains(t, reasons[3], "data names a span: entity id")
	assert.Contains(t, reasons[4], "data names a span: entity id is 513 bytes")
	got := e.commits()
	require.Len(t, got, 2)
	assert.Equal(t, commit.ActionCreate, got[0].Action)
	assert.Equal(t, commit.ActionAddSpan, got[1].Action)
	refused := counterByAttrs(t, e, "otelcol_mxin_commits_refused")
	assert.EqualValues(t, 1, refused[attrKey("trace", "update", reasonMalformed)])
}

// failSecond accepts the first ConsumeLogs call and refuses every later one.
type failSecond struct {
	consumertest.LogsSink
	calls int
}

func (f *failSecond) ConsumeLogs(ctx context.Context, ld plog.Logs) error {
	if f.calls++; f.calls > 1 {
		return errors.New("queue is full")
	}
	return f.LogsSink.ConsumeLogs(ctx, ld)
}

// TestPushConsumedInChunks: a push is parsed and consumed pushChunk commits
// at a time (a request holds one chunk, not 64 MiB of commits), in line
// order; a chunk the pipeline refuses fails the whole push, which the SDK
// then resends.
func TestPushConsumedInChunks(t *testing.T) {
	var b strings.Builder
	n := 2*pushChunk + 10
	for i := 0; i < n; i++ {
		fmt.Fprintf(&b, "trace{id=t%d,action=create,data={}}\n", i)
	}
	b.WriteString("widget{id=w,action=create,data={}}\n")

	e := newEnv(t, envOpts{})
	resp := e.push(testRepo, testKey, []byte(b.String()))
	require.Equal(t, http.StatusOK, resp.code, string(resp.body))
	data := resp.json(t)["data"].(map[string]any)
	assert.EqualValues(t, n, data["accepted"])
	assert.EqualValues(t, 1, data["rejectedCount"])
	assert.EqualValues(t, n+1, data["rejected"].([]any)[0].(map[string]any)["line"])
	calls := e.logs.AllLogs()
	require.Len(t, calls, 3)
	for _, ld := range calls {
		assert.LessOrEqual(t, ld.LogRecordCount(), pushChunk)
	}
	got := e.commits()
	require.Len(t, got, n)
	for i := 1; i < n; i++ {
		require.Less(t, got[i-1].Version, got[i].Version, "line order across chunks")
	}

	sink := &failSecond{}
	e = newEnv(t, envOpts{logs: sink})
	resp = e.push(testRepo, testKey, []byte(b.String()))
	assert.Equal(t, http.StatusServiceUnavailable, resp.code, string(resp.body))
	assert.NotEmpty(t, resp.header.Get("Retry-After"))
	assert.Equal(t, pushChunk, sink.LogRecordCount(), "the first chunk was consumed before the second failed")
}
