package normalize

import (
	"sort"
	"strings"

	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/otelcol-genai/otelcol-genai/pkg/spancommit"
)

// providerPrefixes maps raw provider strings (AI SDK `openai.chat`,
// deprecated `gen_ai.system` values, capitalized OpenLLMetry values) to
// GenAI provider names; the longest matching prefix wins.
var providerPrefixes = []struct{ prefix, name string }{
	{"google.vertex", "gcp.vertex_ai"}, {"google-vertex", "gcp.vertex_ai"}, {"vertex_ai", "gcp.vertex_ai"}, {"vertexai", "gcp.vertex_ai"},
	{"gcp.vertex_ai", "gcp.vertex_ai"}, {"gcp.gemini", "gcp.gemini"}, {"gcp.gen_ai", "gcp.gen_ai"},
	{"google.generative-ai", "gcp.gemini"}, {"gemini", "gcp.gemini"}, {"google", "gcp.gemini"},
	{"amazon-bedrock", "aws.bedrock"}, {"aws.bedrock", "aws.bedrock"}, {"bedrock", "aws.bedrock"}, {"aws", "aws.bedrock"},
	{"azure-openai", "azure.ai.openai"}, {"azure.ai.openai", "azure.ai.openai"}, {"az.ai.openai", "azure.ai.openai"},
	{"az.ai.inference", "azure.ai.inference"}, {"azure.ai.inference", "azure.ai.inference"}, {"azure", "azure.ai.inference"},
	{"anthropic", "anthropic"}, {"openai", "openai"}, {"mistral", "mistral_ai"}, {"x_ai", "x_ai"}, {"xai", "x_ai"},
	{"cohere", "cohere"}, {"groq", "groq"}, {"deepseek", "deepseek"}, {"perplexity", "perplexity"}, {"ibm.watsonx.ai", "ibm.watsonx.ai"},
}

func init() {
	sort.SliceStable(providerPrefixes, func(i, j int) bool { return len(providerPrefixes[i].prefix) > len(providerPrefixes[j].prefix) })
}

// normProvider maps a raw provider string; unknown values are lowercased.
func normProvider(raw string) string {
	l := strings.ToLower(strings.TrimSpace(raw))
	for _, p := range providerPrefixes {
		if l == p.prefix || strings.HasPrefix(l, p.prefix+".") || strings.HasPrefix(l, p.prefix+"-") || strings.HasPrefix(l, p.prefix+"_") ||
			(strings.HasPrefix(l, p.prefix) && len(p.prefix) >= 5) {
			return p.name
		}
	}
	return l
}

// normFinish maps provider finish reasons to the GenAI enum; unknown values
// are kept as they are.
func normFinish(raw string) string {
	switch strings.ToLower(strings.TrimSpace(raw)) {
	case "stop", "end_turn", "stop_sequence", "eos", "complete":
		return "stop"
	case "length", "max_tokens", "max_output_tokens":
		return "length"
	case "tool_calls", "tool-calls", "tool_use", "function_call", "tool_call":
		return "tool_call"
	case "content_filter", "content-filter", "safety", "recitation", "blocklist", "prohibited_content":
		return "content_filter"
	case "error":
		return "error"
	}
	return strings.TrimSpace(raw)
}

func finishReason(v *view, fromMessages []string) (norm, raw string) {
	var r string
	if x, k := v.get("gen_ai.response.finish_reasons"); k != "" {
		r = firstOf(x)
	}
	if r == "" {
		r = v.str("llm.finish_reason", "ai.response.finishReason", "ai.finishReason", "gen_ai.finishReason",
			"gen_ai.completion.0.finish_reason", "gen_ai.response.finish_reason", "gen_ai.response.stop_reason")
	}
	if r == "" {
		for _, e := range v.eventsNamed("gen_ai.client.inference.operation.details") {
			if x, ok := e.attrs["gen_ai.response.finish_reasons"]; ok && r == "" {
				r = firstOf(x)
			}
		}
	}
	if r == "" && len(fromMessages) > 0 {
		r = fromMessages[0]
	}
	if r == "" {
		return "", ""
	}
	return normFinish(r), r
}

// firstOf returns the first element of an array, a JSON array string, or a
// plain string.
func firstOf(x any) string {
	switch t := x.(type) {
	case []any:
		if len(t) > 0 {
			return asString(t[0])
		}
	case string:
		if p, ok := parseJSON(t); ok {
			if l, ok := p.([]any); ok {
				return firstOf(l)
			}
		}
		return t
	}
	return asString(x)
}

// usage reads token counts under the inclusive convention. The first key
// of each alias chain wins, so a dotted current key (even with value 0)
// shadows its legacy spelling, and `gen_ai.*` and `llm.*` duplicates on a
// dual-emitting span are never summed.
func usage(v *view, embed bool) spancommit.Usage {
	// Langfuse's explicit usage_details come first (as in Langfuse's own
	// ingestion); fields it does not set fall through to the alias chains.
	u := langfuseUsage(v)
	or := func(dst **int64, n *int64) {
		if *dst == nil {
			*dst = n
		}
	}
	in := []string{"gen_ai.usage.input_tokens", "gen_ai.usage.prompt_tokens", "llm.token_count.prompt", "ai.usage.inputTokens", "ai.usage.promptTokens"}
	if embed {
		in = append(in, "ai.usage.tokens")
	}
	or(&u.Input, v.count(in...))
	or(&u.Output, v.count("gen_ai.usage.output_tokens", "gen_ai.usage.completion_tokens", "llm.token_count.completion", "ai.usage.outputTokens", "ai.usage.completionTokens"))
	or(&u.Total, v.count("gen_ai.usage.total_tokens", "llm.token_count.total", "llm.usage.total_tokens", "ai.usage.totalTokens", "ai.usage.tokens"))
	or(&u.CacheRead, v.count("gen_ai.usage.cache_read.input_tokens", "gen_ai.usage.cache_read_input_tokens", "gen_ai.usage.cache_read_tokens",
		"gen_ai.usage.details.cache_read_tokens", "llm.token_count.prompt_details.cache_read", "ai.usage.cachedInputTokens",
		"ai.usage.inputTokenDetails.cacheReadTokens"))
	or(&u.CacheWrite, v.count("gen_ai.usage.cache_creation.input_tokens", "gen_ai.usage.cache_creation_input_tokens",
		"gen_ai.usage.cache_write_tokens", "llm.token_count.prompt_details.cache_write", "ai.usage.inputTokenDetails.cacheWriteTokens"))
	or(&u.Reasoning, v.count("gen_ai.usage.reasoning.output_tokens", "gen_ai.usage.reasoning_tokens", "llm.token_count.completion_details.reasoning",
		"llm.usage.reasoning_tokens", "ai.usage.reasoningTokens", "ai.usage.outputTokenDetails.reasoningTokens"))
	// AI SDK provider metadata carries cache and reasoning counts the
	// usage keys miss (Anthropic cache writes, OpenAI reasoning).
	if x, ok := v.structured("ai.response.providerMetadata"); ok {
		if pm, ok := x.(map[string]any); ok {
			pick := func(dst **int64, paths ...string) {
				if *dst != nil {
					return
				}
				for _, p := range paths {
					if n, ok := asInt(dig(pm, p)); ok && n >= 0 {
						*dst = &n
						return
					}
				}
			}
			pick(&u.CacheRead, "openai.cachedPromptTokens", "anthropic.cacheReadInputTokens", "anthropic.usage.cache_read_input_tokens",
				"bedrock.usage.cacheReadInputTokens")
			pick(&u.CacheWrite, "anthropic.cacheCreationInputTokens", "anthropic.usage.cache_creation_input_tokens",
				"bedrock.usage.cacheWriteInputTokens", "bedrock.usage.cacheCreationInputTokens")
			pick(&u.Reasoning, "openai.reasoningTokens")
		}
	}
	if u.Total == nil && u.Input != nil && u.Output != nil {
		t := *u.Input + *u.Output
		u.Total = &t
	}
	return u
}

// dig walks a dotted path through nested maps.
func dig(m map[string]any, path string) any {
	var cur any = m
	for _, p := range strings.Split(path, ".") {
		mm, ok := cur.(map[string]any)
		if !ok {
			return nil
		}
		cur = mm[p]
	}
	return cur
}

func cost(v *view) spancommit.Cost {
	var c spancommit.Cost
	c.Total = v.number("gen_ai.usage.cost", "llm.cost.total")
	c.Input = v.number("llm.cost.prompt")
	c.Output = v.number("llm.cost.completion")
	// Langfuse cost_details: per-bucket costs (input_cached_tokens, …)
	// summed per side, so cache costs are not lost from the total.
	lf := langfuseCost(v)
	if c.Total == nil {
		c.Total = lf.Total
	}
	if c.Input == nil {
		c.Input = lf.Input
	}
	if c.Output == nil {
		c.Output = lf.Output
	}
	return c
}

// paramKeys maps request parameters of each convention to the OpenAI names
// the Maxim SDKs use in modelParameters.
var genaiParams = []struct{ key, name string }{
	{"gen_ai.request.temperature", "temperature"}, {"gen_ai.request.max_tokens", "max_tokens"}, {"gen_ai.request.top_p", "top_p"},
	{"gen_ai.request.top_k", "top_k"}, {"gen_ai.request.frequency_penalty", "frequency_penalty"},
	{"gen_ai.request.presence_penalty", "presence_penalty"}, {"gen_ai.request.seed", "seed"}, {"gen_ai.openai.request.seed", "seed"},
	{"gen_ai.request.stop_sequences", "stop"}, {"gen_ai.request.choice.count", "n"}, {"gen_ai.request.encoding_formats", "encoding_format"},
	{"gen_ai.openai.request.response_format", "response_format"}, {"gen_ai.output.type", "output_type"},
	{"gen_ai.request.reasoning_effort", "reasoning_effort"},
	{"llm.top_k", "top_k"}, {"llm.frequency_penalty", "frequency_penalty"}, {"llm.presence_penalty", "presence_penalty"},
	{"llm.chat.stop_sequences", "stop"},
	{"ai.settings.temperature", "temperature"}, {"ai.settings.maxOutputTokens", "max_tokens"}, {"ai.settings.maxTokens", "max_tokens"},
	{"ai.settings.topP", "top_p"}, {"ai.settings.topK", "top_k"}, {"ai.settings.frequencyPenalty", "frequency_penalty"},
	{"ai.settings.presencePenalty", "presence_penalty"}, {"ai.settings.stopSequences", "stop"}, {"ai.settings.seed", "seed"},
}

// counting parameters where a negative value means "not set".
var countParams = map[string]bool{"max_tokens": true, "seed": true, "n": true, "max_completion_tokens": true}

func modelParameters(v *view) map[string]any {
	out := map[string]any{}
	set := func(name string, x any) {
		if _, done := out[name]; done || !meaningful(x) {
			return
		}
		switch t := x.(type) {
		case string:
			if f, ok := asFloat(t); ok {
				x = f
			} else if strings.EqualFold(t, "nan") || strings.Contains(strings.ToLower(t), "inf") {
				return
			}
		}
		if f, ok := x.(float64); ok && f == float64(int64(f)) && countParams[name] {
			x = int64(f)
		}
		if countParams[name] {
			if n, ok := asInt(x); ok && n < 0 {
				return
			}
		}
		out[name] = x
	}
	// Langfuse's explicit model parameters first (Langfuse reads them
	// before any convention key).
	langfuseParams(v, set)
	for _, p := range genaiParams {
		if p.key == "llm.top_k" || strings.HasPrefix(p.key, "ai.settings") {
			continue
		}
		if x, ok := v.attrs[p.key]; ok {
			set(p.name, x)
		}
	}
	if b, ok := asBool(v.attrs["gen_ai.request.stream"]); ok {
		set("stream", b)
	}
	for _, k := range []string{"llm.invocation_parameters", "embedding.invocation_parameters"} {
		if x, ok := v.structured(k); ok {
			if m, ok := x.(map[string]any); ok {
				keys := make([]string, 0, len(m))
				for kk := range m {
					keys = append(keys, kk)
				}
				sort.Strings(keys)
				for _, kk := range keys {
					switch kk {
					case "model", "messages", "tools", "functions", "input", "prompt":
						continue
					case "max_completion_tokens":
						set("max_tokens", m[kk])
						continue
					}
					set(kk, m[kk])
				}
			}
		}
	}
	for _, p := range genaiParams {
		if p.key == "llm.top_k" || strings.HasPrefix(p.key, "ai.settings") || strings.HasPrefix(p.key, "llm.") {
			if x, ok := v.attrs[p.key]; ok {
				set(p.name, x)
			}
		}
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

// toolsOffered gathers tool definitions into the OpenAI shape
// {type:"function",function:{name,description,parameters}}, deduplicated by
// name.
func toolsOffered(v *view) []any {
	var raw []any
	if x, ok := v.structured("gen_ai.tool.definitions"); ok {
		if l, ok := x.([]any); ok {
			raw = append(raw, l...)
		}
	}
	if l, ok := v.flatList("llm.tools").([]any); ok {
		for _, it := range l {
			if m, ok := it.(map[string]any); ok {
				if t, ok := m["tool"].(map[string]any); ok {
					if s, ok := t["json_schema"].(string); ok {
						if p, ok := parseJSON(s); ok {
							raw = append(raw, p)
						}
					} else if js, ok := t["json_schema"].(map[string]any); ok {
						raw = append(raw, js)
					}
				}
			}
		}
	}
	if x, ok := v.attrs["ai.prompt.tools"]; ok {
		var l []any
		switch t := x.(type) {
		case []any:
			l = t
		case string:
			if p, ok := parseJSON(t); ok {
				l, _ = p.([]any)
			}
		}
		for _, it := range l {
			if s, ok := it.(string); ok {
				if p, ok := parseJSON(s); ok {
					raw = append(raw, p)
				}
			} else {
				raw = append(raw, it)
			}
		}
	}
	if l, ok := v.flatList("llm.request.functions").([]any); ok {
		raw = append(raw, l...)
	}
	var out []any
	seen := map[string]bool{}
	for _, it := range raw {
		m, ok := it.(map[string]any)
		if !ok {
			continue
		}
		fn := m
		if f, ok := m["function"].(map[string]any); ok {
			fn = f
		}
		name := asString(fn["name"])
		if name == "" || seen[name] {
			continue
		}
		seen[name] = true
		def := map[string]any{"name": name}
		if d := asString(fn["description"]); d != "" {
			def["description"] = d
		}
		for _, k := range []string{"parameters", "inputSchema", "input_schema"} {
			if p, ok := fn[k]; ok {
				if s, isStr := p.(string); isStr {
					if pp, ok := parseJSON(s); ok {
						p = pp
					}
				}
				def["parameters"] = p
				break
			}
		}
		out = append(out, map[string]any{"type": "function", "function": def})
	}
	return out
}

// toolFields fills the tool-call fields of a tool span.
func toolFields(v *view, c *spancommit.Canonical) {
	c.ToolName = v.str("gen_ai.tool.name", "ai.toolCall.name", "tool.name", "flue.tool.name")
	if c.ToolName == "" && strings.EqualFold(v.str("traceloop.span.kind"), "tool") {
		c.ToolName = v.str("traceloop.entity.name")
	}
	if c.ToolName == "" {
		switch {
		case strings.HasPrefix(v.name, "execute_tool "):
			c.ToolName = strings.TrimSpace(strings.TrimPrefix(v.name, "execute_tool "))
		case strings.HasPrefix(v.name, "tools/call "):
			// MCP span name "{mcp.method.name} {target}".
			c.ToolName = strings.TrimSpace(strings.TrimPrefix(v.name, "tools/call "))
		case strings.HasSuffix(v.name, ".tool"):
			c.ToolName = strings.TrimSuffix(v.name, ".tool")
		default:
			c.ToolName = v.name
		}
	}
	c.ToolCallID = v.str("gen_ai.tool.call.id", "ai.toolCall.id", "tool.id", "tool_call.id", "flue.tool.call_id")
	c.ToolDescription = v.str("gen_ai.tool.description", "tool.description")
	if x, k := v.get(lfInput, "gen_ai.tool.call.arguments", "ai.toolCall.args", "ai.toolCall.input", "input.value", "traceloop.entity.input",
		"tool_arguments", "gcp.vertex.agent.tool_call_args", "flue.tool.arguments", "input"); k != "" {
		if s, isStr := x.(string); isStr && looksJSON(s) {
			if text, ok := argsTextOfJSON(s); ok {
				c.ToolArguments = text
			} else {
				if _, ok := parseJSON(s); !ok {
					v.flag(k)
				}
				c.ToolArguments = argsText(x)
			}
		} else {
			c.ToolArguments = argsText(x)
		}
	}
	if x, k := v.get(lfOutput, "gen_ai.tool.call.result", "ai.toolCall.result", "ai.toolCall.output", "output.value", "traceloop.entity.output",
		"tool_response", "gcp.vertex.agent.tool_response", "output"); k != "" {
		c.ToolResult = resultText(x)
		c.HasToolResult = true
		if s, isStr := x.(string); isStr && noToolWrapper(s) {
			// Nothing to unwrap: skip decoding the result.
		} else if r, ok := unwrapToolResult(x); ok {
			text, isErr := r.text, r.isErr
			c.ToolResult = text
			if c.ToolCallID == "" {
				// A LangChain ToolMessage names the call it answers.
				c.ToolCallID = r.callID
			}
			if isErr && c.ErrorMessage == "" {
				// MCP reports tool failures inside a successful JSON-RPC
				// result (`isError: true`); LangChain ToolMessage has
				// status "error". Either way the call failed.
				c.ErrorType = "tool_error"
				c.ErrorMessage = text
				if c.ErrorMessage == "" {
					c.ErrorMessage = "tool_error"
				}
			}
		}
	}
}

// unwrapped is a tool output taken out of its envelope.
type unwrapped struct {
	text   string
	isErr  bool
	callID string // the tool call it answers, when the envelope says
}

// unwrapToolResult reads the result envelopes frameworks wrap tool output
// in: an MCP CallToolResult {content:[{type:"text",text}], isError,
// structuredContent} and a LangChain ToolMessage {type:"tool", content,
// tool_call_id, status} (what OpenInference puts in output.value: as it is
// from Python, serialized by LangChain {lc, type:"constructor", kwargs} and
// inside the run's outputs {output: …} from JS). ok is false for anything
// else, which stays as it is.
func unwrapToolResult(x any) (unwrapped, bool) {
	if s, isStr := x.(string); isStr {
		if !looksJSON(s) {
			return unwrapped{}, false
		}
		p, parsed := parseJSON(s)
		if !parsed {
			return unwrapped{}, false
		}
		x = p
	}
	m, isMap := x.(map[string]any)
	if !isMap {
		return unwrapped{}, false
	}
	if kw, _, ok := lcKwargs(m); ok {
		return unwrapToolResult(kw)
	}
	if out, ok := m["output"].(map[string]any); ok && len(m) == 1 {
		// A LangChain tool run's outputs {output: ToolMessage}
		// (OpenInference JS); any other single `output` stays as sent.
		if kw, _, ok := lcKwargs(out); ok {
			return unwrapToolResult(kw)
		}
		return unwrapped{}, false
	}
	content, hasContent := m["content"]
	if !hasContent {
		return unwrapped{}, false
	}
	var r unwrapped
	switch {
	case asString(m["type"]) == "tool" || (m["tool_call_id"] != nil && m["status"] != nil):
		// LangChain ToolMessage (also its `kwargs` when dumped by
		// langchain's serializer).
		r.isErr = strings.EqualFold(asString(m["status"]), "error")
		r.callID = asString(m["tool_call_id"])
	case m["isError"] != nil || isPartsList(content):
		// MCP CallToolResult.
		b, _ := asBool(m["isError"])
		r.isErr = b
		if !isPartsList(content) {
			return unwrapped{}, false
		}
		if sc, ok := m["structuredContent"]; ok && meaningful(sc) && !r.isErr {
			if t := partsText(content); t == "" {
				r.text = compactJSON(sc)
				return r, true
			}
		}
	default:
		return unwrapped{}, false
	}
	switch c := content.(type) {
	case string:
		r.text = unquote(c)
		return r, true
	case []any:
		if t := partsText(c); t != "" {
			r.text = t
			return r, true
		}
	}
	r.text = resultText(content)
	return r, true
}

// isPartsList reports whether x is a list of typed content parts.
func isPartsList(x any) bool {
	l, ok := x.([]any)
	if !ok || len(l) == 0 {
		return false
	}
	for _, it := range l {
		m, ok := it.(map[string]any)
		if !ok || m["type"] == nil {
			return false
		}
	}
	return true
}

// partsText joins the text parts of a content list.
func partsText(x any) string {
	l, _ := x.([]any)
	var b []string
	for _, it := range l {
		if m, ok := it.(map[string]any); ok && asString(m["type"]) == "text" {
			b = append(b, asString(m["text"]))
		}
	}
	return strings.Join(b, "\n")
}

// retrievalFields fills query and documents; each document is validated on
// its own, so one bad document never drops the others.
func retrievalFields(v *view, c *spancommit.Canonical) {
	c.RetrievalQuery = v.str("gen_ai.retrieval.query.text", "reranker.query", "input.value", "traceloop.entity.input", "db.query.text")
	if c.RetrievalQuery == "" {
		if x, k := v.get(lfInput); k != "" {
			c.RetrievalQuery = lfText(x)
		}
	}
	var docs []any
	if x, ok := v.structured("gen_ai.retrieval.documents"); ok {
		docs, _ = x.([]any)
	}
	if docs == nil {
		// Langfuse retriever observations: the documents are the output.
		if x, ok := v.structured(lfOutput); ok {
			if m, ok := x.(map[string]any); ok {
				x = m["documents"]
			}
			docs, _ = x.([]any)
		}
	}
	if docs == nil {
		for _, p := range []string{"retrieval.documents", "reranker.output_documents"} {
			if l, ok := v.flatList(p).([]any); ok {
				for _, it := range l {
					if m, ok := it.(map[string]any); ok {
						if d, ok := m["document"].(map[string]any); ok {
							docs = append(docs, d)
						}
					}
				}
				break
			}
		}
	}
	if docs == nil {
		for _, e := range v.eventsNamed("db.query.result") {
			d := map[string]any{}
			for k, x := range e.attrs {
				d[strings.TrimPrefix(k, "db.query.result.")] = x
			}
			docs = append(docs, d)
		}
	}
	for _, it := range docs {
		var d spancommit.Document
		switch m := it.(type) {
		case string:
			d.Content = m
		case map[string]any:
			d.ID = firstStr(m, "id")
			d.Content = firstStr(m, "content", "document", "text", "page_content", "pageContent")
			if f, ok := asFloat(m["score"]); ok {
				d.Score = &f
			}
			if f, ok := asFloat(m["distance"]); ok {
				d.Distance = &f
			}
			if md, ok := m["metadata"]; ok && meaningful(md) {
				if s, isStr := md.(string); isStr {
					if p, ok := parseJSON(s); ok {
						md = p
					}
				}
				d.Metadata = md
			}
		default:
			continue
		}
		if d.ID == "" && d.Content == "" && d.Score == nil && d.Distance == nil {
			continue
		}
		c.Documents = append(c.Documents, d)
	}
}

// errorFields reads status, error.type and the exception event.
func errorFields(v *view, c *spancommit.Canonical) {
	st := v.span.Status()
	var exc *event
	for i := range v.events {
		if v.events[i].name == "exception" {
			exc = &v.events[i]
			break
		}
	}
	lfErr, lfMsg := langfuseLevel(v)
	// error.type is only set when the operation failed (semconv), even
	// where the span status stays unset (MCP tool_error on some SDKs).
	if st.Code() != ptrace.StatusCodeError && exc == nil && !lfErr && v.str("error.type") == "" {
		return
	}
	c.ErrorType = v.str("error.type")
	if exc != nil {
		if c.ErrorType == "" {
			c.ErrorType = asString(exc.attrs["exception.type"])
		}
		c.ErrorMessage = asString(exc.attrs["exception.message"])
		c.ErrorStacktrace = asString(exc.attrs["exception.stacktrace"])
	}
	if st.Message() != "" {
		c.ErrorMessage = st.Message()
	}
	if lfMsg != "" {
		// Langfuse: status_message ?? status.message.
		c.ErrorMessage = lfMsg
	}
	if c.ErrorMessage == "" {
		c.ErrorMessage = c.ErrorType
	}
	if c.ErrorMessage == "" {
		c.ErrorMessage = "error"
	}
}
