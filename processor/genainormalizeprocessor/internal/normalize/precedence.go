package normalize

import (
	"sort"
	"strings"
)

// Conventions carry the conversation in different places, and a span may
// carry several (an instrumentation writing both the current GenAI
// attributes and a deprecated form). The first source that yields messages
// wins, in the order of the tables below: Langfuse's explicit observation
// input/output first (Langfuse's own ingestion reads it before any
// convention key), then structured GenAI, flattened and SDK forms, events,
// and the raw request/response JSON last.
//
// Sources marked always are read even when an earlier one already won:
// reading them flags malformed JSON and counts dropped index bombs, which
// the Result reports whatever source the messages came from.

// messageSource is one convention's place for the conversation.
type messageSource struct {
	convention string
	always     bool
	read       func(v *view, t *taker)
}

// taker keeps the first conversation a source offers.
type taker struct {
	role         string // default role of messages without one
	isGeneration bool
	ms           []msg
	finish       []string
	found        bool
}

// take normalizes x and keeps it if nothing was found yet and it holds at
// least one message.
func (t *taker) take(x any) {
	if t.found || !meaningful(x) {
		return
	}
	out, f := normMessages(x, t.role)
	if len(out) > 0 {
		t.ms, t.finish, t.found = out, f, true
	}
}

func (t *taker) run(v *view, sources []messageSource) {
	for _, s := range sources {
		if t.found && !s.always {
			continue
		}
		s.read(v, t)
	}
}

// inputSources is the input conversation's precedence.
var inputSources = []messageSource{
	{"Langfuse langfuse.observation.input", false, langfuseInput},
	{"OTel GenAI ≥1.37 gen_ai.input.messages", true, genaiInputMessages},
	{"OTel GenAI ≥1.37 operation details event", true, genaiDetailsInput},
	{"OpenInference llm.input_messages", true, openinferenceInputMessages},
	{"OpenLLMetry gen_ai.prompt", true, openllmetryPrompt},
	{"Vercel AI SDK ai.prompt.messages", true, aisdkPromptMessages},
	{"OTel GenAI 1.28–1.36 message events", false, genaiMessageEvents},
	{"OTel GenAI ≤1.27 gen_ai.content.prompt event", false, genaiContentPrompt},
	{"OpenInference llm.prompt / AI SDK prompt events", false, promptEvents},
	{"Vercel AI SDK ai.prompt", false, aisdkPrompt},
	{"OpenInference llm.prompts", false, openinferencePrompts},
	{"OpenInference input.value request JSON", false, openinferenceInputValue},
}

// outputSources is the answer's precedence.
var outputSources = []messageSource{
	{"Langfuse langfuse.observation.output", false, langfuseOutput},
	{"OTel GenAI ≥1.37 gen_ai.output.messages", true, genaiOutputMessages},
	{"OTel GenAI ≥1.37 operation details event", true, genaiDetailsOutput},
	{"OpenInference llm.output_messages", true, openinferenceOutputMessages},
	{"OpenLLMetry gen_ai.completion", true, openllmetryCompletion},
	{"Vercel AI SDK ai.response.*", false, aisdkResponse},
	{"OTel GenAI 1.28–1.36 gen_ai.choice events", false, genaiChoiceEvents},
	{"OpenInference llm.completion / AI SDK ai.response.text events", false, completionEvents},
	{"OTel GenAI ≤1.27 gen_ai.content.completion event", false, genaiContentCompletion},
	{"OpenInference llm.choices", false, openinferenceChoices},
	{"OpenInference output.value response JSON", false, openinferenceOutputValue},
}

// inputMessages finds the input conversation, in the precedence order of
// docs/conventions.md §1.2 (structured GenAI first, raw request JSON last).
func inputMessages(v *view, isGeneration bool) []msg {
	t := taker{role: "user", isGeneration: isGeneration}
	t.run(v, inputSources)
	ms, found := t.ms, t.found
	if found && isGeneration && missingToolCallIDs(ms) {
		// OpenInference's LangChain.js messages carry no tool call ids;
		// the run's raw inputs in input.value do.
		raw := taker{role: "user", isGeneration: true}
		openinferenceInputValue(v, &raw)
		fillToolCallIDs(ms, raw.ms)
	}
	// System instructions travel apart from the messages in GenAI ≥1.37.
	sys := genaiSystemInstructions(v)
	if sys != "" && !hasSystem(ms) {
		ms = append([]msg{{Role: "system", Content: sys}}, ms...)
	}
	if !found && sys == "" {
		return nil
	}
	return ms
}

// outputMessages finds the model's answer; finish collects per-choice
// finish reasons seen on the way.
func outputMessages(v *view, isGeneration bool) (ms []msg, finish []string) {
	t := taker{role: "assistant", isGeneration: isGeneration}
	t.run(v, outputSources)
	if t.found && isGeneration && missingToolCallIDs(t.ms) {
		raw := taker{role: "assistant", isGeneration: true}
		openinferenceOutputValue(v, &raw)
		fillToolCallIDs(t.ms, raw.ms)
	}
	return t.ms, t.finish
}

// flatList rebuilds only the numerically indexed keys under prefix, so a
// sibling like `gen_ai.prompt.name` (v1.39 prompt name) is not a message.
func (v *view) flatList(prefix string) any {
	if !v.hasPrefix(prefix) {
		return nil
	}
	p := prefix + "."
	i := sort.SearchStrings(v.keys, p)
	var keys []string
	for ; i < len(v.keys) && strings.HasPrefix(v.keys[i], p); i++ {
		rest := v.keys[i][len(p):]
		seg := rest
		if j := strings.IndexByte(rest, '.'); j >= 0 {
			seg = rest[:j]
		}
		if _, err := atoi(seg); err == nil {
			keys = append(keys, v.keys[i])
		}
	}
	if len(keys) == 0 {
		return nil
	}
	out, dropped := unflatten(v.attrs, keys, prefix)
	v.dropped += dropped
	return out
}

// eventMessage reads a message carried by an event: attribute `content`
// (a JSON message object, {"content":…}, or plain text), else the
// attribute named like the event, else `value`.
func eventMessage(v *view, e event, role string) any {
	for _, k := range []string{"content", e.name, "value", "text"} {
		x, ok := v.structuredFrom(e.attrs, k)
		if !ok {
			if s, isStr := x.(string); isStr && s != "" {
				return map[string]any{"role": role, "content": s}
			}
			continue
		}
		switch t := x.(type) {
		case map[string]any:
			m := map[string]any{"role": role}
			for kk, vv := range t {
				m[kk] = vv
			}
			return m
		case string:
			return map[string]any{"role": role, "content": t}
		default:
			return map[string]any{"role": role, "content": t}
		}
	}
	return nil
}
