package normalize

// OpenInference: flattened llm.{input,output}_messages, the legacy
// llm.prompts / llm.choices lists, prompt and completion events, and the raw
// request/response JSON in input.value / output.value (generations only:
// the provider's request and response, or LangChain's run inputs and
// LLMResult, conv_langchain.go).

func openinferenceInputMessages(v *view, t *taker) {
	t.take(v.flat("llm.input_messages"))
}

// OpenInference-style `llm.prompt` events and AI SDK prompt events
// (Maxim's docs): the value sits in `content` (JSON {"content":…}
// or text) or under the event's own name.
func promptEvents(v *view, t *taker) {
	var l []any
	for _, e := range v.events {
		role := ""
		switch e.name {
		case "llm.prompt", "ai.prompt.prompt":
			role = "user"
		case "ai.prompt.system":
			role = "system"
		case "ai.prompt.messages":
			if x, ok := v.structuredFrom(e.attrs, e.name); ok {
				t.take(x)
			} else if x, ok := v.structuredFrom(e.attrs, "content"); ok {
				t.take(x)
			}
			continue
		default:
			continue
		}
		if m := eventMessage(v, e, role); m != nil {
			l = append(l, m)
		}
	}
	t.take(l)
}

func openinferencePrompts(v *view, t *taker) {
	if l, ok := v.flatList("llm.prompts").([]any); ok {
		var conv []any
		for _, it := range l {
			if m, ok := it.(map[string]any); ok {
				if p, ok := m["prompt"].(map[string]any); ok {
					conv = append(conv, map[string]any{"role": "user", "content": p["text"]})
				}
			}
		}
		t.take(conv)
	} else if l, ok := v.attrs["llm.prompts"].([]any); ok {
		t.take(l)
	}
}

func openinferenceInputValue(v *view, t *taker) {
	if !t.isGeneration {
		return
	}
	if x, ok := v.structured("input.value"); ok {
		if msgs, ok := lcInputMessages(x); ok {
			t.take(msgs)
		} else if m, ok := x.(map[string]any); ok {
			if msgs, ok := m["messages"]; ok {
				t.take(msgs)
			} else if p, ok := m["prompt"]; ok {
				t.take(p)
			}
		}
	}
}

func openinferenceOutputMessages(v *view, t *taker) {
	t.take(v.flat("llm.output_messages"))
}

// `llm.completion` and AI SDK `ai.response.text` events.
func completionEvents(v *view, t *taker) {
	var l []any
	for _, e := range v.events {
		if e.name == "llm.completion" || e.name == "ai.response.text" {
			if m := eventMessage(v, e, "assistant"); m != nil {
				l = append(l, m)
			}
		}
	}
	t.take(l)
}

func openinferenceChoices(v *view, t *taker) {
	if l, ok := v.flatList("llm.choices").([]any); ok {
		var conv []any
		for _, it := range l {
			if m, ok := it.(map[string]any); ok {
				if p, ok := m["completion"].(map[string]any); ok {
					conv = append(conv, map[string]any{"role": "assistant", "content": p["text"]})
				}
			}
		}
		t.take(conv)
	}
}

func openinferenceOutputValue(v *view, t *taker) {
	if !t.isGeneration {
		return
	}
	if x, ok := v.structured("output.value"); ok {
		if msgs, ok := lcOutputMessages(x); ok {
			t.take(msgs)
		} else if m, ok := x.(map[string]any); ok {
			if ch, ok := m["choices"].([]any); ok {
				t.take(ch)
			}
		} else if s, ok := x.(string); ok {
			t.take(s)
		}
	}
}
