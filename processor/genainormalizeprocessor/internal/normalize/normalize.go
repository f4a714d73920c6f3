// Package normalize maps one OTLP span of any GenAI convention (OTel GenAI,
// OpenInference, Vercel AI SDK, OpenLLMetry, Maxim extras) onto the canonical
// `maxim.*` attributes defined in pkg/spancommit. It has no collector
// plumbing: the processor calls Span for each span and records Result.
package normalize

import (
	"math"
	"strconv"
	"strings"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/otelcol-genai/otelcol-genai/pkg/spancommit"
)

// Options tune one normalization run.
type Options struct {
	// Repo is the log repository the span belongs to.
	Repo string
	// KeepRawAttributes keeps the source attributes (minus the large
	// payloads now duplicated in canonical form). When false every non
	// `maxim.*` attribute is removed.
	KeepRawAttributes bool
	// MaxAttributeBytes caps one canonical string attribute; 0 = no cap.
	MaxAttributeBytes int
	// MayKeepRepo reports whether an already-normalized span may keep the
	// repository it carries: true only when the request's credentials may
	// write to that repository (an agent forwarding to a gateway with a key
	// for every repo). Nil means never.
	MayKeepRepo func(repo string) bool
	// GenAIAttributes also writes the gen_ai.* view of the canonical
	// fields (keys the span already has are kept), for exporters that
	// forward spans to vendors.
	GenAIAttributes bool
	// GenAIContent adds the view's content keys (messages, instructions,
	// tool arguments and results, documents).
	GenAIContent bool
}

// Result reports what happened to one span, for telemetry.
type Result struct {
	Kind      string
	Skipped   bool // already normalized
	Malformed int  // source values kept raw because they did not parse
	Truncated int  // canonical values cut by the size guard, plus dropped index bombs
}

// Span normalizes span in place.
func Span(span ptrace.Span, scope pcommon.InstrumentationScope, opt Options) Result {
	attrs := span.Attributes()
	// A span marked normalized is input like any other: it passes through
	// only when the marker and its kind are what the normalizer writes.
	// Otherwise (kind missing, not a string, unknown) it is normalized
	// again, which keeps every attribute it carries as input and rewrites
	// the canonical ones, rather than dropping the span.
	if kind, ok := spancommit.NormalizedKind(attrs); ok {
		// The repository is taken from the data only when the caller's
		// key may write there anyway (an agent that normalized the span
		// and forwards it); otherwise a client could send a span already
		// marked normalized with another tenant's repo, so it becomes
		// this request's.
		if r, ok := attrs.Get(spancommit.AttrRepo); !ok || r.Type() != pcommon.ValueTypeStr || r.Str() == "" || opt.MayKeepRepo == nil || !opt.MayKeepRepo(r.Str()) {
			attrs.PutStr(spancommit.AttrRepo, opt.Repo)
		}
		return Result{Kind: kind, Skipped: true}
	}
	v := newView(span, scope)
	cl := classify(v)
	c := &spancommit.Canonical{Kind: cl.kind, Subtype: cl.subtype, Repo: opt.Repo, Sources: sources(v)}
	c.Name = v.str("traceloop.entity.name")
	if c.Name == "" {
		c.Name = v.name
	}
	contextFields(v, c)
	errorFields(v, c)
	switch cl.kind {
	case spancommit.KindSessionEnd:
		c.SessionEnd = v.str(spancommit.AttrSessionEnd)
	case spancommit.KindGeneration:
		generationFields(v, c, cl)
	case spancommit.KindToolCall:
		toolFields(v, c)
		c.Name = c.ToolName
	case spancommit.KindRetrieval:
		retrievalFields(v, c)
		textIO(v, c)
		c.Input = ""
	default:
		textIO(v, c)
		u := usage(v, false)
		if !u.IsZero() {
			// Usage on a span that is not a model call is an aggregate
			// of its children (AI SDK outer span, invoke_agent): shown,
			// never counted.
			c.UsageAggregate = u
		}
		if cl.wrapper {
			c.Model = v.str("gen_ai.response.model", "gen_ai.request.model", "ai.response.model", "ai.model.id")
		}
	}
	c.Malformed = v.malformed
	shrunk := 0
	if opt.MaxAttributeBytes > 0 {
		// Cut long strings inside messages and documents first, so the
		// JSON stays valid and only the oversized text is lost.
		per := max(opt.MaxAttributeBytes/8, 1024)
		shrunk += shrinkMessages(c.InputMessages, per)
		shrunk += shrinkMessages(c.OutputMessages, per)
		for i := range c.Documents {
			if n, cut := cutString(c.Documents[i].Content, per); cut {
				c.Documents[i].Content = n
				shrunk++
			}
		}
		if shrunk > 0 {
			c.Truncated = append(c.Truncated, "maxim.message.content")
		}
	}
	var guard spancommit.Guard
	if opt.MaxAttributeBytes > 0 {
		guard = sizeGuard(opt.MaxAttributeBytes)
	}
	if !opt.KeepRawAttributes {
		attrs.RemoveIf(func(k string, _ pcommon.Value) bool { return !strings.HasPrefix(k, "maxim.") })
	} else {
		removePayloads(attrs, v.malformed)
	}
	if !opt.KeepRawAttributes || c.Kind == spancommit.KindGeneration {
		removePayloadEvents(span)
	}
	spancommit.Encode(c, attrs, guard)
	if opt.GenAIAttributes {
		writeGenAI(c, attrs, opt.GenAIContent)
	}
	return Result{Kind: cl.kind, Malformed: len(c.Malformed), Truncated: len(c.Truncated) + v.dropped + shrunk}
}

func generationFields(v *view, c *spancommit.Canonical, cl class) {
	c.ProviderRaw = v.str("gen_ai.provider.name", "gen_ai.system", "llm.provider", "llm.system", "ai.model.provider")
	c.Provider = normProvider(c.ProviderRaw)
	if c.Provider == c.ProviderRaw {
		c.ProviderRaw = ""
	}
	resp := rawResponse(v)
	c.RequestModel = v.str("gen_ai.request.model", "llm.request.model_name")
	if c.RequestModel == "" {
		c.RequestModel = invocationModel(v)
	}
	if c.RequestModel == "" {
		c.RequestModel = v.str("ai.model.id", "embedding.model_name", "reranker.model_name")
	}
	c.Model = v.str("langfuse.observation.model.name", "gen_ai.response.model", "llm.response.model_name", "ai.response.model")
	if c.Model == "" {
		// OpenInference has no response model key: the raw response says
		// which model answered.
		c.Model = resp.model
	}
	if c.Model == "" {
		c.Model = v.str("llm.model_name", "embedding.model_name", "gen_ai.request.model", "ai.model.id", "model")
	}
	if c.RequestModel == c.Model {
		c.RequestModel = ""
	}
	// LangSmith hints (LangChain puts ls_provider / ls_model_name in the
	// run metadata: OpenInference `metadata`, OpenLLMetry association
	// properties) fill provider and model only when nothing better exists.
	if c.Provider == "" {
		if p := lsHint(v, c, "ls_provider"); p != "" {
			c.Provider = normProvider(p)
			if c.Provider != p {
				c.ProviderRaw = p
			}
		}
	}
	if c.Model == "" && c.RequestModel == "" {
		c.Model = lsHint(v, c, "ls_model_name")
	}
	c.ModelParameters = modelParameters(v)
	if pn := v.str("gen_ai.prompt.name"); pn != "" {
		// v1.39 prompt template name: prompt metadata, never a message.
		if c.Metadata == nil {
			c.Metadata = map[string]any{}
		}
		c.Metadata["prompt.name"] = pn
	}
	c.InputMessages = inputMessages(v, true)
	if c.InputMessages == nil {
		// A Langfuse input that is not a conversation (a prompt string, a
		// request object) is the generation's one input message.
		c.InputMessages = lfRawMessage(v, lfInput, "user")
	}
	if cl.subtype == "embedding" && c.InputMessages == nil {
		// Embedding inputs: AI SDK ai.value(s), OpenInference texts.
		if x, k := v.get("ai.value", "ai.values"); k != "" {
			c.InputMessages = []spancommit.Message{{Role: "user", Content: embedText(x)}}
		} else if l, ok := v.flatList("embedding.embeddings").([]any); ok {
			var texts []string
			for _, it := range l {
				if m, ok := it.(map[string]any); ok {
					if e, ok := m["embedding"].(map[string]any); ok {
						if t := asString(e["text"]); t != "" {
							texts = append(texts, t)
						}
					}
				}
			}
			if len(texts) > 0 {
				c.InputMessages = []spancommit.Message{{Role: "user", Content: strings.Join(texts, "\n")}}
			}
		}
	}
	var finishes []string
	c.OutputMessages, finishes = outputMessages(v, true)
	if c.OutputMessages == nil {
		c.OutputMessages = lfRawMessage(v, lfOutput, "assistant")
	}
	c.FinishReason, c.FinishReasonRaw = finishReason(v, finishes)
	if c.FinishReasonRaw == c.FinishReason {
		c.FinishReasonRaw = ""
	}
	c.ResponseID = v.str("gen_ai.response.id", "ai.response.id")
	if c.ResponseID == "" {
		c.ResponseID = resp.id
	}
	c.Usage = usage(v, cl.subtype == "embedding")
	c.Cost = cost(v)
	c.ToolsOffered = toolsOffered(v)
	op := v.operationID()
	if b, ok := asBool(firstAttr(v, "gen_ai.request.stream", "gen_ai.is_streaming", "llm.is_streaming", "gen_ai.request.is_stream")); ok {
		c.Stream = &b
	} else if strings.HasSuffix(op, ".doStream") || resp.streamed {
		t := true
		c.Stream = &t
	} else if b, ok := c.ModelParameters["stream"].(bool); ok {
		c.Stream = &b // OpenInference: only in llm.invocation_parameters
	}
	if f := v.number("ai.response.msToFirstChunk", "ai.stream.msToFirstChunk"); f != nil {
		c.TTFTMs = f
	} else if f := langfuseTTFT(v); f != nil {
		c.TTFTMs = f
	} else if f := v.number("gen_ai.response.time_to_first_chunk", "gen_ai.client.operation.time_to_first_chunk"); f != nil {
		if ms := *f * 1000; !math.IsInf(ms, 0) {
			c.TTFTMs = &ms
		}
	} else {
		for _, e := range v.events {
			if e.name == "ai.stream.firstChunk" {
				if f, ok := asFloat(e.attrs["ai.response.msToFirstChunk"]); ok {
					c.TTFTMs = &f
				}
			}
		}
	}
}

// rawResponse reads the response id and the model that answered from the
// raw response OpenInference keeps in output.value: a provider response
// object ({id, model, choices|output}: OpenAI Chat Completions and
// Responses) or LangChain's LLMResult.
func rawResponse(v *view) response {
	x, ok := v.structured("output.value")
	if !ok {
		return response{}
	}
	if r, ok := lcResponse(x); ok {
		return r
	}
	m, ok := x.(map[string]any)
	if !ok {
		return response{}
	}
	if _, isChat := m["choices"].([]any); !isChat {
		if _, isResp := m["output"].([]any); !isResp {
			return response{}
		}
	}
	return response{id: asString(m["id"]), model: asString(m["model"])}
}

// invocationModel is the requested model in OpenInference's
// llm.invocation_parameters (the request's `model`, LangChain's
// `model`/`model_name`).
func invocationModel(v *view) string {
	x, ok := v.structured("llm.invocation_parameters")
	if !ok {
		return ""
	}
	m, ok := x.(map[string]any)
	if !ok {
		return ""
	}
	return firstStr(m, "model", "model_name")
}

func lsHint(v *view, c *spancommit.Canonical, key string) string {
	if s := strings.TrimSpace(asString(c.Metadata[key])); s != "" {
		return s
	}
	return v.str("traceloop.association.properties."+key, "ai.telemetry.metadata."+key)
}

func embedText(x any) string {
	switch t := x.(type) {
	case []any:
		parts := make([]string, 0, len(t))
		for _, it := range t {
			parts = append(parts, unquote(asString(it)))
		}
		return strings.Join(parts, "\n")
	}
	return unquote(asString(x))
}

func firstAttr(v *view, keys ...string) any {
	for _, k := range keys {
		if x, ok := v.attrs[k]; ok {
			return x
		}
	}
	return nil
}

// textIO reads plain input/output of non-model spans.
func textIO(v *view, c *spancommit.Canonical) {
	if x, k := v.get(lfInput, "input.value", "traceloop.entity.input", "gen_ai.input.messages", "ai.prompt", "mlflow.spanInputs", "input"); k != "" {
		c.Input = ioText(x)
		if k == lfInput {
			c.Input = lfText(x)
		}
		if k == "gen_ai.input.messages" {
			// An agent span's conversation: its input is the last user turn.
			if x, ok := v.structured(k); ok {
				if ms, _ := normMessages(x, "user"); len(ms) > 0 {
					for i := len(ms) - 1; i >= 0; i-- {
						if ms[i].Role == "user" {
							if t := messageText(ms[i]); t != "" {
								c.Input = t
							}
							break
						}
					}
				}
			}
		}
	}
	if x, k := v.get(lfOutput, "output.value", "traceloop.entity.output", "gen_ai.output.messages", "ai.response.text", "ai.response.object",
		"mlflow.spanOutputs", "output"); k != "" {
		c.Output = ioText(x)
		if k == lfOutput {
			c.Output = lfText(x)
		}
		if k == "gen_ai.output.messages" {
			if x, ok := v.structured(k); ok {
				if ms, _ := normMessages(x, "assistant"); len(ms) > 0 {
					if t := messageText(ms[0]); t != "" {
						c.Output = t
					}
				}
			}
		}
	}
}

func ioText(x any) string {
	if s, ok := x.(string); ok {
		return s
	}
	return compactJSON(x)
}

// payloadPrefixes are the large source payloads the canonical attributes
// duplicate; they are removed even when raw attributes are kept.
var payloadExact = map[string]bool{
	"gen_ai.input.messages": true, "gen_ai.output.messages": true, "gen_ai.system_instructions": true, "gen_ai.prompt": true,
	"gen_ai.completion": true, "ai.prompt": true, "ai.prompt.messages": true, "ai.response.text": true, "ai.response.toolCalls": true,
	"ai.result.text": true, "ai.result.toolCalls": true, "input.value": true, "output.value": true, "gen_ai.retrieval.documents": true,
	"gen_ai.tool.definitions": true, "ai.prompt.tools": true, "ai.embedding": true, "ai.embeddings": true, "ai.values": true,
	"llm.prompts": true, lfInput: true, lfOutput: true, lfTraceInput: true, lfTraceOutput: true,
}

var payloadPrefixes = []string{
	"llm.input_messages.", "llm.output_messages.", "llm.prompts.", "llm.choices.", "llm.tools.", "retrieval.documents.",
	"embedding.embeddings.", "reranker.input_documents.", "reranker.output_documents.", "llm.request.functions.",
}

// A payload that did not parse stays: it is the only copy of the data.
func removePayloads(attrs pcommon.Map, malformed []string) {
	keep := map[string]bool{}
	for _, k := range malformed {
		keep[k] = true
	}
	attrs.RemoveIf(func(k string, _ pcommon.Value) bool {
		if keep[k] {
			return false
		}
		if payloadExact[k] {
			return true
		}
		for _, p := range payloadPrefixes {
			if strings.HasPrefix(k, p) {
				return true
			}
		}
		// gen_ai.prompt.{i}.* / gen_ai.completion.{i}.*, but not the
		// v1.39 gen_ai.prompt.name.
		for _, p := range []string{"gen_ai.prompt.", "gen_ai.completion."} {
			if strings.HasPrefix(k, p) {
				rest := k[len(p):]
				if i := strings.IndexByte(rest, '.'); i >= 0 {
					rest = rest[:i]
				}
				if _, err := atoi(rest); err == nil {
					return true
				}
			}
		}
		return false
	})
}

// payloadEvents carry message content that is now in canonical form.
var payloadEvents = map[string]bool{
	"gen_ai.client.inference.operation.details": true, "gen_ai.system.message": true, "gen_ai.user.message": true,
	"gen_ai.assistant.message": true, "gen_ai.tool.message": true, "gen_ai.choice": true, "gen_ai.content.prompt": true,
	"gen_ai.content.completion": true, "llm.prompt": true, "llm.completion": true,
}

func removePayloadEvents(span ptrace.Span) {
	span.Events().RemoveIf(func(e ptrace.SpanEvent) bool { return payloadEvents[e.Name()] })
}

// sizeGuard cuts a canonical value at max bytes (on a UTF-8 boundary) and
// appends a marker; the span is never rejected.
func sizeGuard(max int) spancommit.Guard {
	return func(_ string, s string) (string, bool) {
		if len(s) <= max {
			return s, false
		}
		cut := max
		for cut > 0 && cut < len(s) && s[cut]&0xC0 == 0x80 {
			cut--
		}
		return s[:cut] + "…[truncated " + strconv.Itoa(len(s)-cut) + " bytes]", true
	}
}

// cutString shortens s to at most n bytes (UTF-8 safe) plus a marker. A
// data: URI keeps its header so the media type survives.
func cutString(s string, n int) (string, bool) {
	if len(s) <= n {
		return s, false
	}
	cut := n
	for cut > 0 && s[cut]&0xC0 == 0x80 {
		cut--
	}
	if strings.HasPrefix(s, "data:") {
		if i := strings.IndexByte(s, ','); i > 0 && i < 200 {
			return s[:i+1] + "…[" + strconv.Itoa(len(s)-i-1) + " bytes of inline media omitted]", true
		}
	}
	return s[:cut] + "…[truncated " + strconv.Itoa(len(s)-cut) + " bytes]", true
}

// shrinkMessages cuts every long text, tool argument and inline media
// string in ms; it returns how many it cut.
func shrinkMessages(ms []spancommit.Message, n int) int {
	count := 0
	cut := func(p *string) {
		if s, ok := cutString(*p, n); ok {
			*p = s
			count++
		}
	}
	for i := range ms {
		m := &ms[i]
		switch c := m.Content.(type) {
		case string:
			cut(&c)
			m.Content = c
		case []spancommit.Part:
			for j := range c {
				cut(&c[j].Text)
				if c[j].ImageURL != nil {
					cut(&c[j].ImageURL.URL)
				}
				for _, md := range []*spancommit.Media{c[j].InputAudio, c[j].File} {
					if md != nil {
						cut(&md.Data)
					}
				}
			}
		}
		cut(&m.Reasoning)
		for j := range m.ToolCalls {
			cut(&m.ToolCalls[j].Function.Arguments)
		}
	}
	return count
}

// messageText joins the text of a canonical message.
func messageText(m spancommit.Message) string {
	switch t := m.Content.(type) {
	case string:
		return t
	case []spancommit.Part:
		var b []string
		for _, p := range t {
			if p.Type == "text" && p.Text != "" {
				b = append(b, p.Text)
			}
		}
		return strings.Join(b, "\n")
	}
	return ""
}
