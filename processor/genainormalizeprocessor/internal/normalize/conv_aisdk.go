package normalize

// Vercel AI SDK: ai.prompt.messages, the ai.prompt object, and the
// ai.response.* / ai.result.* answer.

func aisdkPromptMessages(v *view, t *taker) {
	if x, ok := v.structured("ai.prompt.messages"); ok {
		t.take(x)
	}
}

func aisdkPrompt(v *view, t *taker) {
	if x, ok := v.structured("ai.prompt"); ok {
		if m, ok := x.(map[string]any); ok {
			var l []any
			if s := asString(m["system"]); s != "" {
				l = append(l, map[string]any{"role": "system", "content": s})
			}
			if msgs, ok := m["messages"].([]any); ok {
				l = append(l, msgs...)
			}
			if p, ok := m["prompt"]; ok && meaningful(p) {
				if pl, ok := p.([]any); ok {
					l = append(l, pl...)
				} else {
					l = append(l, map[string]any{"role": "user", "content": p})
				}
			}
			t.take(l)
		} else {
			t.take(x)
		}
	}
}

// Text, tool calls and reasoning make one assistant turn.
func aisdkResponse(v *view, t *taker) {
	m := map[string]any{"role": "assistant"}
	var content []any
	if s := v.str("ai.response.text", "ai.result.text"); s != "" {
		content = append(content, map[string]any{"type": "text", "text": s})
	}
	if s := v.str("ai.response.reasoning", "ai.response.reasoningText"); s != "" {
		m["reasoning"] = s
	}
	for _, k := range []string{"ai.response.toolCalls", "ai.result.toolCalls"} {
		if x, ok := v.structured(k); ok {
			if l, ok := x.([]any); ok {
				for _, it := range l {
					if tm, ok := it.(map[string]any); ok {
						c := map[string]any{"type": "tool-call"}
						for kk, vv := range tm {
							c[kk] = vv
						}
						c["type"] = "tool-call"
						content = append(content, c)
					}
				}
			}
			break
		}
	}
	if len(content) == 0 {
		if x, k := v.get("ai.response.object", "ai.result.object"); k != "" {
			content = append(content, map[string]any{"type": "text", "text": asString(x)})
		}
	}
	if len(content) > 0 || m["reasoning"] != nil {
		m["content"] = content
		t.take([]any{m})
	}
}
