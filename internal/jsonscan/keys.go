package jsonscan

// sdkKeys are the keys the Maxim SDKs send (the fold's field names and the
// members of the results it reads). Decoding one of them returns the
// interned string and allocates nothing.
var sdkKeys = []string{"id", "spanId", "traceId", "parentId", "name", "startTimestamp", "endTimestamp",
	"sessionId", "input", "output", "docs", "model", "provider", "modelParameters", "maximPromptId",
	"maximPromptVersionId", "messages", "description", "args", "message", "code", "errorType", "tags",
	"metadata", "metrics", "error", "cost", "result", "timestamp", "score", "comment", "with", "evaluators",
	"variables", "type", "mimeType", "mime_type", "size", "url", "key", "value", "object", "choices",
	"usage", "status", "role", "content", "index", "finish_reason", "prompt_tokens", "completion_tokens",
	"total_tokens", "input_tokens", "output_tokens", "total", "temperature", "max_tokens",
	"top_p", "text", "tool_calls", "data", "created", "system_fingerprint"}

// knownKeys interns sdkKeys through a perfect hash: every key of an
// object is looked up, and a map lookup (hashing the bytes, probing a
// group) was most of decoding a key — about a tenth of assembling a
// tree. A key's length and first, middle and last bytes tell sdkKeys
// apart; a multiplier (sdkKeysMul) spreads those over 256 slots without
// a collision, so a lookup is one multiply and one comparison.
var knownKeys = newKeyTable(sdkKeys, sdkKeysMul)

type keyTable struct {
	mul   uint64
	slots [256]string
}

// keyOf packs what keyTable hashes of a non-empty key.
func keyOf[T ~string | ~[]byte](b T) uint64 {
	n := len(b)
	return uint64(n&0xff) | uint64(b[0])<<8 | uint64(b[n/2])<<16 | uint64(b[n-1])<<24
}

func (t *keyTable) slot(x uint64) uint8 { return uint8((x * t.mul) >> 56) }

// sdkKeysMul is a multiplier that spreads sdkKeys without a collision,
// found by newKeyTable's search (which takes milliseconds, at every start
// of every binary). TestKnownKeysIntern fails, naming the multiplier to
// put here, when sdkKeys changes and it no longer fits.
const sdkKeysMul = 0x39e6f9bd968785b7

// newKeyTable gives each key its own slot, with mul if it does that and
// else with the first multiplier found that does. It panics when two keys
// share length and first, middle and last bytes (no multiplier can tell
// them apart).
func newKeyTable(keys []string, mul uint64) *keyTable {
	if t, ok := placeKeys(keys, mul); ok {
		return t
	}
	for seed := uint64(1); ; seed++ {
		// Successive candidates must differ in their high bits, which
		// pick the slot: splitmix64 of a counter, made odd.
		z := seed * 0x9E3779B97F4A7C15
		z = (z ^ z>>30) * 0xBF58476D1CE4E5B9
		z = (z ^ z>>27) * 0x94D049BB133111EB
		if t, ok := placeKeys(keys, (z^z>>31)|1); ok {
			return t
		}
	}
}

// placeKeys puts keys into a table with multiplier mul; ok is false on a
// collision.
func placeKeys(keys []string, mul uint64) (*keyTable, bool) {
	t := &keyTable{mul: mul}
	for _, k := range keys {
		s := &t.slots[t.slot(keyOf(k))]
		if *s != "" && *s != k {
			if keyOf(*s) == keyOf(k) {
				panic("jsonscan: keys " + *s + " and " + k + " share length and first, middle and last bytes")
			}
			return nil, false
		}
		*s = k
	}
	return t, true
}

// intern returns the interned key equal to b, if b is one of the keys.
func (t *keyTable) intern(b []byte) (string, bool) {
	if len(b) == 0 {
		return "", false
	}
	k := t.slots[t.slot(keyOf(b))]
	return k, k == string(b) // compares without allocating
}
