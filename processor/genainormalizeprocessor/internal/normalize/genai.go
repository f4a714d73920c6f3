package normalize

import (
	"encoding/json"

	"go.opentelemetry.io/collector/pdata/pcommon"

	"github.com/otelcol-genai/otelcol-genai/internal/genaimsg"
	"github.com/otelcol-genai/otelcol-genai/pkg/spancommit"
)

// writeGenAI writes the OpenTelemetry GenAI (gen_ai.*) view of the canonical
// fields, so that exporters forwarding the span (Datadog, New Relic, any
// OTLP backend) see clean GenAI data whichever convention the client used
// (OpenInference, Vercel AI SDK, OpenLLMetry …). A key the span already
// carries is left as the client sent it. Messages use the same conversion as
// the tracetree_feed receiver uses for SDK data (internal/genaimsg).
func writeGenAI(c *spancommit.Canonical, a pcommon.Map, content bool) {
	put := func(k, v string) {
		if v == "" {
			return
		}
		if _, ok := a.Get(k); !ok {
			a.PutStr(k, v)
		}
	}
	putInt := func(k string, v *int64) {
		if v == nil {
			return
		}
		if _, ok := a.Get(k); !ok {
			a.PutInt(k, *v)
		}
	}
	put("gen_ai.conversation.id", c.SessionID)
	switch c.Kind {
	case spancommit.KindGeneration:
		put("gen_ai.operation.name", "chat")
		put("gen_ai.provider.name", c.Provider)
		put("gen_ai.system", c.Provider) // pre-1.37 name, still read by vendors
		model := c.RequestModel
		if model == "" {
			model = c.Model
		}
		put("gen_ai.request.model", model)
		put("gen_ai.response.model", c.Model)
		put("gen_ai.response.id", c.ResponseID)
		if c.FinishReason != "" {
			if _, ok := a.Get("gen_ai.response.finish_reasons"); !ok {
				a.PutEmptySlice("gen_ai.response.finish_reasons").AppendEmpty().SetStr(c.FinishReason)
			}
		}
		putInt("gen_ai.usage.input_tokens", c.Usage.Input)
		putInt("gen_ai.usage.output_tokens", c.Usage.Output)
		if !content {
			return
		}
		if sys, msgs := genaimsg.Input(rawMessages(c.InputMessages)); len(msgs) > 0 || sys != nil {
			if sys != nil {
				put("gen_ai.system_instructions", marshaled(genaimsg.MarshalParts(sys)))
			}
			if len(msgs) > 0 {
				put("gen_ai.input.messages", marshaled(genaimsg.MarshalMessages(msgs)))
			}
		}
		if _, msgs := genaimsg.Input(rawMessages(c.OutputMessages)); len(msgs) > 0 {
			if c.FinishReason != "" {
				msgs[len(msgs)-1].FinishReason = c.FinishReason
			}
			put("gen_ai.output.messages", marshaled(genaimsg.MarshalMessages(msgs)))
		}
	case spancommit.KindToolCall:
		put("gen_ai.operation.name", "execute_tool")
		put("gen_ai.tool.name", c.ToolName)
		put("gen_ai.tool.call.id", c.ToolCallID)
		put("gen_ai.tool.description", c.ToolDescription)
		if !content {
			return
		}
		put("gen_ai.tool.call.arguments", c.ToolArguments)
		put("gen_ai.tool.call.result", c.ToolResult)
	case spancommit.KindRetrieval:
		put("gen_ai.operation.name", "retrieval")
		if !content {
			return
		}
		put("gen_ai.retrieval.query.text", c.RetrievalQuery)
		if len(c.Documents) > 0 {
			put("gen_ai.retrieval.documents", jsonText(c.Documents))
		}
	}
}

func rawMessages(msgs []spancommit.Message) []json.RawMessage {
	out := make([]json.RawMessage, 0, len(msgs))
	for i := range msgs {
		if raw, err := json.Marshal(msgs[i]); err == nil {
			out = append(out, raw)
		}
	}
	return out
}

func jsonText(v any) string { return marshaled(json.Marshal(v)) }

// marshaled is the text of an encoding, "" when it failed.
func marshaled(raw []byte, err error) string {
	if err != nil {
		return ""
	}
	return string(raw)
}
