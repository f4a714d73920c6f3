package tracetreefeedreceiver

import (
	"encoding/json"

	"github.com/otelcol-genai/otelcol-genai/internal/genaimsg"
	"github.com/otelcol-genai/otelcol-genai/internal/tree"
)

// genaiOutput converts the folded completion into one assistant message.
func genaiOutput(c *tree.Completion) []genaimsg.Message {
	if c == nil || c.Object == "error" {
		return nil
	}
	parts := []genaimsg.Part{}
	if c.Text != "" {
		parts = append(parts, genaimsg.Part{Type: "text", Content: c.Text})
	}
	for _, raw := range c.ToolCalls {
		var tc genaimsg.OpenAIToolCall
		if json.Unmarshal(raw, &tc) == nil {
			parts = append(parts, genaimsg.ToolCallPart(tc.ID, tc.Function.Name, tc.Function.Arguments))
		}
	}
	if len(parts) == 0 && len(c.FinishReasons) == 0 {
		return nil
	}
	m := genaimsg.Message{Role: "assistant", Parts: parts}
	if len(c.FinishReasons) > 0 {
		m.FinishReason = c.FinishReasons[0]
	}
	return []genaimsg.Message{m}
}
