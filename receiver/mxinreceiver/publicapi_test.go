package mxinreceiver

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/otelcol-genai/otelcol-genai/pkg/commit"
)

func TestTranslateAction(t *testing.T) {
	tests := []struct {
		entity, action, id, data string
		want                     string // entity{id=…,action=…,data=…}
	}{
		{"trace", "start", "t1", `{"name":"n","sessionId":"s1","tags":{"a":"b"}}`, `trace{id=t1,action=create,data={"name":"n","sessionId":"s1","tags":{"a":"b"}}}`},
		{"trace", "add-input", "t1", `{"input":"q"}`, `trace{id=t1,action=update,data={"input":"q"}}`},
		{"trace", "add-output", "t1", `{"output":"a"}`, `trace{id=t1,action=update,data={"output":"a"}}`},
		{"trace", "add-tag", "t1", `{"tagKey":"env","tagValue":"prod"}`, `trace{id=t1,action=update,data={"tags":{"env":"prod"}}}`},
		{"trace", "add-metric", "t1", `{"metricName":"m","metricValue":1.5}`, `trace{id=t1,action=update,data={"metrics":{"m":1.5}}}`},
		{"trace", "add-to-session", "t1", `{"sessionId":"s9"}`, `trace{id=t1,action=update,data={"sessionId":"s9"}}`},
		{"trace", "add-span", "t1", `{"spanId":"sp1","name":"x"}`, `trace{id=t1,action=add-span,data={"id":"sp1","name":"x"}}`},
		{"trace", "add-generation", "t1", `{"generationId":"g1","model":"m","provider":"openai","messages":[],"modelParameters":{}}`, `trace{id=t1,action=add-generation,data={"id":"g1","messages":[],"model":"m","modelParameters":{},"provider":"openai"}}`},
		{"trace", "add-event", "t1", `{"eventId":"e1","eventName":"hit"}`, `trace{id=t1,action=add-event,data={"id":"e1","name":"hit"}}`},
		{"trace", "add-feedback", "t1", `{"feedback":{"score":4,"comment":"ok"}}`, `trace{id=t1,action=add-feedback,data={"comment":"ok","score":4}}`},
		{"trace", "add-tool-call", "t1", `{"toolCallId":"c1","toolName":"w","description":"d","args":"{}"}`, `trace{id=t1,action=add-tool-call,data={"args":"{}","description":"d","id":"c1","name":"w"}}`},
		{"trace", "evaluate", "t1", `{"evaluators":["bias"],"variables":{"c":"x"}}`, `trace{id=t1,action=evaluate,data={"evaluators":["bias"],"variables":{"c":"x"},"with":"variables"}}`},
		{"trace", "add-attachment", "t1", `{"attachmentId":"a1","url":"https://x/y.png"}`, `trace{id=t1,action=add-attachment,data={"id":"a1","type":"url","url":"https://x/y.png"}}`},
		{"trace", "end", "t1", `{}`, `trace{id=t1,action=end,data={}}`},
		{"session", "create", "s1", `{"name":"s"}`, `session{id=s1,action=create,data={"name":"s"}}`},
		{"session", "add-trace", "s1", `{"traceId":"t2","name":"n"}`, `trace{id=t2,action=create,data={"name":"n","sessionId":"s1"}}`},
		{"generation", "add-trace-generation", "g1", `{"traceId":"t1","model":"m"}`, `trace{id=t1,action=add-generation,data={"id":"g1","model":"m"}}`},
		{"generation", "add-span-generation", "g1", `{"spanId":"sp1","model":"m"}`, `span{id=sp1,action=add-generation,data={"id":"g1","model":"m"}}`},
		{"generation", "add-message", "g1", `{"message":[{"role":"user","content":"hi"}]}`, `generation{id=g1,action=update,data={"messages":[{"role":"user","content":"hi"}]}}`},
		{"generation", "error", "g1", `{"errorMessage":"boom","errorCode":"500"}`, `generation{id=g1,action=result,data={"result":{"error":{"code":"500","message":"boom"}}}}`},
		{"generation", "add-result", "g1", `{"result":{"object":"chat.completion"}}`, `generation{id=g1,action=result,data={"result":{"object":"chat.completion"}}}`},
		{"generation", "set-model", "g1", `{"model":"m2"}`, `generation{id=g1,action=update,data={"model":"m2"}}`},
		{"generation", "set-model-parameters", "g1", `{"modelParameters":{"t":1}}`, `generation{id=g1,action=update,data={"modelParameters":{"t":1}}}`},
		{"span", "add-trace-span", "sp1", `{"traceId":"t1","name":"n"}`, `trace{id=t1,action=add-span,data={"id":"sp1","name":"n"}}`},
		{"span", "add-span", "sp1", `{"childSpanId":"sp2"}`, `span{id=sp1,action=add-span,data={"id":"sp2"}}`},
		{"span", "add-error", "sp1", `{"errorId":"e1","errorMessage":"m","errorType":"x"}`, `span{id=sp1,action=add-error,data={"errorType":"x","id":"e1","message":"m"}}`},
		{"retrieval", "add-output", "r1", `{"output":"doc"}`, `retrieval{id=r1,action=update,data={"docs":["doc"]}}`},
		{"retrieval", "add-output", "r1", `{"output":["a","b"]}`, `retrieval{id=r1,action=update,data={"docs":["a","b"]}}`},
		{"toolCall", "add-result", "c1", `{"result":"ok"}`, `tool_call{id=c1,action=result,data={"result":"ok"}}`},
		{"toolCall", "add-error", "c1", `{"errorMessage":"t"}`, `tool_call{id=c1,action=error,data={"error":{"message":"t"}}}`},
	}
	for _, tt := range tests {
		t.Run(tt.entity+"/"+tt.action, func(t *testing.T) {
			var d fields
			require.NoError(t, json.Unmarshal([]byte(tt.data), &d))
			ws, err := translateAction(publicAction{Entity: tt.entity, Action: tt.action, EntityID: tt.id, Data: d})
			require.NoError(t, err)
			require.Len(t, ws, 1)
			c := commit.Commit{Entity: ws[0].entity, EntityID: ws[0].id, Action: ws[0].action, Data: raw(ws[0].data)}
			want, err := commit.ParseLine("", []byte(tt.want), 0)
			require.NoError(t, err)
			assert.Equal(t, want.Entity, c.Entity)
			assert.Equal(t, want.EntityID, c.EntityID)
			assert.Equal(t, want.Action, c.Action)
			assert.JSONEq(t, string(want.Data), string(c.Data))
		})
	}
	_, err := translateAction(publicAction{Entity: "trace", Action: "fly", EntityID: "t"})
	assert.ErrorContains(t, err, `unknown action "fly"`)
	_, err = translateAction(publicAction{Entity: "planet", Action: "end", EntityID: "t"})
	assert.ErrorContains(t, err, `unknown entity "planet"`)
	_, err = translateAction(publicAction{Entity: "trace", Action: "add-tag", EntityID: "t", Data: fields{}})
	assert.ErrorContains(t, err, "missing data.tagKey")
}

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
