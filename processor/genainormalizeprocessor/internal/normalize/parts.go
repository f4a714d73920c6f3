package normalize

import (
	"strconv"
	"strings"

	"github.com/otelcol-genai/otelcol-genai/pkg/spancommit"
)

// partsList reports whether a parsed list looks like content parts.
func partsList(l []any) bool {
	for _, it := range l {
		if m, ok := it.(map[string]any); ok {
			if _, ok := m["type"]; ok {
				return true
			}
		}
	}
	return false
}

// finalizeContent collapses parts: one text part becomes a plain string
// (as the SDKs send it); an assistant turn with only tool calls has null
// content, as in OpenAI's shape.
func finalizeContent(parts []spancommit.Part, hasToolCalls bool) any {
	switch {
	case len(parts) == 0 && hasToolCalls:
		return nil
	case len(parts) == 0:
		return ""
	case len(parts) == 1 && parts[0].Type == "text":
		return parts[0].Text
	}
	return parts
}

// contentParts reads a content value of any dialect.
func contentParts(c any) (parts []spancommit.Part, calls []spancommit.ToolCall, results []toolResult, reasoning []string) {
	switch t := c.(type) {
	case nil:
		return
	case string:
		if t != "" {
			parts = append(parts, spancommit.Part{Type: "text", Text: t})
		}
		return
	case map[string]any:
		return contentParts([]any{t})
	case []any:
		for _, it := range t {
			switch p := it.(type) {
			case string:
				if p != "" {
					parts = append(parts, spancommit.Part{Type: "text", Text: p})
				}
			case map[string]any:
				if inner, ok := p["message_content"].(map[string]any); ok {
					p = inner
				}
				pp, tc, tr, rs := onePart(p)
				if pp != nil {
					parts = append(parts, *pp)
				}
				if tc != nil {
					calls = append(calls, *tc)
				}
				if tr != nil {
					results = append(results, *tr)
				}
				if rs != "" {
					reasoning = append(reasoning, rs)
				}
			}
		}
	default:
		parts = append(parts, spancommit.Part{Type: "text", Text: asString(t)})
	}
	return
}

func onePart(p map[string]any) (*spancommit.Part, *spancommit.ToolCall, *toolResult, string) {
	typ := strings.ToLower(asString(p["type"]))
	text := func() string {
		for _, k := range []string{"text", "content"} {
			if s, ok := p[k].(string); ok {
				return s
			}
		}
		return ""
	}
	switch typ {
	case "text", "input_text", "output_text":
		return &spancommit.Part{Type: "text", Text: text()}, nil, nil, ""
	case "refusal":
		return &spancommit.Part{Type: "text", Text: asString(p["refusal"])}, nil, nil, ""
	case "reasoning", "thinking":
		s := text()
		if s == "" {
			s = asString(p["thinking"])
		}
		return nil, nil, nil, s
	case "redacted_thinking":
		return nil, nil, nil, ""
	case "image_url":
		switch u := p["image_url"].(type) {
		case string:
			return imagePart(u, ""), nil, nil, ""
		case map[string]any:
			ip := imagePart(asString(u["url"]), "")
			ip.ImageURL.Detail = asString(u["detail"])
			return ip, nil, nil, ""
		}
	case "image":
		// OpenInference: {image:{image:{url}}} or {image:{url}}; AI SDK v4:
		// {image, mimeType}; Anthropic: {source:{type,media_type,data|url}}.
		if im, ok := p["image"].(map[string]any); ok {
			if in, ok := im["image"].(map[string]any); ok {
				im = in
			}
			return imagePart(asString(im["url"]), ""), nil, nil, ""
		}
		if s, ok := p["image"].(string); ok {
			return imagePart(s, asString(p["mimeType"])), nil, nil, ""
		}
		if src, ok := p["source"].(map[string]any); ok {
			if u := asString(src["url"]); u != "" {
				return imagePart(u, ""), nil, nil, ""
			}
			return imagePart(asString(src["data"]), asString(src["media_type"])), nil, nil, ""
		}
	case "blob", "uri", "file", "input_audio", "audio", "media", "document":
		return mediaPart(p), nil, nil, ""
	case "tool_call", "tool-call", "tool_use", "function_call", "server_tool_call":
		if tc, ok := toolCallOf(p); ok {
			return nil, &tc, nil, ""
		}
	case "tool_call_response", "tool-result", "tool_result", "function_call_output", "server_tool_call_response":
		r := toolResult{id: firstStr(p, "id", "toolCallId", "tool_use_id", "call_id", "tool_call_id")}
		var out any
		for _, k := range []string{"response", "result", "output", "content"} {
			if x, ok := p[k]; ok {
				out = x
				break
			}
		}
		// AI SDK v5+: output {type:"text"|"json"|..., value}.
		if o, ok := out.(map[string]any); ok {
			if val, ok := o["value"]; ok && o["type"] != nil {
				out = val
			}
		}
		r.content = resultText(out)
		return nil, nil, &r, ""
	case "":
		// Gemini inline data has no type.
		for _, k := range []string{"inline_data", "inlineData"} {
			if d, ok := p[k].(map[string]any); ok {
				mt := firstStr(d, "mime_type", "mimeType")
				return mediaPart(map[string]any{"type": "blob", "mime_type": mt, "content": d["data"]}), nil, nil, ""
			}
		}
		if s := text(); s != "" {
			return &spancommit.Part{Type: "text", Text: s}, nil, nil, ""
		}
	default:
		if s := text(); s != "" {
			return &spancommit.Part{Type: "text", Text: s}, nil, nil, ""
		}
	}
	return nil, nil, nil, ""
}

func firstStr(m map[string]any, keys ...string) string {
	for _, k := range keys {
		if s := asString(m[k]); s != "" {
			return s
		}
	}
	return ""
}

// resultText renders a tool result: strings as they are (a JSON string
// literal is unwrapped), anything else as compact JSON.
func resultText(x any) string {
	switch t := x.(type) {
	case nil:
		return ""
	case string:
		return unquote(t)
	case []any:
		// Anthropic tool_result content blocks: join their text.
		var b []string
		for _, it := range t {
			if m, ok := it.(map[string]any); ok && asString(m["type"]) == "text" {
				b = append(b, asString(m["text"]))
			}
		}
		if len(b) == len(t) && len(b) > 0 {
			return strings.Join(b, "\n")
		}
	}
	return compactJSON(x)
}

// unquote unwraps a JSON string literal (`"\"value\""` → `value`).
func unquote(s string) string {
	t := strings.TrimSpace(s)
	if len(t) >= 2 && t[0] == '"' && t[len(t)-1] == '"' {
		if u, err := strconv.Unquote(t); err == nil {
			return u
		}
	}
	return s
}

func imagePart(src, mime string) *spancommit.Part {
	u := src
	if u != "" && !strings.Contains(u[:min(len(u), 16)], ":") {
		// Bare base64 data: make it a data URI so it stays self-describing.
		if mime == "" {
			mime = "image/png"
		}
		u = "data:" + mime + ";base64," + u
	}
	return &spancommit.Part{Type: "image_url", ImageURL: &spancommit.ImageURL{URL: u}}
}

// mediaPart maps GenAI blob/uri/file, AI SDK file and OpenAI file/audio
// parts. Images become image_url parts (what the SDKs send for images).
func mediaPart(p map[string]any) *spancommit.Part {
	typ := asString(p["type"])
	mime := firstStr(p, "mime_type", "mimeType", "mediaType", "media_type", "format")
	modality := asString(p["modality"])
	if f, ok := p["file"].(map[string]any); ok { // OpenAI {type:file, file:{file_data|file_id, filename}}
		return &spancommit.Part{Type: "file", File: &spancommit.Media{Data: asString(f["file_data"]), FileID: asString(f["file_id"]), Filename: asString(f["filename"])}}
	}
	if a, ok := p["input_audio"].(map[string]any); ok {
		return &spancommit.Part{Type: "input_audio", InputAudio: &spancommit.Media{Data: asString(a["data"]), Format: asString(a["format"])}}
	}
	data := firstStr(p, "content", "data")
	uri := firstStr(p, "uri", "url")
	if typ == "file" && data != "" && strings.Contains(data[:min(len(data), 12)], "://") {
		uri, data = data, ""
	}
	isImage := modality == "image" || strings.HasPrefix(mime, "image/")
	isAudio := modality == "audio" || strings.HasPrefix(mime, "audio/")
	switch {
	case isImage && uri != "":
		return imagePart(uri, mime)
	case isImage && data != "":
		if strings.HasPrefix(data, "data:") {
			return imagePart(data, mime)
		}
		return imagePart(data, mime)
	case isAudio && data != "":
		return &spancommit.Part{Type: "input_audio", InputAudio: &spancommit.Media{Data: data, Format: mime}}
	}
	return &spancommit.Part{Type: "file", File: &spancommit.Media{Data: data, URL: uri, Format: mime, FileID: asString(p["file_id"])}}
}
