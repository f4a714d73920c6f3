package tree

import "encoding/json"

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
//
// It fills *res and reports whether the object held any token count.
func (a *arena) parseUsage(raw json.RawMessage, res *Usage) bool {
	u := a.subObject(raw)
	if !u.OK {
		return false
	}
	// One pass over the members instead of a lookup per spelling: a
	// 10,000-generation tree reads 10,000 usage objects (issue 18).
	var vals [numUsageKeys]json.RawMessage
	for _, m := range u.Members {
		if k, ok := usageKeys[m.Key]; ok {
			vals[k] = m.Val
		}
	}
	num := func(v json.RawMessage) (int64, bool) {
		f, ok := amount(v) // null is absent, never 0 tokens
		return int64(f), ok
	}
	first := func(keys ...usageKey) (int64, bool) {
		for _, k := range keys {
			if n, ok := num(vals[k]); ok {
				return n, true
			}
		}
		return 0, false
	}
	// detail reads key inside the first of the detail objects that has it.
	detail := func(key string, objs ...usageKey) (int64, bool) {
		for _, k := range objs {
			if vals[k] == nil {
				continue
			}
			if o := a.subObject(vals[k]); o.OK {
				if n, ok := num(o.Get(key)); ok {
					return n, true
				}
			}
		}
		return 0, false
	}
	in, okIn := first(uPromptTokens, uInputTokens, uPromptTokensCamel, uInputTokensCamel, uPromptTokenCount)
	out, okOut := first(uCompletionTokens, uOutputTokens, uCompletionTokensCamel, uOutputTokensCamel, uCandidatesTokenCount)
	total, okTotal := first(uTotalTokens, uTotalTokensCamel, uTotalTokenCount)
	if !okIn && !okOut && !okTotal {
		return false
	}

	// Cache reads and writes reported inside the input count.
	cacheRead, _ := first(uCacheReadTokens, uCacheReadTokensCamel, uCachedInputTokens, uCachedContentTokenCount)
	if n, ok := detail("cached_tokens", uPromptTokensDetails, uInputTokensDetails, uCachedTokenDetails, uInputTokenDetails); ok && cacheRead == 0 {
		cacheRead = n
	}
	cacheWrite, _ := first(uCacheWriteTokens, uCacheWriteTokensCamel)
	if n, ok := detail("cache_write_tokens", uPromptTokensDetails, uInputTokensDetails); ok && cacheWrite == 0 {
		cacheWrite = n
	}
	// Anthropic's cache counts are outside input_tokens.
	if n, ok := num(vals[uCacheReadInputTokens]); ok {
		cacheRead += n
		in += n
	}
	if n, ok := num(vals[uCacheCreationInputTokens]); ok {
		cacheWrite += n
		in += n
	}

	reasoning, _ := first(uReasoningTokens, uReasoningTokensCamel)
	if n, ok := detail("reasoning_tokens", uCompletionTokensDetails, uOutputTokensDetails, uOutputTokenDetails); ok && reasoning == 0 {
		reasoning = n
	}
	// Gemini's thoughts are outside candidatesTokenCount.
	if n, ok := num(vals[uThoughtsTokenCount]); ok {
		reasoning += n
		out += n
	}

	if !okTotal {
		total = in + out
	}
	res.InputTokens, res.OutputTokens, res.TotalTokens = in, out, total
	res.CacheReadTokens, res.CacheWriteTokens, res.ReasoningTokens = cacheRead, cacheWrite, reasoning
	return true
}

// usageKey is a usage member parseUsage reads.
type usageKey uint8

const (
	uPromptTokens usageKey = iota
	uInputTokens
	uPromptTokensCamel
	uInputTokensCamel
	uPromptTokenCount
	uCompletionTokens
	uOutputTokens
	uCompletionTokensCamel
	uOutputTokensCamel
	uCandidatesTokenCount
	uTotalTokens
	uTotalTokensCamel
	uTotalTokenCount
	uCacheReadTokens
	uCacheReadTokensCamel
	uCachedInputTokens
	uCachedContentTokenCount
	uCacheWriteTokens
	uCacheWriteTokensCamel
	uCacheReadInputTokens
	uCacheCreationInputTokens
	uReasoningTokens
	uReasoningTokensCamel
	uThoughtsTokenCount
	uPromptTokensDetails
	uInputTokensDetails
	uCachedTokenDetails
	uInputTokenDetails
	uCompletionTokensDetails
	uOutputTokensDetails
	uOutputTokenDetails
	numUsageKeys
)

// usageKeys names every usageKey's member (a read-only table).
var usageKeys = map[string]usageKey{
	"prompt_tokens":               uPromptTokens,
	"input_tokens":                uInputTokens,
	"promptTokens":                uPromptTokensCamel,
	"inputTokens":                 uInputTokensCamel,
	"promptTokenCount":            uPromptTokenCount,
	"completion_tokens":           uCompletionTokens,
	"output_tokens":               uOutputTokens,
	"completionTokens":            uCompletionTokensCamel,
	"outputTokens":                uOutputTokensCamel,
	"candidatesTokenCount":        uCandidatesTokenCount,
	"total_tokens":                uTotalTokens,
	"totalTokens":                 uTotalTokensCamel,
	"totalTokenCount":             uTotalTokenCount,
	"cache_read_tokens":           uCacheReadTokens,
	"cacheReadTokens":             uCacheReadTokensCamel,
	"cachedInputTokens":           uCachedInputTokens,
	"cachedContentTokenCount":     uCachedContentTokenCount,
	"cache_write_tokens":          uCacheWriteTokens,
	"cacheWriteTokens":            uCacheWriteTokensCamel,
	"cache_read_input_tokens":     uCacheReadInputTokens,
	"cache_creation_input_tokens": uCacheCreationInputTokens,
	"reasoning_tokens":            uReasoningTokens,
	"reasoningTokens":             uReasoningTokensCamel,
	"thoughtsTokenCount":          uThoughtsTokenCount,
	"prompt_tokens_details":       uPromptTokensDetails,
	"input_tokens_details":        uInputTokensDetails,
	"cached_token_details":        uCachedTokenDetails,
	"input_token_details":         uInputTokenDetails,
	"completion_tokens_details":   uCompletionTokensDetails,
	"output_tokens_details":       uOutputTokensDetails,
	"output_token_details":        uOutputTokenDetails,
}
