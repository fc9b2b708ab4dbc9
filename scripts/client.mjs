#!/usr/bin/env node
// The typed client and the OpenAPI document it is generated from, without a Cloudflare account:
// the Worker runs locally in workerd (wrangler's unstable_startWorker, fresh temporary state) and
// its live /openapi.json is fetched as `npm run dev` would serve it.
//
//   node scripts/client.mjs generate          client/openapi.json + client/schema.d.ts
//   node scripts/client.mjs check             regenerate into a temp dir; exit 1 if client/ differs
//   node scripts/client.mjs document <file>   only the document
//   node scripts/client.mjs lint              redocly lint (redocly.yaml) of the fresh document,
//                                             one line per problem naming the operation
import { spawnSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join, relative } from 'node:path'

const root = new URL('..', import.meta.url).pathname
process.chdir(root)
const CLIENT_DIR = join(root, 'client')
/** The document's `servers` entry is the request's origin: ask as `npm run dev` is reached. */
const ORIGIN = 'http://localhost:8787'

/** Starts the Worker in workerd, fetches /openapi.json, stops it. */
async function fetchDocument() {
  process.env.WRANGLER_SEND_METRICS = 'false'
  process.env.WRANGLER_LOG ??= 'error'
  const { unstable_startWorker } = await import('wrangler')
  const persist = mkdtempSync(join(tmpdir(), 'darkroom-openapi-'))
  const worker = await unstable_startWorker({
    config: join(root, 'wrangler.toml'),
    dev: { server: { hostname: '127.0.0.1', port: 0 }, inspector: false, watch: false, persist, logLevel: 'error' },
  })
  try {
    await worker.ready
    const res = await worker.fetch(`${ORIGIN}/openapi.json`)
    if (res.status !== 200) throw new Error(`GET /openapi.json answered ${res.status}: ${(await res.text()).slice(0, 500)}`)
    return await res.json()
  } finally {
    await worker.dispose()
    rmSync(persist, { recursive: true, force: true })
  }
}

/** Stable formatting: the app's own key order, two-space JSON, trailing newline. */
const documentText = (doc) => `${JSON.stringify(doc, null, 2)}\n`

async function schemaText(doc) {
  const { default: openapiTS, astToString, COMMENT_HEADER } = await import('openapi-typescript')
  // A field with a default is optional to send (zod fills it in), not required.
  return COMMENT_HEADER + astToString(await openapiTS(doc, { defaultNonNullable: false }))
}

/** Writes both generated files into `dir`; returns their paths. */
async function generate(dir) {
  const doc = await fetchDocument()
  mkdirSync(dir, { recursive: true })
  const files = { 'openapi.json': documentText(doc), 'schema.d.ts': await schemaText(doc) }
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text)
  return Object.keys(files)
}

/** The first line where two texts differ, for a readable failure. */
function firstDifference(a, b) {
  const [la, lb] = [a.split('\n'), b.split('\n')]
  const i = la.findIndex((line, n) => line !== lb[n])
  const n = i === -1 ? la.length : i
  return `line ${n + 1}:\n  committed: ${JSON.stringify(la[n] ?? '(end of file)')}\n  generated: ${JSON.stringify(lb[n] ?? '(end of file)')}`
}

/** "GET /api/x" for a pointer into an operation, else the pointer itself. */
function operationOf(pointer) {
  const match = pointer.match(/^#\/paths\/([^/]+)\/(get|put|post|delete|patch|options|head)\b/)
  return match ? `${match[2].toUpperCase()} ${match[1].replace(/~1/g, '/').replace(/~0/g, '~')}` : pointer
}

/** Runs `redocly lint` on `file`; prints each problem with its operation; returns redocly's exit code. */
function lint(file) {
  const run = spawnSync('redocly', ['lint', file, '--format=json'], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 })
  let report
  try {
    report = JSON.parse(run.stdout)
  } catch {
    process.stderr.write(run.stdout + run.stderr)
    return run.status ?? 1
  }
  const problems = report.problems ?? []
  for (const p of problems.toSorted((a, b) => a.severity.localeCompare(b.severity) || a.ruleId.localeCompare(b.ruleId))) {
    console.log(`${p.severity.padEnd(7)} ${p.ruleId.padEnd(28)} ${operationOf(p.location?.[0]?.pointer ?? '')}  ${p.message}`)
  }
  const count = (severity) => problems.filter((p) => p.severity === severity).length
  console.log(`lint:openapi: ${count('error')} errors, ${count('warn')} warnings (rules: redocly.yaml, recommended)`)
  return run.status ?? 1
}

const [command, arg] = process.argv.slice(2)
if (command === 'generate') {
  const names = await generate(CLIENT_DIR)
  console.log(`client: wrote ${names.map((n) => relative(root, join(CLIENT_DIR, n))).join(', ')}`)
} else if (command === 'check') {
  const temp = mkdtempSync(join(tmpdir(), 'darkroom-client-'))
  try {
    const stale = []
    for (const name of await generate(temp)) {
      const committed = join(CLIENT_DIR, name)
      const fresh = readFileSync(join(temp, name), 'utf8')
      if (!existsSync(committed)) stale.push(`client/${name} is missing`)
      else {
        const old = readFileSync(committed, 'utf8')
        if (old !== fresh) stale.push(`client/${name} differs from the live document at ${firstDifference(old, fresh)}`)
      }
    }
    if (stale.length > 0) {
      console.error(`client:check FAILED: the committed client is out of date with the API.\n- ${stale.join('\n- ')}`)
      console.error('Run `npm run client:generate` and commit client/.')
      process.exitCode = 1
    } else {
      console.log('client:check: client/openapi.json and client/schema.d.ts match the live document')
    }
  } finally {
    rmSync(temp, { recursive: true, force: true })
  }
} else if (command === 'document' && arg) {
  mkdirSync(dirname(join(root, arg)), { recursive: true })
  writeFileSync(join(root, arg), documentText(await fetchDocument()))
  console.log(`openapi: wrote ${arg}`)
} else if (command === 'lint') {
  const file = join(root, '.wrangler/openapi.json')
  mkdirSync(dirname(file), { recursive: true })
  writeFileSync(file, documentText(await fetchDocument()))
  process.exitCode = lint(file)
} else {
  console.error('usage: node scripts/client.mjs generate | check | document <file> | lint')
  process.exitCode = 2
}
