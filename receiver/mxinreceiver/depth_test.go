package mxinreceiver

import (
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/encoding/protowire"

	"github.com/otelcol-genai/otelcol-genai/internal/otlpcheck"
)

// nestedBody builds an ExportTraceServiceRequest whose one span attribute
// nests levels array_values deep, with raw protowire (pdata itself could not
// encode it without recursing). Lengths are computed from the inside out
// first, so the body is written front to back in linear time.
func nestedBody(levels int) []byte {
	// anyLen[i] is the size of the AnyValue i levels above the innermost
	// string_value "x".
	anyLen := make([]int, levels+1)
	anyLen[0] = protowire.SizeTag(1) + protowire.SizeBytes(1)
	for i := 1; i <= levels; i++ {
		arr := protowire.SizeTag(1) + protowire.SizeBytes(anyLen[i-1]) // ArrayValue.values
		anyLen[i] = protowire.SizeTag(5) + protowire.SizeBytes(arr)    // AnyValue.array_value
	}
	v := make([]byte, 0, anyLen[levels])
	for i := levels; i >= 1; i-- {
		v = protowire.AppendTag(v, 5, protowire.BytesType)
		v = protowire.AppendVarint(v, uint64(protowire.SizeTag(1)+protowire.SizeBytes(anyLen[i-1])))
		v = protowire.AppendTag(v, 1, protowire.BytesType)
		v = protowire.AppendVarint(v, uint64(anyLen[i-1]))
	}
	v = protowire.AppendTag(v, 1, protowire.BytesType)
	v = protowire.AppendString(v, "x")
	msg := func(field protowire.Number, inner []byte, prefix ...byte) []byte {
		b := protowire.AppendTag(nil, field, protowire.BytesType)
		return protowire.AppendBytes(b, append(prefix, inner...))
	}
	kv := protowire.AppendTag(nil, 1, protowire.BytesType)
	kv = protowire.AppendString(kv, "deep")
	kv = append(kv, msg(2, v)...) // KeyValue.value
	span := protowire.AppendTag(nil, 1, protowire.BytesType)
	span = protowire.AppendBytes(span, make([]byte, 16))
	span = protowire.AppendTag(span, 2, protowire.BytesType)
	span = protowire.AppendBytes(span, make([]byte, 8))
	span = append(span, msg(9, kv)...)  // Span.attributes
	scopeSpans := msg(2, span)          // ScopeSpans.spans
	resourceSpans := msg(2, scopeSpans) // ResourceSpans.scope_spans
	return msg(1, resourceSpans)        // ExportTraceServiceRequest.resource_spans
}

// TestOTelRefusesDeepNesting: a body nesting one attribute value far past
// otlpcheck.MaxValueDepth is refused with 400 before pdata decodes it (which would
// overflow the stack and kill the process); one at the limit is accepted.
func TestOTelRefusesDeepNesting(t *testing.T) {
	e := newEnv(t, envOpts{})
	h := map[string]string{"x-maxim-api-key": testKey, "x-maxim-repo-id": testRepo, "Content-Type": "application/x-protobuf"}

	resp := e.do(http.MethodPost, pathOTel, h, nestedBody(200000))
	assert.Equal(t, http.StatusBadRequest, resp.code)
	assert.JSONEq(t, `{"error":{"message":"undecodable OTLP traces: attribute values nest deeper than 32 levels"}}`, string(resp.body))

	resp = e.do(http.MethodPost, pathOTel, h, nestedBody(otlpcheck.MaxValueDepth-1)) // plus the attribute's own value
	require.Equal(t, http.StatusOK, resp.code, string(resp.body))
	assert.Equal(t, 1, e.traces.SpanCount())

	h["Content-Type"] = "application/json"
	deep := `{"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"5f8c7f9a3ef14f67af716ef4cf4a9d23","spanId":"8f2c9c1c6e5d4b2a","attributes":[{"key":"deep","value":` +
		strings.Repeat(`{"arrayValue":{"values":[`, 200000) + `{"stringValue":"x"}` + strings.Repeat(`]}}`, 200000) + `}]}]}]}]}`
	resp = e.do(http.MethodPost, pathOTel, h, []byte(deep))
	assert.Equal(t, http.StatusBadRequest, resp.code, string(resp.body))
}
