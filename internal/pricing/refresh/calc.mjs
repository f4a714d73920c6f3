// Reference calculator for reference_test.go: reads a JSON array of cases
// from stdin, prices each with @pydantic/genai-prices' calcPrice and prints a
// JSON array of results in the same order.
//
// Case: { model, provider?, timestamp (ISO 8601), usage: { input_tokens, ... } }
// Result: { ok: true, provider, model, input, output, total }
//       | { ok: false }                  (calcPrice returned null: unknown)
//       | { ok: false, error: "..." }    (calcPrice threw)
//
// One deliberate difference is applied here, where it is visible: the Go
// package treats a provider id that genai-prices does not know like no
// provider (the library returns null for it), so such ids are dropped before
// calling the library.
import { calcPrice, findProvider } from '@pydantic/genai-prices'

const chunks = []
for await (const c of process.stdin) chunks.push(c)
const cases = JSON.parse(Buffer.concat(chunks).toString('utf8'))

// The library warns on stderr about unsupported keys; keep stdout pure JSON.
console.warn = () => {}

const out = cases.map((c) => {
  let providerId = c.provider || undefined
  if (providerId && providerId.toLowerCase() !== 'litellm' && !findProvider({ providerId })) providerId = undefined
  try {
    const r = calcPrice(c.usage, c.model, { providerId, timestamp: new Date(c.timestamp) })
    if (!r) return { ok: false }
    return {
      ok: true,
      provider: r.provider.id,
      model: r.model.id,
      input: r.input_price,
      output: r.output_price,
      total: r.total_price,
    }
  } catch (e) {
    return { ok: false, error: String(e?.message ?? e) }
  }
})
process.stdout.write(JSON.stringify(out))
