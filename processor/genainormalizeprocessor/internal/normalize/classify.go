package normalize

import (
	"strings"

	"github.com/otelcol-genai/otelcol-genai/pkg/spancommit"
)

// class is the outcome of classification.
type class struct {
	kind    string
	subtype string
	// wrapper marks spans that repeat the usage of the model calls below
	// them (AI SDK outer spans, invoke_agent, agent_step): their usage is
	// kept as an aggregate for display and never counted.
	wrapper bool
}

var (
	generation = class{kind: spancommit.KindGeneration}
	embedding  = class{kind: spancommit.KindGeneration, subtype: "embedding"}
	toolCall   = class{kind: spancommit.KindToolCall}
	retrieval  = class{kind: spancommit.KindRetrieval}
	rerank     = class{kind: spancommit.KindRetrieval, subtype: "rerank"}
)

func span(sub string) class { return class{kind: spancommit.KindSpan, subtype: sub} }

// aiSDKOuter are the AI SDK wrapper operations (one per user call); the
// provider calls below them are the generations.
var aiSDKOuter = map[string]string{
	"ai.generateText": "agent", "ai.streamText": "agent", "ai.generateObject": "agent",
	"ai.streamObject": "agent", "ai.embed": "chain", "ai.embedMany": "chain", "ai.rerank": "chain",
}

// classify applies the ordered decision list of docs/conventions.md §2.7;
// the first rule that matches wins.
func classify(v *view) class {
	// 1. Maxim session-end marker: the span only closes a session.
	if v.has(spancommit.AttrSessionEnd) {
		return class{kind: spancommit.KindSessionEnd}
	}
	// 2. Explicit vendor override (Langfuse's observation type maps cleanly).
	if t := strings.ToLower(v.str("langfuse.observation.type")); t != "" {
		switch t {
		case "generation":
			return generation
		case "embedding":
			return embedding
		case "tool":
			return toolCall
		case "retriever":
			return retrieval
		case "span", "event":
			return span("")
		case "agent", "chain", "guardrail", "evaluator":
			return span(t)
		}
	}
	// 3. OpenInference span kind.
	switch strings.ToUpper(v.str("openinference.span.kind")) {
	case "LLM":
		return generation
	case "EMBEDDING":
		return embedding
	case "TOOL":
		return toolCall
	case "RETRIEVER":
		return retrieval
	case "RERANKER":
		return rerank
	case "AGENT":
		return span("agent")
	case "CHAIN":
		return span("chain")
	case "GUARDRAIL":
		return span("guardrail")
	case "EVALUATOR":
		return span("evaluator")
	case "PROMPT":
		return span("prompt")
	}
	op := v.operationID()
	outerSub, isOuter := aiSDKOuter[op]
	// 4. OTel GenAI operation name. OpenLLMetry-JS stamps `chat` on the AI
	// SDK's outer span too; an outer AI SDK operation id beats it, or the
	// wrapper would count its children's tokens a second time.
	switch strings.ToLower(v.str("gen_ai.operation.name")) {
	case "chat", "text_completion", "generate_content", "completion", "generate", "llm_request":
		if !isOuter {
			return generation
		}
	case "embeddings", "embedding":
		if !isOuter {
			return embedding
		}
	case "execute_tool":
		return toolCall
	case "retrieval", "vector_db_retrieve":
		return retrieval
	case "rerank":
		return rerank
	case "invoke_agent", "create_agent", "agent_step", "plan":
		return class{kind: spancommit.KindSpan, subtype: "agent", wrapper: true}
	case "invoke_workflow", "execute_task":
		return class{kind: spancommit.KindSpan, subtype: "chain", wrapper: true}
	case "guardrail.run", "guard":
		return span("guardrail")
	}
	// 4b. MCP (semconv v1.39 `mcp.*`): a tools/call request is a tool call
	// even when the instrumentation sets no gen_ai.operation.name.
	if strings.EqualFold(v.str("mcp.method.name"), "tools/call") {
		return toolCall
	}
	// 5. AI SDK operation id (generations even without a model).
	if op != "" {
		switch {
		case strings.HasSuffix(op, ".doGenerate"), strings.HasSuffix(op, ".doStream"):
			return generation
		case strings.HasSuffix(op, ".doEmbed"):
			return embedding
		case op == "ai.rerank.doRerank":
			return rerank
		case op == "ai.toolCall":
			return toolCall
		case isOuter && v.has("ai.prompt.messages"):
			// Real AI SDK outer spans carry `ai.prompt`; only provider
			// calls carry `ai.prompt.messages`. A lone outer span with
			// messages (Maxim's documented AI SDK example) is the call.
			return generation
		case isOuter:
			return class{kind: spancommit.KindSpan, subtype: outerSub, wrapper: true}
		default:
			return class{kind: spancommit.KindSpan, subtype: "chain", wrapper: true}
		}
	}
	// 6. OpenLLMetry kinds.
	switch strings.ToLower(v.str("traceloop.span.kind")) {
	case "tool":
		return toolCall
	case "workflow":
		return span("chain")
	case "agent":
		return span("agent")
	case "task":
		return span("task")
	}
	switch strings.ToLower(v.str("llm.request.type")) {
	case "chat", "completion":
		return generation
	case "embedding":
		return embedding
	case "rerank":
		return rerank
	}
	// 7. Tool attributes without an operation (Pydantic AI).
	if v.has("gen_ai.tool.name", "gen_ai.tool.call.id") {
		return toolCall
	}
	// 8. Retrieval shape.
	if v.has("gen_ai.retrieval.documents", "gen_ai.retrieval.query.text") || v.hasPrefix("retrieval.documents") ||
		len(v.eventsNamed("db.query.result")) > 0 {
		return retrieval
	}
	// 9. A model or LLM message payloads. ai.model.id is deliberately not
	// here: it sits on AI SDK wrappers too.
	if v.has("gen_ai.request.model", "gen_ai.response.model", "llm.model_name", "langfuse.observation.model.name", "gen_ai.input.messages",
		"gen_ai.output.messages") ||
		v.hasPrefix("llm.input_messages") || v.hasPrefix("llm.output_messages") ||
		v.hasPrefix("gen_ai.prompt.0") || v.hasPrefix("gen_ai.completion.0") {
		return generation
	}
	// Token counts without any wrapper marker: a model call whose
	// instrumentation only reported usage (AI SDK v4 custom spans).
	if v.has("gen_ai.usage.input_tokens", "gen_ai.usage.output_tokens", "gen_ai.usage.prompt_tokens", "gen_ai.usage.completion_tokens",
		"llm.token_count.prompt", "llm.token_count.completion") {
		return generation
	}
	if v.has("embedding.model_name") || v.hasPrefix("embedding.embeddings") {
		return embedding
	}
	// 10. Span-name heuristics, only for names that are unambiguous.
	switch {
	case strings.HasPrefix(v.name, "execute_tool "):
		return toolCall
	case strings.HasPrefix(v.name, "invoke_agent "):
		return class{kind: spancommit.KindSpan, subtype: "agent", wrapper: true}
	}
	// 11. Plain span.
	return span("")
}

// sources lists the conventions a span uses, for debugging and filtering.
func sources(v *view) []string {
	var out []string
	seen := map[string]bool{}
	add := func(s string) {
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	for _, k := range v.keys {
		switch {
		case strings.HasPrefix(k, "gen_ai."):
			add("gen_ai")
		case k == "llm.request.type" || k == "llm.is_streaming" || k == "llm.headers" || strings.HasPrefix(k, "llm.usage."):
			add("openllmetry")
		case strings.HasPrefix(k, "llm."), strings.HasPrefix(k, "openinference."), strings.HasPrefix(k, "retrieval.documents."),
			strings.HasPrefix(k, "embedding."), strings.HasPrefix(k, "input.value"), strings.HasPrefix(k, "tool."):
			add("openinference")
		case strings.HasPrefix(k, "ai."):
			add("ai_sdk")
		case strings.HasPrefix(k, "traceloop."):
			add("openllmetry")
		case k == "maxim.metadata" || k == spancommit.AttrSessionEnd:
			add("maxim")
		case strings.HasPrefix(k, "langfuse."):
			add("langfuse")
		case strings.HasPrefix(k, "mcp."):
			add("mcp")
		}
	}
	for _, e := range v.events {
		if strings.HasPrefix(e.name, "gen_ai.") {
			add("gen_ai")
		}
	}
	return out
}
