package otlpcheck

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/plog/plogotlp"
	"go.opentelemetry.io/collector/pdata/ptrace/ptraceotlp"
	"google.golang.org/protobuf/encoding/protowire"
)

// nestedValue is an AnyValue nesting levels array_values around the
// string_value "x" (levels+1 AnyValues), written with raw protowire (pdata
// itself could not encode it without recursing). Lengths are computed from
// the inside out first, so it is written front to back in linear time.
func nestedValue(levels int) []byte {
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
	return protowire.AppendString(v, "x")
}

func field(num protowire.Number, inner ...[]byte) []byte {
	b := protowire.AppendTag(nil, num, protowire.BytesType)
	var all []byte
	for _, x := range inner {
		all = append(all, x...)
	}
	return protowire.AppendBytes(b, all)
}

func keyValue(value []byte) []byte {
	k := protowire.AppendTag(nil, 1, protowire.BytesType)
	k = protowire.AppendString(k, "deep")
	return append(k, field(2, value)...) // KeyValue.value
}

// nestedTraces is an ExportTraceServiceRequest whose one span attribute
// nests levels array_values deep.
func nestedTraces(levels int) []byte {
	ids := protowire.AppendTag(nil, 1, protowire.BytesType)
	ids = protowire.AppendBytes(ids, make([]byte, 16))
	ids = protowire.AppendTag(ids, 2, protowire.BytesType)
	ids = protowire.AppendBytes(ids, make([]byte, 8))
	span := append(ids, field(9, keyValue(nestedValue(levels)))...) // Span.attributes
	return field(1, field(2, field(2, span)))                       // request.resource_spans.scope_spans.spans
}

// nestedLogBody is an ExportLogsServiceRequest whose one record's body
// nests levels array_values deep.
func nestedLogBody(levels int) []byte {
	return field(1, field(2, field(2, field(5, nestedValue(levels))))) // …log_records.body
}

// nestedLogAttr: the same in a log record attribute.
func nestedLogAttr(levels int) []byte {
	return field(1, field(2, field(2, field(6, keyValue(nestedValue(levels))))))
}

func TestProtoDepthAtLimit(t *testing.T) {
	// levels array_values plus the innermost value: levels+1 value levels.
	assert.NoError(t, Proto(nestedTraces(MaxValueDepth-1), Traces))
	assert.ErrorIs(t, Proto(nestedTraces(MaxValueDepth), Traces), ErrTooDeep)
	assert.ErrorIs(t, Proto(nestedTraces(200000), Traces), ErrTooDeep)
	assert.NoError(t, Proto(nestedLogBody(MaxValueDepth-1), Logs))
	assert.ErrorIs(t, Proto(nestedLogBody(MaxValueDepth), Logs), ErrTooDeep)
	assert.NoError(t, Proto(nestedLogAttr(MaxValueDepth-1), Logs))
	assert.ErrorIs(t, Proto(nestedLogAttr(MaxValueDepth), Logs), ErrTooDeep)
	assert.NoError(t, Proto([]byte{0xff, 0xff}, Traces), "malformed data is the decoder's to report")

	// What the walk admits, pdata decodes.
	tr := ptraceotlp.NewExportRequest()
	require.NoError(t, tr.UnmarshalProto(nestedTraces(MaxValueDepth-1)))
	lr := plogotlp.NewExportRequest()
	require.NoError(t, lr.UnmarshalProto(nestedLogBody(MaxValueDepth-1)))
	require.NoError(t, lr.UnmarshalProto(nestedLogAttr(MaxValueDepth-1)))
}

func TestJSON(t *testing.T) {
	assert.NoError(t, JSON([]byte(`{"a":[{"b":"[[[[{{{{\"[[["}]}`)))
	assert.ErrorIs(t, JSON([]byte("{\"a\":\"\xff\xfe\"}")), ErrNotUTF8)
	assert.ErrorIs(t, JSON([]byte{0x0a, 0x05, 0x12, 0x03, 0x1a, 0x01, 0xff}), ErrNotUTF8, "protobuf labelled JSON")
	assert.NoError(t, JSON([]byte(strings.Repeat("[", MaxJSONDepth)+strings.Repeat("]", MaxJSONDepth))))
	assert.ErrorIs(t, JSON([]byte(strings.Repeat("[", MaxJSONDepth+1))), ErrTooDeep)
	// Brackets inside strings (with escaped quotes) do not count.
	inStr := `{"s":"` + strings.Repeat(`\"[{`, 10*MaxJSONDepth) + `"}`
	assert.NoError(t, JSON([]byte(inStr)))
}

// deepestJSON returns the most deeply nested body of one shape that JSON
// still admits: the envelope, then value levels of kind "array" or
// "kvlist" down to a string.
func deepestJSON(t *testing.T, envelope, closing, kind string) string {
	t.Helper()
	body, levels := deepestJSONLevels(t, envelope, closing, kind)
	// Far more than any instrumentation nests, so nothing real is refused.
	require.GreaterOrEqual(t, levels, 20, "%s in %s", kind, envelope)
	return body
}

func deepestJSONLevels(t *testing.T, envelope, closing, kind string) (string, int) {
	t.Helper()
	open, shut := `{"arrayValue":{"values":[`, `]}}`
	if kind == "kvlist" {
		open, shut = `{"kvlistValue":{"values":[{"key":"k","value":`, `}]}}`
	}
	best := ""
	for levels := 0; ; levels++ {
		body := envelope + strings.Repeat(open, levels) + `{"stringValue":"x"}` + strings.Repeat(shut, levels) + closing
		if JSON([]byte(body)) != nil {
			require.NotEmpty(t, best)
			return best, levels - 1
		}
		best = body
	}
}

// TestJSONAdmitsOnlyWhatProtobufCarries: the deepest JSON body the check
// admits, on every path to an AnyValue and in both nesting shapes, decodes
// with pdata and survives protobuf encoding and decoding (the next tier's
// Kafka or OTLP hop), which pdata refuses past 100 message levels.
func TestJSONAdmitsOnlyWhatProtobufCarries(t *testing.T) {
	const span = `{"traceId":"5f8c7f9a3ef14f67af716ef4cf4a9d23","spanId":"8f2c9c1c6e5d4b2a"`
	traces := map[string][2]string{
		"span attribute":     {`{"resourceSpans":[{"scopeSpans":[{"spans":[` + span + `,"attributes":[{"key":"a","value":`, `}]}]}]}]}`},
		"event attribute":    {`{"resourceSpans":[{"scopeSpans":[{"spans":[` + span + `,"events":[{"attributes":[{"key":"a","value":`, `}]}]}]}]}]}`},
		"resource attribute": {`{"resourceSpans":[{"resource":{"attributes":[{"key":"a","value":`, `}]}}]}`},
	}
	logs := map[string][2]string{
		"log body":      {`{"resourceLogs":[{"scopeLogs":[{"logRecords":[{"body":`, `}]}]}]}`},
		"log attribute": {`{"resourceLogs":[{"scopeLogs":[{"logRecords":[{"attributes":[{"key":"a","value":`, `}]}]}]}]}`},
	}
	for _, kind := range []string{"array", "kvlist"} {
		for name, env := range traces {
			body := deepestJSON(t, env[0], env[1], kind)
			req := ptraceotlp.NewExportRequest()
			require.NoError(t, req.UnmarshalJSON([]byte(body)), "%s %s", kind, name)
			pb, err := req.MarshalProto()
			require.NoError(t, err)
			require.NoError(t, ptraceotlp.NewExportRequest().UnmarshalProto(pb), "%s %s: admitted JSON that protobuf cannot carry", kind, name)
			require.NoError(t, Proto(pb, Traces), "%s %s", kind, name)
		}
		for name, env := range logs {
			body := deepestJSON(t, env[0], env[1], kind)
			req := plogotlp.NewExportRequest()
			require.NoError(t, req.UnmarshalJSON([]byte(body)), "%s %s", kind, name)
			pb, err := req.MarshalProto()
			require.NoError(t, err)
			require.NoError(t, plogotlp.NewExportRequest().UnmarshalProto(pb), "%s %s: admitted JSON that protobuf cannot carry", kind, name)
			require.NoError(t, Proto(pb, Logs), "%s %s", kind, name)
		}
	}
}
