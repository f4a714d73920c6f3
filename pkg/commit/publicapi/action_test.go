package publicapi

import (
	"encoding/json"
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
			var d Fields
			require.NoError(t, json.Unmarshal([]byte(tt.data), &d))
			ws, err := TranslateAction(Action{Entity: tt.entity, Action: tt.action, EntityID: tt.id, Data: d})
			require.NoError(t, err)
			require.Len(t, ws, 1)
			c := ws[0].Commit("", 0)
			want, err := commit.ParseLine("", []byte(tt.want), 0)
			require.NoError(t, err)
			assert.Equal(t, want.Entity, c.Entity)
			assert.Equal(t, want.EntityID, c.EntityID)
			assert.Equal(t, want.Action, c.Action)
			assert.JSONEq(t, string(want.Data), string(c.Data))
		})
	}
	_, err := TranslateAction(Action{Entity: "trace", Action: "fly", EntityID: "t"})
	assert.ErrorContains(t, err, `unknown action "fly"`)
	_, err = TranslateAction(Action{Entity: "planet", Action: "end", EntityID: "t"})
	assert.ErrorContains(t, err, `unknown entity "planet"`)
	_, err = TranslateAction(Action{Entity: "trace", Action: "add-tag", EntityID: "t", Data: Fields{}})
	assert.ErrorContains(t, err, "missing data.tagKey")
}
