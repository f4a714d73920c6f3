package normalize

import "regexp"

// OpenTelemetry GenAI semantic conventions: structured messages and system
// instructions (≥1.37, also inside the inference operation details event),
// per-message and choice events (1.28–1.36), content events (≤1.27).

func genaiInputMessages(v *view, t *taker) {
	if t.takeGenAI(v, "gen_ai.input.messages") {
		return
	}
	if x, ok := v.structured("gen_ai.input.messages"); ok {
		t.take(x)
	}
}

// takeGenAI reads the GenAI message list under key with the scanner
// (fastGenAIMessages) when nothing was found yet; false means the general
// path must read it.
func (t *taker) takeGenAI(v *view, key string) bool {
	if t.found {
		return false
	}
	s, ok := v.attrs[key].(string)
	if !ok {
		return false
	}
	out, f, ok := fastGenAIMessages(s, t.role)
	if !ok {
		return false
	}
	if len(out) > 0 {
		t.ms, t.finish, t.found = out, f, true
	}
	return true
}

func genaiDetailsInput(v *view, t *taker) {
	for _, e := range v.eventsNamed("gen_ai.client.inference.operation.details") {
		if x, ok := v.structuredFrom(e.attrs, "gen_ai.input.messages"); ok {
			t.take(x)
		}
	}
}

// gen_ai.{system,user,assistant,tool}.message events, one message each.
func genaiMessageEvents(v *view, t *taker) {
	var evs []any
	for _, e := range v.events {
		role := ""
		switch e.name {
		case "gen_ai.system.message":
			role = "system"
		case "gen_ai.user.message":
			role = "user"
		case "gen_ai.assistant.message":
			role = "assistant"
		case "gen_ai.tool.message":
			role = "tool"
		default:
			continue
		}
		m := map[string]any{"role": role}
		for k, x := range e.attrs {
			if k == "gen_ai.system" || k == "gen_ai.provider.name" {
				continue
			}
			m[k] = x
		}
		if r := asString(e.attrs["role"]); r != "" {
			m["role"] = r
		}
		evs = append(evs, m)
	}
	t.take(evs)
}

// gen_ai.content.prompt events: JSON, "role: text", or plain text.
func genaiContentPrompt(v *view, t *taker) {
	for _, e := range v.eventsNamed("gen_ai.content.prompt") {
		if s := asString(e.attrs["gen_ai.prompt"]); s != "" {
			if looksJSON(s) {
				t.take(s)
			} else if loc := rolePrefix.FindStringSubmatchIndex(s); loc != nil {
				t.take([]any{map[string]any{"role": s[loc[2]:loc[3]], "content": s[loc[1]:]}})
			} else {
				t.take(s)
			}
		}
	}
}

func genaiOutputMessages(v *view, t *taker) {
	if t.takeGenAI(v, "gen_ai.output.messages") {
		return
	}
	if x, ok := v.structured("gen_ai.output.messages"); ok {
		t.take(x)
	}
}

func genaiDetailsOutput(v *view, t *taker) {
	for _, e := range v.eventsNamed("gen_ai.client.inference.operation.details") {
		if x, ok := v.structuredFrom(e.attrs, "gen_ai.output.messages"); ok {
			t.take(x)
		}
	}
}

// gen_ai.choice events, one choice each.
func genaiChoiceEvents(v *view, t *taker) {
	var choices []any
	for _, e := range v.eventsNamed("gen_ai.choice") {
		c := map[string]any{"role": "assistant"}
		switch mm := e.attrs["message"].(type) {
		case map[string]any:
			for k, x := range mm {
				c[k] = x
			}
		case string:
			if p, ok := parseJSON(mm); ok {
				if pm, ok := p.(map[string]any); ok {
					for k, x := range pm {
						c[k] = x
					}
				}
			} else {
				c["content"] = mm
			}
		}
		if tc, ok := e.attrs["tool_calls"]; ok {
			c["tool_calls"] = tc
		}
		if f := asString(e.attrs["finish_reason"]); f != "" {
			c["finish_reason"] = f
		}
		choices = append(choices, c)
	}
	t.take(choices)
}

func genaiContentCompletion(v *view, t *taker) {
	for _, e := range v.eventsNamed("gen_ai.content.completion") {
		t.take(e.attrs["gen_ai.completion"])
	}
}

var rolePrefix = regexp.MustCompile(`^(system|user|assistant|tool|human|ai):\s*`)

// genaiSystemInstructions reads gen_ai.system_instructions, from the span
// or (when the span has none) the operation details event.
func genaiSystemInstructions(v *view) string {
	sys := ""
	if x, ok := v.attrs["gen_ai.system_instructions"]; ok && meaningful(x) {
		sys = systemText(x)
	}
	for _, e := range v.eventsNamed("gen_ai.client.inference.operation.details") {
		if x, ok := e.attrs["gen_ai.system_instructions"]; ok && sys == "" && meaningful(x) {
			sys = systemText(x)
		}
	}
	return sys
}
