// Package genaimsg converts chat messages from the OpenAI shape (what the
// Maxim SDKs send and what genai_normalize writes as canonical messages) to
// the OpenTelemetry GenAI (v1.37+) message schema of gen_ai.input.messages,
// gen_ai.output.messages and gen_ai.system_instructions. The tracetree_feed
// receiver (SDK data) and the genai_normalize processor (OTLP data) both use
// it, so vendors see one message format whichever way a trace arrived.
package genaimsg

import "encoding/json"

// Part is one typed part of a GenAI message.
type Part struct {
	Type      string `json:"type"`
	Content   any    `json:"content,omitempty"`
	ID        string `json:"id,omitempty"`
	Name      string `json:"name,omitempty"`
	Arguments any    `json:"arguments,omitempty"`
	Response  any    `json:"response,omitempty"`
}

// Message is a GenAI message: a role and its parts.
type Message struct {
	Role         string `json:"role"`
	Parts        []Part `json:"parts"`
	FinishReason string `json:"finish_reason,omitempty"`
}

// OpenAIToolCall is a tool call in the OpenAI message shape.
type OpenAIToolCall struct {
	ID       string `json:"id"`
	Function struct {
		Name      string `json:"name"`
		Arguments string `json:"arguments"`
	} `json:"function"`
}

type openAIMessage struct {
	Role       string           `json:"role"`
	Content    json.RawMessage  `json:"content"`
	ToolCalls  []OpenAIToolCall `json:"tool_calls"`
	ToolCallID string           `json:"tool_call_id"`
}

// Input converts OpenAI-shaped messages: system (and developer) turns become
// system instructions, the rest input messages. A message that is not an
// object is kept as one text part so nothing is silently lost.
func Input(raw []json.RawMessage) (system []Part, msgs []Message) {
	for _, r := range raw {
		var m openAIMessage
		if json.Unmarshal(r, &m) != nil || m.Role == "" {
			msgs = append(msgs, Message{Role: "user", Parts: []Part{{Type: "text", Content: RawText(r)}}})
			continue
		}
		parts := ContentParts(m.Content)
		if m.Role == "system" || m.Role == "developer" {
			system = append(system, parts...)
			continue
		}
		if m.Role == "tool" {
			msgs = append(msgs, Message{Role: "tool", Parts: []Part{{Type: "tool_call_response", ID: m.ToolCallID, Response: RawText(m.Content)}}})
			continue
		}
		for _, tc := range m.ToolCalls {
			parts = append(parts, ToolCallPart(tc.ID, tc.Function.Name, tc.Function.Arguments))
		}
		msgs = append(msgs, Message{Role: m.Role, Parts: parts})
	}
	return system, msgs
}

// ContentParts converts OpenAI content: a string, null, or a list of
// typed parts (text, image_url, input_audio, file).
func ContentParts(raw json.RawMessage) []Part {
	if len(raw) == 0 || string(raw) == "null" {
		return []Part{}
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return []Part{{Type: "text", Content: s}}
	}
	var list []map[string]any
	if json.Unmarshal(raw, &list) != nil {
		return []Part{{Type: "text", Content: string(raw)}}
	}
	out := make([]Part, 0, len(list))
	for _, p := range list {
		typ, _ := p["type"].(string)
		switch typ {
		case "text":
			out = append(out, Part{Type: "text", Content: p["text"]})
		case "image_url":
			url := ""
			if m, ok := p["image_url"].(map[string]any); ok {
				url, _ = m["url"].(string)
			}
			out = append(out, Part{Type: "uri", Content: url})
		default:
			// Audio, files and unknown parts: kept with their original type.
			out = append(out, Part{Type: typ, Content: p})
		}
	}
	return out
}

// ToolCallPart is a tool_call part; arguments are parsed when they are JSON.
func ToolCallPart(id, name, args string) Part {
	var parsed any
	if json.Unmarshal([]byte(args), &parsed) != nil {
		parsed = args
	}
	return Part{Type: "tool_call", ID: id, Name: name, Arguments: parsed}
}

// RawText returns a JSON string's value, or the JSON text itself.
func RawText(raw json.RawMessage) string {
	if len(raw) == 0 || string(raw) == "null" {
		return ""
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	return string(raw)
}
