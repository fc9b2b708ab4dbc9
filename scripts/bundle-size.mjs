#!/usr/bin/env node
// Prints the raw and gzip size of the bundle `wrangler deploy --dry-run --outdir dist` wrote.
import { readdirSync, readFileSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { gzipSync } from 'node:zlib'

const dir = new URL('../dist', import.meta.url).pathname
const files = readdirSync(dir).filter((f) => f.endsWith('.js') || f.endsWith('.mjs'))
let raw = 0
let gzip = 0
for (const file of files) {
  const bytes = readFileSync(join(dir, file))
  raw += statSync(join(dir, file)).size
  gzip += gzipSync(bytes, { level: 9 }).length
}
const kib = (n) => `${(n / 1024).toFixed(1)} KiB`
console.log(`bundle: ${files.join(', ')}  raw ${kib(raw)}  gzip ${kib(gzip)}  (Workers limit: 3 MiB gzip free, 10 MiB paid)`)
