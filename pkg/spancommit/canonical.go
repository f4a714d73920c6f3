package spancommit

import (
	"encoding/json"
	"math"
	"sort"
	"strconv"
	"sync"
	"unsafe"

	"go.opentelemetry.io/collector/pdata/pcommon"

	"github.com/otelcol-genai/otelcol-genai/internal/jsonenc"
	"github.com/otelcol-genai/otelcol-genai/internal/jsonscan"
)

// The canonical attributes the genai_normalize processor writes and
// FromTraces reads. They are the contract between the two: every convention
// (OTel GenAI, OpenInference, Vercel AI SDK, OpenLLMetry, Maxim extras) is
// mapped onto exactly these keys, so FromTraces never looks at a dialect.
//
// Structured values (messages, maps, documents) are JSON strings; scalars are
// native attribute types. The README of processor/genainormalizeprocessor
// documents every key.
const (
	AttrNormalized      = "maxim.normalized" // bool marker: the span went through the normalizer
	AttrKind            = "maxim.entity.kind"
	AttrSubtype         = "maxim.entity.subtype"
	AttrName            = "maxim.entity.name"
	AttrSources         = "maxim.sources" // string array: conventions detected
	AttrRepo            = "maxim.repo.id"
	AttrProvider        = "maxim.provider"
	AttrProviderRaw     = "maxim.provider.raw"
	AttrModel           = "maxim.model"
	AttrRequestModel    = "maxim.request.model"
	AttrModelParameters = "maxim.model.parameters" // JSON object
	AttrInputMessages   = "maxim.input.messages"   // JSON array of Message
	AttrOutputMessages  = "maxim.output.messages"  // JSON array of Message (one per choice)
	AttrInput           = "maxim.input"            // plain input text of a span/trace
	AttrOutput          = "maxim.output"           // plain output text of a span/trace
	AttrFinishReason    = "maxim.finish_reason"
	AttrFinishRaw       = "maxim.finish_reason.raw"
	AttrResponseID      = "maxim.response.id"
	AttrStream          = "maxim.stream"
	AttrTTFTMs          = "maxim.ttft_ms"
	AttrToolsOffered    = "maxim.tools" // JSON array of tool definitions

	AttrUsageInput      = "maxim.usage.input_tokens"
	AttrUsageOutput     = "maxim.usage.output_tokens"
	AttrUsageTotal      = "maxim.usage.total_tokens"
	AttrUsageCacheRead  = "maxim.usage.cache_read_tokens"
	AttrUsageCacheWrite = "maxim.usage.cache_write_tokens"
	AttrUsageReasoning  = "maxim.usage.reasoning_tokens"
	AttrUsageAggregate  = "maxim.usage.aggregate" // JSON Usage of a wrapper span: shown, never summed

	AttrCostInput  = "maxim.cost.input"
	AttrCostOutput = "maxim.cost.output"
	AttrCostTotal  = "maxim.cost.total"

	AttrToolName        = "maxim.tool.name"
	AttrToolCallID      = "maxim.tool.call_id"
	AttrToolDescription = "maxim.tool.description"
	AttrToolArguments   = "maxim.tool.arguments" // JSON text (or the raw string when it is not JSON)
	AttrToolResult      = "maxim.tool.result"

	AttrRetrievalQuery = "maxim.retrieval.query"
	AttrRetrievalDocs  = "maxim.retrieval.documents" // JSON array of Document

	AttrErrorType       = "maxim.error.type"
	AttrErrorMessage    = "maxim.error.message"
	AttrErrorStacktrace = "maxim.error.stacktrace"

	AttrSessionID      = "maxim.session.id"
	AttrSessionName    = "maxim.session.name"
	AttrSessionTags    = "maxim.session.tags"    // JSON map[string]string
	AttrSessionMetrics = "maxim.session.metrics" // JSON map[string]number
	AttrSessionEnd     = "maxim.session.end"     // input key (Maxim): value = session id to close
	AttrUserID         = "maxim.user.id"
	AttrTraceName      = "maxim.trace.name"
	AttrTraceTags      = "maxim.trace.tags"     // JSON map[string]string
	AttrTraceMetrics   = "maxim.trace.metrics"  // JSON map[string]number
	AttrTraceInput     = "maxim.trace.input"    // trace input set from any span (Langfuse setTraceIO)
	AttrTraceOutput    = "maxim.trace.output"   // trace output set from any span
	AttrTraceMetadata  = "maxim.trace.metadata" // JSON object: trace-level metadata from any span
	AttrTags           = "maxim.tags"           // JSON map[string]string (this entity)
	AttrMetrics        = "maxim.metrics"        // JSON map[string]number (this entity)
	AttrMetadata       = "maxim.entity.metadata"

	AttrMalformed = "maxim.malformed" // string array: source keys kept raw because they did not parse
	AttrTruncated = "maxim.truncated" // string array: canonical keys cut by the size guard
)

// Entity kinds written to AttrKind.
const (
	KindGeneration = "generation"
	KindToolCall   = "tool_call"
	KindRetrieval  = "retrieval"
	KindSpan       = "span"
	KindSessionEnd = "session_end"
)

// Message is the canonical chat message: the OpenAI chat shape the Maxim SDKs
// put in generation `messages` (so OTLP and SDK generations fold and display
// the same), plus `reasoning` for thinking text, which that shape lacks.
// Content is a string, null (assistant turns that only call tools) or a list
// of Part.
type Message struct {
	Role       string     `json:"role"`
	Content    any        `json:"content"`
	Name       string     `json:"name,omitempty"`
	ToolCalls  []ToolCall `json:"tool_calls,omitempty"`
	ToolCallID string     `json:"tool_call_id,omitempty"`
	Reasoning  string     `json:"reasoning,omitempty"`
}

// Part is one element of a multimodal message content list (OpenAI shape).
type Part struct {
	Type       string    `json:"type"` // text | image_url | input_audio | file
	Text       string    `json:"text,omitempty"`
	ImageURL   *ImageURL `json:"image_url,omitempty"`
	InputAudio *Media    `json:"input_audio,omitempty"`
	File       *Media    `json:"file,omitempty"`
}

// ImageURL is an image reference: an http(s) URL or a data: URI.
type ImageURL struct {
	URL    string `json:"url"`
	Detail string `json:"detail,omitempty"`
}

// Media is a non-image payload: inline base64 data, a URI or a file id.
type Media struct {
	Data     string `json:"data,omitempty"`
	Format   string `json:"format,omitempty"` // mime type
	URL      string `json:"url,omitempty"`
	FileID   string `json:"file_id,omitempty"`
	Filename string `json:"filename,omitempty"`
}

// ToolCall is a tool invocation requested by the model (OpenAI shape);
// Arguments is compact JSON text whenever the source was valid JSON.
type ToolCall struct {
	ID       string       `json:"id,omitempty"` // absent, not "", when the source had none
	Type     string       `json:"type"`
	Function ToolFunction `json:"function"`
}

// ToolFunction names the function a ToolCall invokes.
type ToolFunction struct {
	Name      string `json:"name"`
	Arguments string `json:"arguments"`
}

// Document is one retrieved document. Score and Distance are kept apart:
// some stores (Chroma) report a distance, where lower is better.
type Document struct {
	ID       string   `json:"id,omitempty"`
	Content  string   `json:"content,omitempty"`
	Score    *float64 `json:"score,omitempty"`
	Distance *float64 `json:"distance,omitempty"`
	Metadata any      `json:"metadata,omitempty"`
}

// Usage holds token counts under one convention: Input and Output are
// inclusive totals (Input includes cache reads and writes, Output includes
// reasoning); CacheRead, CacheWrite and Reasoning are subsets of them. A nil
// field was not reported (never invented as 0).
type Usage struct {
	Input      *int64 `json:"input_tokens,omitempty"`
	Output     *int64 `json:"output_tokens,omitempty"`
	Total      *int64 `json:"total_tokens,omitempty"`
	CacheRead  *int64 `json:"cache_read_tokens,omitempty"`
	CacheWrite *int64 `json:"cache_write_tokens,omitempty"`
	Reasoning  *int64 `json:"reasoning_tokens,omitempty"`
}

// IsZero reports whether no count is set.
func (u Usage) IsZero() bool {
	return u.Input == nil && u.Output == nil && u.Total == nil && u.CacheRead == nil && u.CacheWrite == nil && u.Reasoning == nil
}

// Cost is the money a call cost, as reported by the client (USD).
type Cost struct {
	Input  *float64 `json:"input,omitempty"`
	Output *float64 `json:"output,omitempty"`
	Total  *float64 `json:"total,omitempty"`
}

// Canonical is the normalized view of one span.
type Canonical struct {
	Kind, Subtype, Name string
	Sources             []string
	Repo                string

	Provider, ProviderRaw string
	Model, RequestModel   string
	ModelParameters       map[string]any
	InputMessages         []Message
	OutputMessages        []Message
	Input, Output         string
	FinishReason          string
	FinishReasonRaw       string
	ResponseID            string
	Stream                *bool
	TTFTMs                *float64
	ToolsOffered          []any

	Usage          Usage
	UsageAggregate Usage
	Cost           Cost

	ToolName, ToolCallID, ToolDescription string
	ToolArguments, ToolResult             string
	HasToolResult                         bool

	RetrievalQuery string
	Documents      []Document

	ErrorType, ErrorMessage, ErrorStacktrace string

	SessionID, SessionName string
	SessionTags            map[string]string
	SessionMetrics         map[string]float64
	SessionEnd             string
	UserID                 string
	TraceName              string
	TraceTags              map[string]string
	TraceMetrics           map[string]float64
	TraceInput             string
	TraceOutput            string
	TraceMetadata          map[string]any
	Tags                   map[string]string
	Metrics                map[string]float64
	Metadata               map[string]any

	Malformed []string
	Truncated []string
}

// rawOf views s as JSON text for encoding/json to copy into commit data
// (read only, never modified).
func rawOf(s string) json.RawMessage {
	return json.RawMessage(unsafe.Slice(unsafe.StringData(s), len(s)))
}

// bufPool holds encoding buffers; ones grown past maxPooledBuf (a huge
// message list) are left to the GC.
var bufPool = sync.Pool{New: func() any { b := make([]byte, 0, 4096); return &b }}

const maxPooledBuf = 1 << 20

// Guard caps the size of one canonical string attribute. It returns the
// value to store and whether it was cut; nil means no cap.
type Guard func(key, value string) (string, bool)

// Encode writes c onto attrs under the canonical keys (replacing earlier
// values). guard, when not nil, is applied to every JSON/text payload.
func Encode(c *Canonical, attrs pcommon.Map, guard Guard) {
	put := func(k, v string) {
		if v == "" {
			return
		}
		if guard != nil {
			var cut bool
			if v, cut = guard(k, v); cut {
				c.Truncated = append(c.Truncated, k)
			}
		}
		attrs.PutStr(k, v)
	}
	putJSON := func(k string, v any, empty bool) {
		if empty {
			return
		}
		b, err := jsonenc.Marshal(v)
		if err != nil {
			return
		}
		put(k, string(b))
	}
	attrs.PutBool(AttrNormalized, true)
	put(AttrKind, c.Kind)
	put(AttrSubtype, c.Subtype)
	put(AttrName, c.Name)
	put(AttrRepo, c.Repo)
	put(AttrProvider, c.Provider)
	put(AttrProviderRaw, c.ProviderRaw)
	put(AttrModel, c.Model)
	put(AttrRequestModel, c.RequestModel)
	putJSON(AttrModelParameters, c.ModelParameters, len(c.ModelParameters) == 0)
	putMessages := func(k string, ms []Message) {
		if ms == nil {
			return
		}
		bp := bufPool.Get().(*[]byte)
		b, err := appendMessages((*bp)[:0], ms)
		if err == nil {
			put(k, string(b))
		}
		if cap(b) <= maxPooledBuf {
			*bp = b
			bufPool.Put(bp)
		}
	}
	putMessages(AttrInputMessages, c.InputMessages)
	putMessages(AttrOutputMessages, c.OutputMessages)
	put(AttrInput, c.Input)
	put(AttrOutput, c.Output)
	put(AttrFinishReason, c.FinishReason)
	put(AttrFinishRaw, c.FinishReasonRaw)
	put(AttrResponseID, c.ResponseID)
	if c.Stream != nil {
		attrs.PutBool(AttrStream, *c.Stream)
	}
	if c.TTFTMs != nil {
		attrs.PutDouble(AttrTTFTMs, *c.TTFTMs)
	}
	putJSON(AttrToolsOffered, c.ToolsOffered, len(c.ToolsOffered) == 0)
	putInt := func(k string, v *int64) {
		if v != nil {
			attrs.PutInt(k, *v)
		}
	}
	putInt(AttrUsageInput, c.Usage.Input)
	putInt(AttrUsageOutput, c.Usage.Output)
	putInt(AttrUsageTotal, c.Usage.Total)
	putInt(AttrUsageCacheRead, c.Usage.CacheRead)
	putInt(AttrUsageCacheWrite, c.Usage.CacheWrite)
	putInt(AttrUsageReasoning, c.Usage.Reasoning)
	putJSON(AttrUsageAggregate, c.UsageAggregate, c.UsageAggregate.IsZero())
	putF := func(k string, v *float64) {
		if v != nil {
			attrs.PutDouble(k, *v)
		}
	}
	putF(AttrCostInput, c.Cost.Input)
	putF(AttrCostOutput, c.Cost.Output)
	putF(AttrCostTotal, c.Cost.Total)
	put(AttrToolName, c.ToolName)
	put(AttrToolCallID, c.ToolCallID)
	put(AttrToolDescription, c.ToolDescription)
	put(AttrToolArguments, c.ToolArguments)
	if c.HasToolResult {
		if guard != nil {
			v, cut := guard(AttrToolResult, c.ToolResult)
			if cut {
				c.Truncated = append(c.Truncated, AttrToolResult)
			}
			attrs.PutStr(AttrToolResult, v)
		} else {
			attrs.PutStr(AttrToolResult, c.ToolResult)
		}
	}
	put(AttrRetrievalQuery, c.RetrievalQuery)
	putJSON(AttrRetrievalDocs, c.Documents, c.Documents == nil)
	put(AttrErrorType, c.ErrorType)
	put(AttrErrorMessage, c.ErrorMessage)
	put(AttrErrorStacktrace, c.ErrorStacktrace)
	put(AttrSessionID, c.SessionID)
	put(AttrSessionName, c.SessionName)
	putJSON(AttrSessionTags, c.SessionTags, len(c.SessionTags) == 0)
	putJSON(AttrSessionMetrics, c.SessionMetrics, len(c.SessionMetrics) == 0)
	put(AttrSessionEnd, c.SessionEnd)
	put(AttrUserID, c.UserID)
	put(AttrTraceName, c.TraceName)
	putJSON(AttrTraceTags, c.TraceTags, len(c.TraceTags) == 0)
	putJSON(AttrTraceMetrics, c.TraceMetrics, len(c.TraceMetrics) == 0)
	put(AttrTraceInput, c.TraceInput)
	put(AttrTraceOutput, c.TraceOutput)
	putJSON(AttrTraceMetadata, c.TraceMetadata, len(c.TraceMetadata) == 0)
	putJSON(AttrTags, c.Tags, len(c.Tags) == 0)
	putJSON(AttrMetrics, c.Metrics, len(c.Metrics) == 0)
	putJSON(AttrMetadata, c.Metadata, len(c.Metadata) == 0)
	putList := func(k string, v []string) {
		if len(v) == 0 {
			return
		}
		s := append([]string(nil), v...)
		sort.Strings(s)
		sl := attrs.PutEmptySlice(k)
		prev := ""
		for i, x := range s {
			if i > 0 && x == prev {
				continue
			}
			sl.AppendEmpty().SetStr(x)
			prev = x
		}
	}
	putList(AttrSources, c.Sources)
	putList(AttrMalformed, c.Malformed)
	putList(AttrTruncated, c.Truncated)
}

// Decode reads the canonical attributes back. It is lenient: a value that
// does not parse (for example one cut by the size guard) is left empty, and
// the raw string stays available on the span.
func Decode(attrs pcommon.Map) Canonical {
	return decode(attrs, nil)
}

// msgJSON is a span's messages as commit data carries them: the input
// list and each output message as JSON text. decode fills it for FromTraces;
// messages in canonical form are then taken as they are, not decoded.
type msgJSON struct {
	in  json.RawMessage   // nil: no input messages
	out []json.RawMessage // one per output message
	// The lists taken as they are, for decoding on demand.
	inText, outText string
}

// messages decodes the lists that were taken as they are into c.
func (m *msgJSON) messages(c *Canonical) {
	if m.inText != "" && c.InputMessages == nil {
		c.InputMessages, _ = decodeMessages(m.inText)
	}
	if m.outText != "" && c.OutputMessages == nil {
		c.OutputMessages, _ = decodeMessages(m.outText)
	}
}

// decode is Decode; with m, message lists in canonical form are left
// undecoded (nil in the Canonical) and handed over in m as they are, the
// others are decoded and encoded into m.
func decode(attrs pcommon.Map, m *msgJSON) Canonical {
	var c Canonical
	str := func(k string) string {
		if v, ok := attrs.Get(k); ok {
			return v.AsString()
		}
		return ""
	}
	js := func(k string, dst any) {
		if v, ok := attrs.Get(k); ok && v.Type() == pcommon.ValueTypeStr {
			_ = json.Unmarshal([]byte(v.Str()), dst)
		}
	}
	i64 := func(k string) *int64 {
		v, ok := attrs.Get(k)
		if !ok {
			return nil
		}
		switch v.Type() {
		case pcommon.ValueTypeInt:
			n := v.Int()
			return &n
		case pcommon.ValueTypeDouble:
			// A count sent as a double; NaN, ±Inf and values out of
			// int64's range have no integer value (the conversion's
			// result is unspecified), so they are not reported.
			d := v.Double()
			if math.IsNaN(d) || d < math.MinInt64 || d >= math.MaxInt64 {
				return nil
			}
			n := int64(d)
			return &n
		case pcommon.ValueTypeStr:
			if n, err := strconv.ParseInt(v.Str(), 10, 64); err == nil {
				return &n
			}
		}
		return nil
	}
	f64 := func(k string) *float64 {
		v, ok := attrs.Get(k)
		if !ok {
			return nil
		}
		switch v.Type() {
		case pcommon.ValueTypeInt:
			n := float64(v.Int())
			return &n
		case pcommon.ValueTypeDouble:
			n := v.Double()
			if math.IsNaN(n) || math.IsInf(n, 0) {
				return nil
			}
			return &n
		}
		return nil
	}
	list := func(k string) []string {
		v, ok := attrs.Get(k)
		if !ok || v.Type() != pcommon.ValueTypeSlice {
			return nil
		}
		out := make([]string, 0, v.Slice().Len())
		for i := 0; i < v.Slice().Len(); i++ {
			out = append(out, v.Slice().At(i).AsString())
		}
		return out
	}
	c.Kind = str(AttrKind)
	c.Subtype = str(AttrSubtype)
	c.Name = str(AttrName)
	c.Sources = list(AttrSources)
	c.Repo = str(AttrRepo)
	c.Provider = str(AttrProvider)
	c.ProviderRaw = str(AttrProviderRaw)
	c.Model = str(AttrModel)
	c.RequestModel = str(AttrRequestModel)
	js(AttrModelParameters, &c.ModelParameters)
	msgs := func(k string) []Message {
		if v, ok := attrs.Get(k); ok && v.Type() == pcommon.ValueTypeStr {
			ms, _ := decodeMessages(v.Str())
			return ms
		}
		return nil
	}
	if m == nil {
		c.InputMessages = msgs(AttrInputMessages)
		c.OutputMessages = msgs(AttrOutputMessages)
	} else {
		m.in, m.inText, c.InputMessages = nil, "", nil
		if v, ok := attrs.Get(AttrInputMessages); ok && v.Type() == pcommon.ValueTypeStr && canonicalMessages(v.Str()) {
			m.inText = v.Str()
			m.in = rawOf(m.inText)
		} else if c.InputMessages = msgs(AttrInputMessages); c.InputMessages != nil {
			m.in, _ = appendMessages(nil, c.InputMessages)
		}
		m.out, m.outText = m.out[:0], ""
		if v, ok := attrs.Get(AttrOutputMessages); ok && v.Type() == pcommon.ValueTypeStr && canonicalMessages(v.Str()) {
			m.outText = v.Str()
			jsonscan.EachElem(m.outText, func(e string) bool {
				m.out = append(m.out, rawOf(e))
				return true
			})
		} else {
			c.OutputMessages = msgs(AttrOutputMessages)
			for i := range c.OutputMessages {
				raw, _ := appendMessage(nil, &c.OutputMessages[i])
				m.out = append(m.out, raw)
			}
		}
	}
	c.Input = str(AttrInput)
	c.Output = str(AttrOutput)
	c.FinishReason = str(AttrFinishReason)
	c.FinishReasonRaw = str(AttrFinishRaw)
	c.ResponseID = str(AttrResponseID)
	if v, ok := attrs.Get(AttrStream); ok && v.Type() == pcommon.ValueTypeBool {
		b := v.Bool()
		c.Stream = &b
	}
	c.TTFTMs = f64(AttrTTFTMs)
	js(AttrToolsOffered, &c.ToolsOffered)
	c.Usage = Usage{Input: i64(AttrUsageInput), Output: i64(AttrUsageOutput), Total: i64(AttrUsageTotal),
		CacheRead: i64(AttrUsageCacheRead), CacheWrite: i64(AttrUsageCacheWrite), Reasoning: i64(AttrUsageReasoning)}
	js(AttrUsageAggregate, &c.UsageAggregate)
	c.Cost = Cost{Input: f64(AttrCostInput), Output: f64(AttrCostOutput), Total: f64(AttrCostTotal)}
	c.ToolName = str(AttrToolName)
	c.ToolCallID = str(AttrToolCallID)
	c.ToolDescription = str(AttrToolDescription)
	c.ToolArguments = str(AttrToolArguments)
	if v, ok := attrs.Get(AttrToolResult); ok {
		c.HasToolResult = true
		c.ToolResult = v.AsString()
	}
	c.RetrievalQuery = str(AttrRetrievalQuery)
	js(AttrRetrievalDocs, &c.Documents)
	c.ErrorType = str(AttrErrorType)
	c.ErrorMessage = str(AttrErrorMessage)
	c.ErrorStacktrace = str(AttrErrorStacktrace)
	c.SessionID = str(AttrSessionID)
	c.SessionName = str(AttrSessionName)
	js(AttrSessionTags, &c.SessionTags)
	js(AttrSessionMetrics, &c.SessionMetrics)
	c.SessionEnd = str(AttrSessionEnd)
	c.UserID = str(AttrUserID)
	c.TraceName = str(AttrTraceName)
	js(AttrTraceTags, &c.TraceTags)
	js(AttrTraceMetrics, &c.TraceMetrics)
	c.TraceInput = str(AttrTraceInput)
	c.TraceOutput = str(AttrTraceOutput)
	js(AttrTraceMetadata, &c.TraceMetadata)
	js(AttrTags, &c.Tags)
	js(AttrMetrics, &c.Metrics)
	js(AttrMetadata, &c.Metadata)
	c.Malformed = list(AttrMalformed)
	c.Truncated = list(AttrTruncated)
	return c
}
