package mxinreceiver

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/otelcol-genai/otelcol-genai/pkg/commit"
)

func TestLoggingEndpoint(t *testing.T) {
	e := newEnv(t, envOpts{})
	h := map[string]string{"x-maxim-api-key": testKey, "Content-Type": "application/json"}
	body := `{"repoId":"` + testRepo + `","entity":"trace","action":"add-tag","entityId":"t1","data":{"tagKey":"k","tagValue":"v"}}`
	resp := e.do(http.MethodPost, pathLogging, h, []byte(body))
	require.Equal(t, http.StatusOK, resp.code, string(resp.body))
	assert.JSONEq(t, `{"success":true,"entity":"trace","action":"add-tag","entityId":"t1"}`, string(resp.body))
	got := e.commits()
	require.Len(t, got, 1)
	assert.Equal(t, testRepo, got[0].Repo)
	assert.JSONEq(t, `{"tags":{"k":"v"}}`, string(got[0].Data))

	// Resending the same action yields the same commit id (idempotent).
	require.Equal(t, http.StatusOK, e.do(http.MethodPost, pathLogging, h, []byte(body)).code)
	got = e.commits()
	require.Len(t, got, 2)
	assert.Equal(t, got[0].ID, got[1].ID)

	resp = e.do(http.MethodPost, pathLogging, h, []byte(`{"repoId":"`+testRepo+`","entity":"trace","action":"fly","entityId":"t1"}`))
	assert.Equal(t, http.StatusBadRequest, resp.code)
	assert.JSONEq(t, `{"success":false,"message":"unknown action \"fly\" for entity \"trace\""}`, string(resp.body))

	resp = e.do(http.MethodPost, pathLogging, map[string]string{"x-maxim-api-key": teamKey}, []byte(body))
	assert.Equal(t, http.StatusForbidden, resp.code, "repoId is checked against the key")
	assert.JSONEq(t, invalidAccess, string(resp.body))
}

func TestLoggingBatchEndpoints(t *testing.T) {
	for _, path := range []string{pathLogsBatch, pathLoggingBtch} {
		t.Run(path, func(t *testing.T) {
			e := newEnv(t, envOpts{})
			body := `{"repoId":"` + testRepo + `","logs":[
				{"id":"s1","type":"session","name":"sess"},
				{"id":"t1","type":"trace","name":"turn","sessionId":"s1","feedback":{"score":5},"endTimestamp":"2026-01-01T00:00:01Z"},
				{"id":"sp1","type":"span","traceId":"t1","name":"step"},
				{"id":"g1","type":"generation","spanId":"sp1","model":"gpt","result":{"object":"chat.completion"}},
				{"id":"c1","type":"toolCall","traceId":"t1","name":"w","error":{"message":"x"}},
				{"id":"e1","type":"event","traceId":"t1","name":"hit"},
				{"type":"bogus","id":"x"}
			]}`
			resp := e.do(http.MethodPost, path, map[string]string{"x-maxim-api-key": testKey}, []byte(body))
			require.Equal(t, http.StatusOK, resp.code, string(resp.body))
			m := resp.json(t)
			assert.Equal(t, true, m["success"])
			assert.Len(t, m["rejected"], 1)
			var lines []string
			for _, c := range e.commits() {
				lines = append(lines, string(c.Entity)+"/"+c.EntityID+"/"+string(c.Action))
			}
			assert.Equal(t, []string{
				"session/s1/create",
				"trace/t1/create", "trace/t1/add-feedback", "trace/t1/end",
				"trace/t1/add-span", "span/sp1/create",
				"span/sp1/add-generation", "generation/g1/result",
				"trace/t1/add-tool-call", "tool_call/c1/error",
				"trace/t1/add-event",
			}, lines)
			assert.EqualValues(t, len(lines), m["accepted"])
		})
	}
}

// TestPublicAPIRefusesBadEntityIDs: the public API accepts the ids the SDK
// endpoint accepts and no others (NUL, control characters, over the length
// the query API can read).
func TestPublicAPIRefusesBadEntityIDs(t *testing.T) {
	e := newEnv(t, envOpts{})
	h := map[string]string{"x-maxim-api-key": testKey, "Content-Type": "application/json"}
	for _, id := range []string{`a\u0000b`, `a\nb`, `\u007f`, strings.Repeat("x", commit.MaxIDLen+1)} {
		body := `{"repoId":"` + testRepo + `","entity":"trace","action":"add-tag","entityId":"` + id + `","data":{"tagKey":"k","tagValue":"v"}}`
		resp := e.do(http.MethodPost, pathLogging, h, []byte(body))
		assert.Equal(t, http.StatusBadRequest, resp.code, "id %.20s: %s", id, resp.body)
		assert.Contains(t, string(resp.body), "entityId")
	}
	assert.Empty(t, e.commits())
}

// TestPublicAPIRefusesUnreadableReferencedIDs: the ids an action names in
// its data (the trace or span it is added to, the session, a child) become
// entity ids and edges too, so they are held to the same rule as entityId:
// one over the query API's limit, or with control characters, is refused
// (400 for an action, a rejected entry in a batch) and nothing is stored.
func TestPublicAPIRefusesUnreadableReferencedIDs(t *testing.T) {
	e := newEnv(t, envOpts{})
	long := strings.Repeat("x", commit.MaxIDLen+1)
	h := map[string]string{"x-maxim-api-key": testKey, "Content-Type": "application/json"}
	actions := []string{
		`"entity":"span","action":"add-trace-span","entityId":"sp1","data":{"traceId":"` + long + `"}`,
		`"entity":"trace","action":"add-to-session","entityId":"t1","data":{"sessionId":"s\u0000"}`,
		`"entity":"session","action":"add-trace","entityId":"s1","data":{"traceId":"` + long + `"}`,
	}
	for _, a := range actions {
		resp := e.do(http.MethodPost, pathLogging, h, []byte(`{"repoId":"`+testRepo+`",`+a+`}`))
		assert.Equal(t, http.StatusBadRequest, resp.code, "%.60s: %s", a, resp.body)
		assert.Contains(t, string(resp.body), "entity id", a)
	}
	body := `{"repoId":"` + testRepo + `","logs":[
		{"id":"t1","type":"trace","name":"turn","sessionId":"` + long + `"},
		{"id":"sp1","type":"span","traceId":"t\u0007"},
		{"id":"t2","type":"trace","name":"ok"}
	]}`
	resp := e.do(http.MethodPost, pathLogsBatch, h, []byte(body))
	require.Equal(t, http.StatusOK, resp.code, string(resp.body))
	m := resp.json(t)
	require.Len(t, m["rejected"], 2, string(resp.body))
	assert.Contains(t, fmt.Sprint(m["rejected"]), "data names a session")
	var got []string
	for _, c := range e.commits() {
		got = append(got, string(c.Entity)+"/"+c.EntityID+"/"+string(c.Action))
	}
	assert.Equal(t, []string{"trace/t2/create"}, got)
}
