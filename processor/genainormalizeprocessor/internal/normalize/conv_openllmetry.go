package normalize

// OpenLLMetry / Traceloop: gen_ai.prompt / gen_ai.completion as one JSON
// string or flattened gen_ai.{prompt,completion}.{i}.*.

func openllmetryPrompt(v *view, t *taker) {
	if s, ok := v.attrs["gen_ai.prompt"].(string); ok && meaningful(s) {
		t.take(s)
	} else {
		t.take(v.flatList("gen_ai.prompt"))
	}
}

func openllmetryCompletion(v *view, t *taker) {
	if s, ok := v.attrs["gen_ai.completion"].(string); ok && meaningful(s) {
		if p, ok := parseJSON(s); ok {
			if m, ok := p.(map[string]any); ok && m["text"] != nil && m["role"] == nil {
				// Deprecated OpenInference-genai form {"text":…, "finish_reason":…}.
				t.take(map[string]any{"role": "assistant", "content": m["text"], "finish_reason": m["finish_reason"]})
			}
			t.take(p)
		}
		t.take(s)
	} else {
		t.take(v.flatList("gen_ai.completion"))
	}
}
