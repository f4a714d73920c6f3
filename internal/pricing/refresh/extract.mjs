// Extracts the price data that @pydantic/genai-prices ships inside its bundle
// and writes it to ../data/prices.json for the Go package to embed.
//
// The package does not export its data: dist/index.js starts with
// `const <data> = [ ...providers ]` followed by `], <units> = { ...unit registry }`.
// Rather than hand-copying, we load a copy of that exact bundle with one extra
// export of those two bindings, then cross-check every provider against the
// unmodified package's public findProvider() so a changed bundle layout fails
// loudly instead of producing wrong data.
import { readFileSync, writeFileSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { isDeepStrictEqual } from 'node:util'
import * as original from '@pydantic/genai-prices'

const PKG = '@pydantic/genai-prices'
const here = dirname(fileURLToPath(import.meta.url))
// The ESM entry point that `import` above loaded; package.json is not an
// exported subpath, so find it next to dist/.
const bundlePath = fileURLToPath(import.meta.resolve(PKG))
const pkg = JSON.parse(readFileSync(join(dirname(bundlePath), '..', 'package.json'), 'utf8'))
if (pkg.name !== PKG) throw new Error(`${bundlePath}: expected ${PKG}'s package.json one level above dist/, found ${pkg.name}`)
const src = readFileSync(bundlePath, 'utf8')

const dataDecl = /^const (\w+) = \[\n/.exec(src)
if (!dataDecl) throw new Error(`${bundlePath}: does not start with the provider data array; the bundle layout changed`)
const unitsDecl = /^\], (\w+) = \{\n/m.exec(src)
if (!unitsDecl) throw new Error(`${bundlePath}: unit registry declaration not found after the provider data; the bundle layout changed`)
const exportAt = src.lastIndexOf('\nexport {')
if (exportAt < 0) throw new Error(`${bundlePath}: final export block not found`)

const patched =
  src.slice(0, exportAt) +
  `\nexport { ${dataDecl[1]} as __genaiPricesData, ${unitsDecl[1]} as __genaiPricesUnits };` +
  src.slice(exportAt)
const tmp = mkdtempSync(join(tmpdir(), 'genai-prices-extract-'))
let mod
try {
  const file = join(tmp, 'bundle.mjs')
  writeFileSync(file, patched)
  mod = await import(pathToFileURL(file).href)
} finally {
  rmSync(tmp, { recursive: true, force: true })
}
const providers = mod.__genaiPricesData
const units = mod.__genaiPricesUnits
if (!Array.isArray(providers) || providers.length === 0) throw new Error('extracted provider data is not a non-empty array')
if (typeof units !== 'object' || !units.input_tokens || !units.output_tokens) throw new Error('extracted unit registry lacks input_tokens/output_tokens')

// Plain JSON round trip: the data must be JSON (no functions, class instances
// or undefined values the Go side could not see).
const json = JSON.parse(JSON.stringify(providers))
if (!isDeepStrictEqual(json, providers)) throw new Error('provider data does not survive a JSON round trip')

// Cross-check against the unmodified package: each provider found by id must
// be the same data we extracted.
for (const p of providers) {
  const found = original.findProvider({ providerId: p.id })
  if (!found || !isDeepStrictEqual(JSON.parse(JSON.stringify(found)), JSON.parse(JSON.stringify(p)))) {
    throw new Error(`provider ${p.id}: extracted data differs from ${PKG}'s findProvider()`)
  }
}

const out = {
  source: {
    package: pkg.name,
    version: pkg.version,
    license: pkg.license,
    // The bundled data carries no timestamp of its own (calcPrice reports
    // auto_update_timestamp: undefined for it), so the package version is the
    // data's identity.
    data_timestamp: null,
  },
  units,
  providers,
}
const dest = join(here, '..', 'data', 'prices.json')
writeFileSync(dest, JSON.stringify(out, null, 1) + '\n')
const models = providers.reduce((n, p) => n + p.models.length, 0)
console.log(`wrote ${dest}: ${pkg.name} ${pkg.version}, ${providers.length} providers, ${models} models, ${Object.keys(units).length} units`)
