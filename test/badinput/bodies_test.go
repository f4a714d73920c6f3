package badinput

import (
	"bytes"
	"compress/gzip"
	"compress/zlib"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/klauspost/compress/zstd"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/plog/plogotlp"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.opentelemetry.io/collector/pdata/ptrace/ptraceotlp"
)

// Body builders. Ids inside bodies are derived from the class id, so every
// class writes its own entities.

// now is the time bodies put in their timestamps.
var now = time.Now().UTC()

func stamp(d time.Duration) string { return now.Add(d).Format(time.RFC3339Nano) }

// goodLine is a well-formed SDK line creating trace <id>-good.
func goodLine(id string) string {
	return `trace{id=` + id + `-good,action=create,data={"name":"` + id + `-good","startTimestamp":"` + stamp(0) + `"}}`
}

// mixed is a push body of the bad lines (with "@@" replaced by the class
// id) followed by one good line: the good line must be kept whatever the
// bad ones do.
func mixed(bad ...string) func(id string) []byte {
	return func(id string) []byte {
		var b strings.Builder
		for _, l := range bad {
			b.WriteString(strings.ReplaceAll(l, "@@", id))
			b.WriteByte('\n')
		}
		b.WriteString(goodLine(id))
		b.WriteByte('\n')
		return []byte(b.String())
	}
}

// lines is a push body of the given lines ("@@" replaced by the class id).
func lines(ls ...string) func(id string) []byte {
	return func(id string) []byte {
		out := make([]string, len(ls))
		for i, l := range ls {
			out[i] = strings.ReplaceAll(l, "@@", id)
		}
		return sdkLines(out...)
	}
}

// traceCreate is the line creating trace <id><suffix> with that name.
func traceCreate(suffix string) string {
	return `trace{id=@@` + suffix + `,action=create,data={"name":"@@` + suffix + `","startTimestamp":"` + stamp(0) + `"}}`
}

// ---- OTLP ----

// traceID derives a class's OTLP trace id from its id and a suffix.
func traceID(id, suffix string) pcommon.TraceID {
	s := sha256.Sum256([]byte("trace/" + id + "/" + suffix))
	var t pcommon.TraceID
	copy(t[:], s[:16])
	return t
}

func spanID(id, suffix string) pcommon.SpanID {
	s := sha256.Sum256([]byte("span/" + id + "/" + suffix))
	var sp pcommon.SpanID
	copy(sp[:], s[:8])
	return sp
}

// traceHex is the node id the store gives an OTLP trace.
func traceHex(id, suffix string) string {
	t := traceID(id, suffix)
	return hex.EncodeToString(t[:])
}

// spans builds one resource with one span per edit, all in trace
// (id, "t"); each edit fills in its span (named "span-<i>" by default, a
// root unless the edit sets a parent).
func spans(id string, edits ...func(id string, sp ptrace.Span)) ptrace.Traces {
	td := ptrace.NewTraces()
	rs := td.ResourceSpans().AppendEmpty()
	rs.Resource().Attributes().PutStr("service.name", "badinput")
	ss := rs.ScopeSpans().AppendEmpty()
	ss.Scope().SetName("badinput")
	for i, edit := range edits {
		sp := ss.Spans().AppendEmpty()
		sp.SetTraceID(traceID(id, "t"))
		sp.SetSpanID(spanID(id, fmt.Sprint(i)))
		sp.SetName(fmt.Sprintf("span-%d", i))
		sp.SetKind(ptrace.SpanKindInternal)
		sp.SetStartTimestamp(pcommon.NewTimestampFromTime(now))
		sp.SetEndTimestamp(pcommon.NewTimestampFromTime(now.Add(time.Second)))
		if edit != nil {
			edit(id, sp)
		}
	}
	return td
}

// genAISpan makes a span a GenAI chat call.
func genAISpan(_ string, sp ptrace.Span) {
	sp.SetName("chat gpt-4o")
	sp.SetKind(ptrace.SpanKindClient)
	a := sp.Attributes()
	a.PutStr("gen_ai.operation.name", "chat")
	a.PutStr("gen_ai.provider.name", "openai")
	a.PutStr("gen_ai.request.model", "gpt-4o")
	a.PutInt("gen_ai.usage.input_tokens", 3)
	a.PutInt("gen_ai.usage.output_tokens", 1)
}

func tracesProto(td ptrace.Traces) []byte {
	b, err := ptraceotlp.NewExportRequestFromTraces(td).MarshalProto()
	if err != nil {
		panic(err)
	}
	return b
}

func tracesJSON(td ptrace.Traces) []byte {
	b, err := ptraceotlp.NewExportRequestFromTraces(td).MarshalJSON()
	if err != nil {
		panic(err)
	}
	return b
}

// commitRecords is OTLP logs holding one hand-made commit record (the
// codec pkg/commit reads) per attribute set.
func commitRecords(attrs ...map[string]string) plog.Logs {
	ld := plog.NewLogs()
	sl := ld.ResourceLogs().AppendEmpty().ScopeLogs().AppendEmpty()
	for _, as := range attrs {
		lr := sl.LogRecords().AppendEmpty()
		lr.SetObservedTimestamp(pcommon.NewTimestampFromTime(now))
		for k, v := range as {
			if k == "body" {
				lr.Body().SetStr(v)
				continue
			}
			lr.Attributes().PutStr(k, v)
		}
	}
	return ld
}

func logsProto(ld plog.Logs) []byte {
	b, err := plogotlp.NewExportRequestFromLogs(ld).MarshalProto()
	if err != nil {
		panic(err)
	}
	return b
}

func logsJSON(ld plog.Logs) []byte {
	b, err := plogotlp.NewExportRequestFromLogs(ld).MarshalJSON()
	if err != nil {
		panic(err)
	}
	return b
}

// ---- protobuf by hand (for shapes pdata will not build) ----

func pbVarint(b []byte, v uint64) []byte { return binary.AppendUvarint(b, v) }

// pbField appends a length-delimited field.
func pbField(b []byte, num int, payload []byte) []byte {
	b = pbVarint(b, uint64(num)<<3|2)
	b = pbVarint(b, uint64(len(payload)))
	return append(b, payload...)
}

// deepValue is an AnyValue nesting `levels` array values around a string:
// AnyValue{array_value(5): ArrayValue{values(1): [AnyValue{…}]}}.
func deepValue(levels int) []byte {
	inner := pbField(nil, 1, []byte("x")) // AnyValue.string_value
	// Sizes from the inside out, then one forward write.
	sizes := make([]int, levels+1)
	sizes[0] = len(inner)
	uv := func(n int) int { return len(binary.AppendUvarint(nil, uint64(n))) }
	for i := 1; i <= levels; i++ {
		arr := 1 + uv(sizes[i-1]) + sizes[i-1]
		sizes[i] = 1 + uv(arr) + arr
	}
	out := make([]byte, 0, sizes[levels])
	for i := levels; i >= 1; i-- {
		arr := 1 + uv(sizes[i-1]) + sizes[i-1]
		out = pbVarint(out, 5<<3|2) // AnyValue.array_value
		out = pbVarint(out, uint64(arr))
		out = pbVarint(out, 1<<3|2) // ArrayValue.values
		out = pbVarint(out, uint64(sizes[i-1]))
	}
	return append(out, inner...)
}

// deepTracesProto is an ExportTraceServiceRequest whose one span has one
// attribute nested `levels` deep.
func deepTracesProto(id string, levels int) []byte {
	kv := pbField(pbField(nil, 1, []byte("deep")), 2, deepValue(levels)) // KeyValue{key, value}
	t, s := traceID(id, "t"), spanID(id, "0")
	span := pbField(nil, 1, t[:])
	span = pbField(span, 2, s[:])
	span = pbField(span, 5, []byte("deep"))
	span = pbField(span, 9, kv)                  // Span.attributes
	scopeSpans := pbField(nil, 2, span)          // ScopeSpans.spans
	resourceSpans := pbField(nil, 2, scopeSpans) // ResourceSpans.scope_spans
	return pbField(nil, 1, resourceSpans)        // ExportTraceServiceRequest.resource_spans
}

// deepLogsProto is an ExportLogsServiceRequest whose one record has a
// body nested `levels` deep.
func deepLogsProto(levels int) []byte {
	rec := pbField(nil, 5, deepValue(levels))  // LogRecord.body
	scopeLogs := pbField(nil, 2, rec)          // ScopeLogs.log_records
	resourceLogs := pbField(nil, 2, scopeLogs) // ResourceLogs.scope_logs
	return pbField(nil, 1, resourceLogs)       // ExportLogsServiceRequest.resource_logs
}

// deepTracesJSON is the OTLP/JSON form: one attribute nested levels deep.
func deepTracesJSON(id string, levels int) []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, `{"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":%q,"spanId":%q,"name":"deep","attributes":[{"key":"deep","value":`,
		traceHex(id, "t"), spanID(id, "0").String())
	b.WriteString(strings.Repeat(`{"arrayValue":{"values":[`, levels))
	b.WriteString(`{"stringValue":"x"}`)
	b.WriteString(strings.Repeat(`]}}`, levels))
	b.WriteString(`}]}]}]}]}`)
	return b.Bytes()
}

// ---- compression bombs ----

// bombSize is what every bomb expands to: over both receivers' limits
// (mxin 64 MiB, otlp 20 MiB).
const bombSize = 80 << 20

var bombs = struct {
	sync.Mutex
	m map[string][]byte
}{m: map[string][]byte{}}

// bomb returns bombSize zero bytes compressed with enc (made once).
func bomb(enc string) []byte {
	bombs.Lock()
	defer bombs.Unlock()
	if b, ok := bombs.m[enc]; ok {
		return b
	}
	var buf bytes.Buffer
	var w interface {
		Write([]byte) (int, error)
		Close() error
	}
	switch enc {
	case "gzip":
		w, _ = gzip.NewWriterLevel(&buf, gzip.BestCompression)
	case "deflate", "zlib":
		w, _ = zlib.NewWriterLevel(&buf, zlib.BestCompression)
	case "zstd":
		zw, err := zstd.NewWriter(&buf, zstd.WithEncoderLevel(zstd.SpeedBestCompression))
		if err != nil {
			panic(err)
		}
		w = zw
	default:
		panic("no bomb for " + enc)
	}
	zero := make([]byte, 1<<20)
	for i := 0; i < bombSize>>20; i++ {
		_, _ = w.Write(zero)
	}
	_ = w.Close()
	bombs.m[enc] = buf.Bytes()
	return buf.Bytes()
}

func gzipped(b []byte) []byte {
	var buf bytes.Buffer
	w := gzip.NewWriter(&buf)
	_, _ = w.Write(b)
	_ = w.Close()
	return buf.Bytes()
}

// ---- JSON ----

func mustJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return string(b)
}

// manyKeys is a JSON object of n keys in reverse order (the worst case of
// an insertion sort), each with a short string value.
func manyKeys(n int) string {
	var b strings.Builder
	b.WriteByte('{')
	for i := n; i > 0; i-- {
		if i != n {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `"k%07d":"v"`, i)
	}
	b.WriteByte('}')
	return b.String()
}

func basicAuth(user, pass string) string {
	return "Basic " + base64.StdEncoding.EncodeToString([]byte(user+":"+pass))
}
