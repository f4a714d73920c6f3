package normalize

import (
	"strings"
	"time"

	"github.com/otelcol-genai/otelcol-genai/pkg/spancommit"
)

// Langfuse SDK attributes (`@langfuse/core` LangfuseOtelSpanAttributes,
// identical in JS v4.6.1 and v5.11.1 and in the Python SDK v3). The SDK
// (`@langfuse/tracing` src/attributes.ts createObservationAttributes)
// writes strings as they are and everything else as JSON text
// (`_serialize`), and flattens metadata objects into
// `langfuse.{observation,trace}.metadata.<key>` with non-string values as
// JSON text (`_flattenAndSerializeMetadata`).
const (
	lfInput       = "langfuse.observation.input"
	lfOutput      = "langfuse.observation.output"
	lfUsage       = "langfuse.observation.usage_details"
	lfCost        = "langfuse.observation.cost_details"
	lfModelParams = "langfuse.observation.model.parameters"
	lfLevel       = "langfuse.observation.level"
	lfStatusMsg   = "langfuse.observation.status_message"
	lfCompletion  = "langfuse.observation.completion_start_time"
	lfObsMetadata = "langfuse.observation.metadata"
	lfTraceMeta   = "langfuse.trace.metadata"
	lfTraceInput  = "langfuse.trace.input"
	lfTraceOutput = "langfuse.trace.output"
	lfTracePublic = "langfuse.trace.public"
	lfPromptName  = "langfuse.observation.prompt.name"
	lfPromptVer   = "langfuse.observation.prompt.version"
	lfEnvironment = "langfuse.environment"
	lfRelease     = "langfuse.release"
	lfVersion     = "langfuse.version"
)

// lfText renders a Langfuse payload as text: the SDK's JSON text as sent,
// a JSON string literal (Python `json.dumps` of a str) unwrapped.
func lfText(x any) string {
	if s, ok := x.(string); ok {
		return unquote(s)
	}
	return compactJSON(x)
}

// lfValue parses a Langfuse payload: JSON text becomes its value, other
// text stays text.
func lfValue(x any) any {
	if s, ok := x.(string); ok {
		if p, ok := parseJSON(s); ok {
			return p
		}
		return unquote(s)
	}
	return x
}

// messageLike reports whether x is a chat conversation: a message object
// (has `role`), a list of them, or `{messages: [...]}`.
func messageLike(x any) bool {
	switch t := x.(type) {
	case map[string]any:
		if _, ok := t["role"]; ok {
			return true
		}
		if l, ok := t["messages"].([]any); ok {
			return messageLike(l)
		}
	case []any:
		if len(t) == 0 {
			return false
		}
		for _, it := range t {
			m, ok := it.(map[string]any)
			if !ok {
				return false
			}
			if _, ok := m["role"]; !ok {
				return false
			}
		}
		return true
	}
	return false
}

// lfMessages reads `langfuse.observation.input`/`.output` of a generation
// when it is a conversation (messages, or an OpenAI completion's
// `choices`). ok is false when the payload is something else.
func lfMessages(v *view, key, role string) (ms []msg, finish []string, ok bool) {
	x, has := v.attrs[key]
	if !has || !meaningful(x) {
		return nil, nil, false
	}
	p := lfValue(x)
	if m, isMap := p.(map[string]any); isMap {
		if ch, isList := m["choices"].([]any); isList && messageLike(choiceMessages(ch)) {
			ms, finish = normMessages(ch, role)
			return ms, finish, len(ms) > 0
		}
	}
	if !messageLike(p) {
		return nil, nil, false
	}
	ms, finish = normMessages(p, role)
	return ms, finish, len(ms) > 0
}

func choiceMessages(ch []any) []any {
	var out []any
	for _, c := range ch {
		if m, ok := c.(map[string]any); ok {
			if mm, ok := m["message"]; ok {
				out = append(out, mm)
			}
		}
	}
	return out
}

// lfRawMessage is the fallback for a generation whose Langfuse input or
// output is not a conversation: one message with the payload as text.
func lfRawMessage(v *view, key, role string) []msg {
	x, has := v.attrs[key]
	if !has || !meaningful(x) {
		return nil
	}
	t := lfText(x)
	if strings.TrimSpace(t) == "" {
		return nil
	}
	return []msg{{Role: role, Content: t}}
}

// lfUsageKind sorts a Langfuse usage key into the input side, the output
// side, or neither. Langfuse usage keys are disjoint buckets: the server
// sums them for the total and prices each one, so `input` is the input
// *without* its detail buckets (the Langfuse integrations subtract
// `input_cached_tokens`, `input_audio_tokens`, … from the provider's
// prompt count, and Anthropic's `input_tokens` already excludes
// `cache_read_input_tokens`/`cache_creation_input_tokens`).
func lfUsageKind(k string) (side string, sub string) {
	l := strings.ToLower(k)
	switch {
	case l == "total" || l == "total_tokens" || l == "totaltokens" || l == "unit", strings.Contains(l, "ephemeral"):
		// Anthropic's ephemeral_{5m,1h}_input_tokens split the cache
		// write count; adding them would count it twice.
		return "", ""
	case l == "input" || strings.HasPrefix(l, "input_") || strings.HasSuffix(l, "_input_tokens") || strings.HasSuffix(l, "_input"):
		switch {
		case strings.Contains(l, "cache") && (strings.Contains(l, "read") || strings.Contains(l, "cached") || strings.Contains(l, "hit")):
			return "input", "cache_read"
		case strings.Contains(l, "cache") && (strings.Contains(l, "creation") || strings.Contains(l, "write")):
			return "input", "cache_write"
		}
		return "input", ""
	case l == "output" || strings.HasPrefix(l, "output_"):
		if strings.Contains(l, "reasoning") {
			return "output", "reasoning"
		}
		return "output", ""
	case l == "reasoning" || l == "reasoning_tokens":
		// Exclusive reasoning bucket beside `output` (Mastra's exporter).
		return "output", "reasoning"
	}
	return "", ""
}

// langfuseUsage reads `langfuse.observation.usage_details` into the
// inclusive canonical usage. The SDK passes the user's object through
// (`UsageDetails = Record<string, number> | OpenAiCompletionUsageSchema |
// OpenAiResponseUsageSchema`, @langfuse/core index.d.ts): OpenAI's shapes
// are already inclusive; Langfuse's own buckets are exclusive and are
// summed per side.
func langfuseUsage(v *view) spancommit.Usage {
	var u spancommit.Usage
	x, ok := v.structured(lfUsage)
	if !ok {
		return u
	}
	m, ok := x.(map[string]any)
	if !ok {
		return u
	}
	num := func(k string) *int64 {
		if n, ok := asInt(m[k]); ok && n >= 0 {
			return &n
		}
		return nil
	}
	sub := func(obj, k string) *int64 {
		if d, ok := m[obj].(map[string]any); ok {
			if n, ok := asInt(d[k]); ok && n >= 0 {
				return &n
			}
		}
		return nil
	}
	switch {
	case m["prompt_tokens"] != nil || m["completion_tokens"] != nil:
		// OpenAI Chat Completions usage (inclusive).
		u.Input, u.Output, u.Total = num("prompt_tokens"), num("completion_tokens"), num("total_tokens")
		u.CacheRead = sub("prompt_tokens_details", "cached_tokens")
		u.Reasoning = sub("completion_tokens_details", "reasoning_tokens")
	case m["input_tokens"] != nil || m["output_tokens"] != nil:
		// OpenAI Responses usage (inclusive).
		u.Input, u.Output, u.Total = num("input_tokens"), num("output_tokens"), num("total_tokens")
		u.CacheRead = sub("input_tokens_details", "cached_tokens")
		u.Reasoning = sub("output_tokens_details", "reasoning_tokens")
	case m["promptTokens"] != nil || m["completionTokens"] != nil:
		// Legacy OpenAiUsage {promptTokens, completionTokens, totalTokens}.
		u.Input, u.Output, u.Total = num("promptTokens"), num("completionTokens"), num("totalTokens")
	default:
		var in, out, cr, cw, rs int64
		var hasIn, hasOut, hasCR, hasCW, hasRS bool
		for _, k := range sortedKeys(m) {
			n, ok := asInt(m[k])
			if !ok || n < 0 {
				continue
			}
			side, s := lfUsageKind(k)
			switch side {
			case "input":
				in, hasIn = in+n, true
			case "output":
				out, hasOut = out+n, true
			}
			switch s {
			case "cache_read":
				cr, hasCR = cr+n, true
			case "cache_write":
				cw, hasCW = cw+n, true
			case "reasoning":
				rs, hasRS = rs+n, true
			}
		}
		set := func(dst **int64, n int64, has bool) {
			if has {
				*dst = &n
			}
		}
		set(&u.Input, in, hasIn)
		set(&u.Output, out, hasOut)
		set(&u.CacheRead, cr, hasCR)
		set(&u.CacheWrite, cw, hasCW)
		set(&u.Reasoning, rs, hasRS)
		u.Total = num("total")
	}
	return u
}

// langfuseCost reads `langfuse.observation.cost_details` (USD per usage
// bucket, same keys as usage_details): input and output are the sums of
// their sides; total is the explicit total, else the sum of every bucket.
func langfuseCost(v *view) spancommit.Cost {
	var c spancommit.Cost
	x, ok := v.structured(lfCost)
	if !ok {
		return c
	}
	m, ok := x.(map[string]any)
	if !ok {
		return c
	}
	var in, out, all float64
	var hasIn, hasOut, hasAll bool
	for _, k := range sortedKeys(m) {
		f, ok := asFloat(m[k])
		if !ok {
			continue
		}
		if strings.EqualFold(k, "total") {
			c.Total = &f
			continue
		}
		all, hasAll = all+f, true
		switch side, _ := lfUsageKind(k); side {
		case "input":
			in, hasIn = in+f, true
		case "output":
			out, hasOut = out+f, true
		}
	}
	if hasIn {
		c.Input = &in
	}
	if hasOut {
		c.Output = &out
	}
	if c.Total == nil && hasAll {
		c.Total = &all
	}
	return c
}

// lfParamNames maps camelCase parameter names Langfuse users send to the
// OpenAI names the canonical model parameters use.
var lfParamNames = map[string]string{
	"maxTokens": "max_tokens", "max_completion_tokens": "max_tokens", "maxOutputTokens": "max_tokens", "max_output_tokens": "max_tokens",
	"topP": "top_p", "topK": "top_k", "frequencyPenalty": "frequency_penalty", "presencePenalty": "presence_penalty",
	"stopSequences": "stop", "stop_sequences": "stop",
}

// langfuseParams reads `langfuse.observation.model.parameters` (JSON
// object, `{[key]: string | number}` in the SDK types).
func langfuseParams(v *view, set func(name string, x any)) {
	x, ok := v.structured(lfModelParams)
	if !ok {
		return
	}
	m, ok := x.(map[string]any)
	if !ok {
		return
	}
	for _, k := range sortedKeys(m) {
		name := k
		if n, ok := lfParamNames[k]; ok {
			name = n
		}
		val := m[k]
		if s, isStr := val.(string); isStr {
			if b, ok := asBool(s); ok {
				val = b
			}
		}
		set(name, val)
	}
}

// langfuseTTFT is the completion start time (ISO 8601; the SDK JSON-encodes
// the Date, so it arrives double-quoted) minus the span start, in ms.
func langfuseTTFT(v *view) *float64 {
	s := v.str(lfCompletion)
	if s == "" {
		return nil
	}
	s = strings.TrimSpace(unquote(s))
	var t time.Time
	var err error
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05.999999999", "2006-01-02 15:04:05.999999999Z07:00", "2006-01-02 15:04:05.999999999"} {
		if t, err = time.Parse(layout, s); err == nil {
			break
		}
	}
	if err != nil {
		return nil
	}
	start := v.span.StartTimestamp().AsTime()
	if v.span.StartTimestamp() == 0 || t.Before(start) {
		return nil
	}
	ms := float64(t.Sub(start).Nanoseconds()) / 1e6
	return &ms
}

// langfuseMetadata collects `<prefix>.<key>` attributes (and a bare
// `<prefix>` JSON object or value) into one map. Values the SDK
// JSON-encoded (objects, arrays) are decoded; scalars stay as sent, since
// the SDK writes the number 3 and the string "3" the same way.
func langfuseMetadata(v *view, prefix string) map[string]any {
	out := map[string]any{}
	if x, ok := v.attrs[prefix]; ok && meaningful(x) {
		switch p := lfValue(x).(type) {
		case map[string]any:
			for k, val := range p {
				out[k] = val
			}
		default:
			out["metadata"] = p
		}
	}
	p := prefix + "."
	for _, k := range v.keys {
		if !strings.HasPrefix(k, p) {
			continue
		}
		name := k[len(p):]
		if _, dup := out[name]; dup {
			continue
		}
		x := v.attrs[k]
		if s, isStr := x.(string); isStr && looksJSON(s) {
			if pj, ok := parseJSON(s); ok {
				x = pj
			}
		}
		out[name] = x
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

// langfuseLevel reports a Langfuse ERROR level as an error: the SDK's
// observe() wrapper sets level ERROR and the status message on a throw
// without setting the span status.
func langfuseLevel(v *view) (isErr bool, msg string) {
	if !strings.EqualFold(v.str(lfLevel), "ERROR") {
		return false, ""
	}
	return true, v.str(lfStatusMsg)
}

// langfuseContext fills trace-level fields and metadata from Langfuse keys.
func langfuseContext(v *view, c *spancommit.Canonical) {
	if x, k := v.get(lfTraceInput); k != "" {
		c.TraceInput = lfText(x)
	}
	if x, k := v.get(lfTraceOutput); k != "" {
		c.TraceOutput = lfText(x)
	}
	tm := langfuseMetadata(v, lfTraceMeta)
	addTrace := func(k string, x any) {
		if tm == nil {
			tm = map[string]any{}
		}
		if _, dup := tm[k]; !dup {
			tm[k] = x
		}
	}
	if b, ok := asBool(v.attrs[lfTracePublic]); ok && b {
		addTrace("public", true)
	}
	// Environment and release are per trace in Langfuse (the span
	// processor stamps them on every span).
	if s := v.str(lfEnvironment); s != "" {
		addTrace("environment", s)
	}
	if s := v.str(lfRelease); s != "" {
		addTrace("release", s)
	}
	for _, k := range []string{"langfuse_session_id", "langfuse_user_id", "langfuse_tags"} {
		delete(tm, k) // read as session/user/tags
	}
	if len(tm) > 0 {
		c.TraceMetadata = tm
	}
	om := langfuseMetadata(v, lfObsMetadata)
	for _, k := range []string{"langfuse_session_id", "langfuse_user_id", "langfuse_tags"} {
		delete(om, k)
	}
	add := func(k string, x any) {
		if om == nil {
			om = map[string]any{}
		}
		if _, dup := om[k]; !dup {
			om[k] = x
		}
	}
	if s := v.str(lfVersion); s != "" {
		add("version", s)
	}
	if s := strings.ToUpper(v.str(lfLevel)); s != "" && s != "DEFAULT" {
		add("level", s)
		if m := v.str(lfStatusMsg); m != "" && s != "ERROR" {
			add("status_message", m)
		}
	}
	if s := v.str(lfPromptName); s != "" {
		add("prompt.name", s)
		if pv := v.str(lfPromptVer); pv != "" {
			add("prompt.version", pv)
		}
	}
	for k, x := range om {
		if c.Metadata == nil {
			c.Metadata = map[string]any{}
		}
		if _, dup := c.Metadata[k]; !dup {
			c.Metadata[k] = x
		}
	}
}
