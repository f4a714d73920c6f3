package tracetreefeedreceiver

import (
	"encoding/json"

	"github.com/otelcol-genai/otelcol-genai/internal/tree"
)

// The SDKs send chat messages in the OpenAI shape; the OTel GenAI
// conventions (v1.37+) carry them as role + typed parts. These types are
// the JSON schema of gen_ai.input.messages / gen_ai.output.messages /
// gen_ai.system_instructions.

type genaiPart struct {
	Type      string `json:"type"`
	Content   any    `json:"content,omitempty"`
	ID        string `json:"id,omitempty"`
	Name      string `json:"name,omitempty"`
	Arguments any    `json:"arguments,omitempty"`
	Response  any    `json:"response,omitempty"`
}

type genaiMessage struct {
	Role         string      `json:"role"`
	Parts        []genaiPart `json:"parts"`
	FinishReason string      `json:"finish_reason,omitempty"`
}

type openAIToolCall struct {
	ID       string `json:"id"`
	Function struct {
		Name      string `json:"name"`
		Arguments string `json:"arguments"`
	} `json:"function"`
}

type openAIMessage struct {
	Role       string           `json:"role"`
	Content    json.RawMessage  `json:"content"`
	ToolCalls  []openAIToolCall `json:"tool_calls"`
	ToolCallID string           `json:"tool_call_id"`
}

// genaiInput converts SDK messages: system (and developer) turns become
// system instructions, the rest input messages. A message that is not an
// object is kept as one text part so nothing is silently lost.
func genaiInput(raw []tree.RawJSON) (system []genaiPart, msgs []genaiMessage) {
	for _, r := range raw {
		var m openAIMessage
		if json.Unmarshal(r, &m) != nil || m.Role == "" {
			msgs = append(msgs, genaiMessage{Role: "user", Parts: []genaiPart{{Type: "text", Content: rawText(r)}}})
			continue
		}
		parts := contentParts(m.Content)
		if m.Role == "system" || m.Role == "developer" {
			system = append(system, parts...)
			continue
		}
		if m.Role == "tool" {
			msgs = append(msgs, genaiMessage{Role: "tool", Parts: []genaiPart{{Type: "tool_call_response", ID: m.ToolCallID, Response: rawText(m.Content)}}})
			continue
		}
		for _, tc := range m.ToolCalls {
			parts = append(parts, toolCallPart(tc.ID, tc.Function.Name, tc.Function.Arguments))
		}
		msgs = append(msgs, genaiMessage{Role: m.Role, Parts: parts})
	}
	return system, msgs
}

// contentParts converts OpenAI content: a string, null, or a list of
// typed parts (text, image_url, input_audio, file).
func contentParts(raw json.RawMessage) []genaiPart {
	if len(raw) == 0 || string(raw) == "null" {
		return []genaiPart{}
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return []genaiPart{{Type: "text", Content: s}}
	}
	var list []map[string]any
	if json.Unmarshal(raw, &list) != nil {
		return []genaiPart{{Type: "text", Content: string(raw)}}
	}
	out := make([]genaiPart, 0, len(list))
	for _, p := range list {
		typ, _ := p["type"].(string)
		switch typ {
		case "text":
			out = append(out, genaiPart{Type: "text", Content: p["text"]})
		case "image_url":
			url := ""
			if m, ok := p["image_url"].(map[string]any); ok {
				url, _ = m["url"].(string)
			}
			out = append(out, genaiPart{Type: "uri", Content: url})
		default:
			// Audio, files and unknown parts: kept with their original type.
			out = append(out, genaiPart{Type: typ, Content: p})
		}
	}
	return out
}

func toolCallPart(id, name, args string) genaiPart {
	var parsed any
	if json.Unmarshal([]byte(args), &parsed) != nil {
		parsed = args
	}
	return genaiPart{Type: "tool_call", ID: id, Name: name, Arguments: parsed}
}

// genaiOutput converts the folded completion into one assistant message.
func genaiOutput(c *tree.Completion) []genaiMessage {
	if c == nil || c.Object == "error" {
		return nil
	}
	parts := []genaiPart{}
	if c.Text != "" {
		parts = append(parts, genaiPart{Type: "text", Content: c.Text})
	}
	for _, raw := range c.ToolCalls {
		var tc openAIToolCall
		if json.Unmarshal(raw, &tc) == nil {
			parts = append(parts, toolCallPart(tc.ID, tc.Function.Name, tc.Function.Arguments))
		}
	}
	if len(parts) == 0 && len(c.FinishReasons) == 0 {
		return nil
	}
	m := genaiMessage{Role: "assistant", Parts: parts}
	if len(c.FinishReasons) > 0 {
		m.FinishReason = c.FinishReasons[0]
	}
	return []genaiMessage{m}
}
