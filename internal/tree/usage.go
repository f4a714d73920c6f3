package tree

import (
	"encoding/json"

	"github.com/otelcol-genai/otelcol-genai/internal/jsonscan"
)

// parseUsage reads a generation result's usage object into Usage's one
// convention (input inclusive of cache reads and writes, output inclusive of
// reasoning), whatever shape the provider or SDK used:
//
//   - OpenAI Chat Completions: prompt_tokens (inclusive of
//     prompt_tokens_details.cached_tokens), completion_tokens (inclusive of
//     completion_tokens_details.reasoning_tokens);
//   - OpenAI Responses: input_tokens / output_tokens with
//     input_tokens_details.cached_tokens, output_tokens_details.reasoning_tokens;
//   - Maxim's Python SDK: input_token_details / cached_token_details /
//     output_token_details ({text_tokens, audio_tokens, cached_tokens});
//   - Anthropic: input_tokens EXCLUDES cache_read_input_tokens and
//     cache_creation_input_tokens, so both are added to it;
//   - Gemini: promptTokenCount (inclusive of cachedContentTokenCount) and
//     candidatesTokenCount, which EXCLUDES thoughtsTokenCount, so thoughts
//     are added to the output and reported as reasoning;
//   - the camelCase spellings of the JS SDKs and our own canonical
//     cache_read_tokens / cache_write_tokens / reasoning_tokens (what the
//     OTLP span → commit step writes).
//
// Reading the exclusive conventions into the inclusive one here means every
// later consumer (totals, pricing, metrics) has one rule: input includes
// cache, output includes reasoning, never count them twice.
func (a *arena) parseUsage(raw json.RawMessage) *Usage {
	u := a.subObject(raw)
	if !u.OK {
		return nil
	}
	num := func(o object, keys ...string) (int64, bool) {
		for _, k := range keys {
			if v := o.Get(k); v != nil {
				if f, ok := jsonscan.Number(v); ok {
					return int64(f), true
				}
			}
		}
		return 0, false
	}
	// detail reads key inside the first of the detail objects that has it.
	detail := func(key string, objs ...string) (int64, bool) {
		for _, name := range objs {
			if o := a.subObject(u.Get(name)); o.OK {
				if n, ok := num(o, key); ok {
					return n, true
				}
			}
		}
		return 0, false
	}
	in, okIn := num(u, "prompt_tokens", "input_tokens", "promptTokens", "inputTokens", "promptTokenCount")
	out, okOut := num(u, "completion_tokens", "output_tokens", "completionTokens", "outputTokens", "candidatesTokenCount")
	total, okTotal := num(u, "total_tokens", "totalTokens", "totalTokenCount")
	if !okIn && !okOut && !okTotal {
		return nil
	}
	res := &Usage{}

	// Cache reads and writes reported inside the input count.
	cacheRead, _ := num(u, "cache_read_tokens", "cacheReadTokens", "cachedInputTokens", "cachedContentTokenCount")
	if n, ok := detail("cached_tokens", "prompt_tokens_details", "input_tokens_details", "cached_token_details", "input_token_details"); ok && cacheRead == 0 {
		cacheRead = n
	}
	cacheWrite, _ := num(u, "cache_write_tokens", "cacheWriteTokens")
	if n, ok := detail("cache_write_tokens", "prompt_tokens_details", "input_tokens_details"); ok && cacheWrite == 0 {
		cacheWrite = n
	}
	// Anthropic's cache counts are outside input_tokens.
	if n, ok := num(u, "cache_read_input_tokens"); ok {
		cacheRead += n
		in += n
	}
	if n, ok := num(u, "cache_creation_input_tokens"); ok {
		cacheWrite += n
		in += n
	}

	reasoning, _ := num(u, "reasoning_tokens", "reasoningTokens")
	if n, ok := detail("reasoning_tokens", "completion_tokens_details", "output_tokens_details", "output_token_details"); ok && reasoning == 0 {
		reasoning = n
	}
	// Gemini's thoughts are outside candidatesTokenCount.
	if n, ok := num(u, "thoughtsTokenCount"); ok {
		reasoning += n
		out += n
	}

	if !okTotal {
		total = in + out
	}
	res.InputTokens, res.OutputTokens, res.TotalTokens = in, out, total
	res.CacheReadTokens, res.CacheWriteTokens, res.ReasoningTokens = cacheRead, cacheWrite, reasoning
	return res
}
