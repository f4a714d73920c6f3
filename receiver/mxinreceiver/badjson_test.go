package mxinreceiver

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.opentelemetry.io/collector/pdata/ptrace/ptraceotlp"
)

// TestBadJSONIsA400: bodies labelled JSON that are not (invalid UTF-8 in a
// string, protobuf bytes) are the client's mistake: 400 with a JSON error
// that says so, on every JSON endpoint, never a 5xx.
func TestBadJSONIsA400(t *testing.T) {
	e := newEnv(t, envOpts{})
	td := ptrace.NewTraces()
	s := td.ResourceSpans().AppendEmpty().ScopeSpans().AppendEmpty().Spans().AppendEmpty()
	s.SetName("llm\xff")
	s.SetTraceID([16]byte{1})
	s.SetSpanID([8]byte{2})
	proto, err := ptraceotlp.NewExportRequestFromTraces(td).MarshalProto()
	assert.NoError(t, err)
	bodies := map[string][]byte{
		"invalid utf-8": []byte(`{"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"5f8c7f9a3ef14f67af716ef4cf4a9d23","spanId":"8f2c9c1c6e5d4b2a","name":"a` + "\xff\xfe" + `"}]}]}]}`),
		"protobuf":      proto,
	}
	for name, body := range bodies {
		for _, path := range []string{pathOTel, pathLogging, pathLogsBatch} {
			h := map[string]string{"x-maxim-api-key": testKey, "x-maxim-repo-id": testRepo, "Content-Type": "application/json"}
			resp := e.do(http.MethodPost, path, h, body)
			assert.Equal(t, http.StatusBadRequest, resp.code, "%s %s: %s", name, path, resp.body)
			assert.NotEmpty(t, resp.json(t), "%s %s", name, path)
		}
	}
}
