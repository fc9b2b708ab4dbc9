#!/usr/bin/env node
// The public gallery under a realistic catalogue, beside its floor:
//   1. Seeds (once; kept for later runs; deterministic, so a rerun completes an interrupted seed) 10,000 public works from 200 users, 50,000 likes and
//      5,000 comments into the local D1 with `wrangler d1 execute --local` (generated SQL,
//      multi-row INSERTs of literals: no bound parameters, so no 100-parameter limit).
//   2. Times gallery latest, popular, search and work detail against `npm run dev` (p50, p99).
//   3. Counts D1 round trips per request on a second instance of the same Worker whose D1 binding
//      counts every batch() and every statement run alone (bench/gallery/counting.ts).
//   4. Times the floor: the same SQL (the app's own query builder) from a bare Worker on the
//      same D1 (bench/gallery/floor.ts), no router, auth or DTOs.
// Usage: npm run dev (other terminal), then: npm run bench:gallery
// Env: DARKROOM_URL (default http://localhost:8787), ROUNDS (default 200), PERSIST (the dev
// server's state dir, default .wrangler/state).
import { execFileSync, spawn } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { BASE_URL, percentile, printTable, signIn } from './lib/client.mjs'

const ROUNDS = Number(process.env.ROUNDS ?? 200)
const PERSIST = process.env.PERSIST ?? '.wrangler/state'
const FLOOR_PORT = 8795
const COUNTING_PORT = 8796
const USERS = 200
const WORKS = 10_000
const LIKES = 50_000
const COMMENTS = 5_000
const ROWS_PER_INSERT = 200
const DAY = 86_400_000

const wranglerEnv = { ...process.env, CI: '1', WRANGLER_SEND_METRICS: 'false' }
const d1 = (...args) => execFileSync('wrangler', ['d1', 'execute', 'DB', '--local', '--persist-to', PERSIST, ...args], { env: wranglerEnv, maxBuffer: 64 << 20 }).toString()

function d1Count(sql) {
  const out = JSON.parse(d1('--json', '--command', sql))
  return Object.values(out[0].results[0])[0]
}

// A small deterministic PRNG, so every run seeds the same catalogue.
let state = 42
function rand() {
  // mulberry32 (32-bit integer arithmetic through Math.imul: no float precision loss)
  state = (state + 0x6d2b79f5) | 0
  let t = Math.imul(state ^ (state >>> 15), 1 | state)
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296
}
const pick = (list) => list[Math.floor(rand() * list.length)]
const q = (v) => (v === null ? 'NULL' : typeof v === 'number' ? String(v) : `'${String(v).replace(/'/g, "''")}'`)

const LATIN = ['harbour', 'dawn', 'fog', 'portrait', 'street', 'neon', 'forest', 'mountain', 'river', 'city', 'night', 'film', 'golden', 'hour', 'rain', 'snow', 'desert', 'garden', 'market', 'bridge']
const CJK = ['海边的日落', '港口', '雾', '城市夜景', '山间小路', '雨后', '樱花', '老街', '灯塔', '星空']
const CATEGORIES = ['landscape', 'portrait', 'street', 'abstract', 'architecture']

function inserts(table, columns, rows) {
  const out = []
  for (let i = 0; i < rows.length; i += ROWS_PER_INSERT) {
    const chunk = rows.slice(i, i + ROWS_PER_INSERT).map((r) => `(${r.map(q).join(', ')})`)
    out.push(`INSERT OR IGNORE INTO ${table} (${columns.join(', ')}) VALUES\n${chunk.join(',\n')};`)
  }
  return out
}

function seedSql(now) {
  const users = Array.from({ length: USERS }, (_, u) => [`usr_gb_${u}`, `gallery_bench_${u}`, now - 90 * DAY, now - 90 * DAY])
  const images = []
  const works = []
  for (let w = 0; w < WORKS; w++) {
    const owner = `usr_gb_${w % USERS}`
    const published = now - Math.floor(rand() * 60 * DAY)
    const words = [pick(LATIN), pick(LATIN), pick(LATIN)]
    const title = `${rand() < 0.3 ? `${pick(CJK)} ${words[0]}` : `${words[0]} ${words[1]}`} #${w}`
    const key = (v) => `bench/${owner}/img_gb_${w}/${v}.png`
    images.push([`img_gb_${w}`, owner, 'generated', 'public', 'image/png', 1024, 1024, 1000, 'bench', key('original'), key('thumb'), key('preview'), 1, 1, '1QcSHQRnh493V4dIh4eXh1h4kJUI', published, published])
    works.push([`wrk_gb_${w}`, 1_000_000 + w, owner, `img_gb_${w}`, title, `${words.join(' ')} ${pick(CJK)}`, `a ${words.join(', ')}, film photo`, JSON.stringify([pick(LATIN), pick(LATIN)]), pick(CATEGORIES), 1, 'approved', rand() < 0.02 ? 1 : 0, published, 1, published, published])
  }
  const likes = new Set()
  const likeRows = []
  while (likeRows.length < LIKES) {
    // Skewed: a few works collect most likes, as in any gallery.
    const w = Math.floor(WORKS * rand() ** 2)
    const u = Math.floor(rand() * USERS)
    if (likes.has(`${w}:${u}`)) continue
    likes.add(`${w}:${u}`)
    likeRows.push([`wrk_gb_${w}`, `usr_gb_${u}`, now - Math.floor(rand() * 30 * DAY)])
  }
  const comments = Array.from({ length: COMMENTS }, (_, c) => [`cmt_gb_${c}`, `wrk_gb_${Math.floor(WORKS * rand() ** 2)}`, `usr_gb_${Math.floor(rand() * USERS)}`, `${pick(LATIN)} ${pick(CJK)}!`, now - Math.floor(rand() * 30 * DAY)])
  return [
    ...inserts('users', ['id', 'username', 'created_at', 'updated_at'], users),
    ...inserts('images', ['id', 'owner_id', 'type', 'visibility', 'mime', 'width', 'height', 'bytes', 'sha256', 'original_key', 'thumb_key', 'preview_key', 'preview_ready', 'ref_count', 'thumbhash', 'created_at', 'updated_at'], images),
    ...inserts('works', ['id', 'seq', 'user_id', 'image_id', 'title', 'description', 'prompt', 'tags', 'category', 'is_public', 'review_status', 'featured', 'published_at', 'publish_version', 'created_at', 'updated_at'], works),
    ...inserts('work_likes', ['work_id', 'user_id', 'created_at'], likeRows),
    ...inserts('work_comments', ['id', 'work_id', 'user_id', 'text', 'created_at'], comments),
  ]
}

function seed() {
  const have = d1Count("SELECT COUNT(*) AS n FROM works WHERE id LIKE 'wrk_gb_%'")
  if (have === WORKS) return console.log(`seed: ${WORKS} bench works already in ${PERSIST}, kept`)
  // Deterministic rows and INSERT OR IGNORE: an interrupted seed completes on the next run.
  const dir = mkdtempSync(join(tmpdir(), 'gallery-bench-'))
  try {
    const t0 = performance.now()
    const statements = seedSql(Date.now())
    // Files of about 50 statements (10,000 rows) each, so one failure does not hide in a giant file.
    for (let i = 0; i < statements.length; i += 50) {
      const file = join(dir, `seed-${i}.sql`)
      writeFileSync(file, statements.slice(i, i + 50).join('\n'))
      d1('--file', file, '-y')
    }
    console.log(`seed: ${USERS} users, ${WORKS} works, ${LIKES} likes, ${COMMENTS} comments in ${((performance.now() - t0) / 1000).toFixed(1)} s`)
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

function startWrangler(args) {
  const child = spawn('wrangler', ['dev', ...args, '--ip', '127.0.0.1', '--persist-to', PERSIST, '--show-interactive-dev-session=false'], { stdio: ['ignore', 'pipe', 'pipe'], env: wranglerEnv })
  return new Promise((resolve, reject) => {
    let out = ''
    const timer = setTimeout(() => reject(new Error(`wrangler dev ${args.join(' ')} did not start: ${out.slice(-800)}`)), 90_000)
    const onData = (d) => {
      out += d
      if (/Ready on/.test(out)) {
        clearTimeout(timer)
        resolve(child)
      }
    }
    child.stdout.on('data', onData)
    child.stderr.on('data', onData)
    child.on('exit', (code) => reject(new Error(`wrangler dev exited ${code}: ${out.slice(-800)}`)))
  })
}

/** Times `ROUNDS` sequential GETs of the paths `pathFor(i)` gives (20 warm-up requests first). */
async function time(base, pathFor, headers = {}) {
  const times = []
  for (let i = -20; i < ROUNDS; i++) {
    const t0 = performance.now()
    const res = await fetch(`${base}${pathFor(i)}`, { headers })
    await res.arrayBuffer()
    if (!res.ok) return { status: res.status }
    if (i >= 0) times.push(performance.now() - t0)
  }
  return { p50: percentile(times, 50), p99: percentile(times, 99) }
}

async function roundTrips(base, pathFor, headers = {}) {
  const counts = new Set()
  for (let i = 0; i < 10; i++) {
    const res = await fetch(`${base}${pathFor(i)}`, { headers })
    await res.arrayBuffer()
    counts.add(res.headers.get('X-Bench-D1-Round-Trips') ?? '?')
  }
  return [...counts].join('/')
}

const SEARCHES = ['日落', '海边的', 'harbour', 'fog neon', '港口']
const workId = (i) => `wrk_gb_${(i * 7919 + 13) % WORKS}`
const CASES = [
  { name: 'gallery latest', app: () => '/api/works/gallery?sort=latest', floor: () => '/?sort=latest' },
  // The demo user, signed in: isLiked per item and the session check, still in the one batch.
  { name: 'gallery latest, signed in', signedIn: true, app: () => '/api/works/gallery?sort=latest', floor: () => '/?sort=latest' },
  { name: 'gallery popular', app: () => '/api/works/gallery?sort=popular', floor: () => '/?sort=popular' },
  { name: 'gallery search', app: (i) => `/api/works/gallery?search=${encodeURIComponent(SEARCHES[(i + 20) % SEARCHES.length])}`, floor: (i) => `/?search=${encodeURIComponent(SEARCHES[(i + 20) % SEARCHES.length])}` },
  { name: 'work detail', app: (i) => `/api/works/${workId(i + 20)}`, floor: (i) => `/?id=${workId(i + 20)}` },
]

async function main() {
  try {
    await fetch(`${BASE_URL}/health`)
  } catch {
    throw new Error(`No Darkroom server at ${BASE_URL}: start it with \`npm run dev\` first`)
  }
  seed()
  const token = await signIn()
  const claims = JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString())
  const auth = { authorization: `Bearer ${token}` }
  const [floor, counting] = await Promise.all([
    startWrangler(['-c', 'bench/gallery/floor.toml', '--port', String(FLOOR_PORT)]),
    startWrangler(['bench/gallery/counting.ts', '-c', 'wrangler.toml', '--port', String(COUNTING_PORT)]),
  ])
  try {
    const rows = []
    for (const c of CASES) {
      const headers = c.signedIn ? auth : {}
      const floorPath = c.signedIn ? (i) => `${c.floor(i)}&viewer=${claims.sub}&sid=${claims.sid}` : c.floor
      const app = await time(BASE_URL, c.app, headers)
      const bare = await time(`http://127.0.0.1:${FLOOR_PORT}`, floorPath)
      const trips = await roundTrips(`http://127.0.0.1:${COUNTING_PORT}`, c.app, headers)
      const ms = (v) => (v === undefined ? `HTTP ${app.status}` : `${v.toFixed(1)} ms`)
      rows.push([c.name, ms(app.p50), ms(app.p99), `${bare.p50.toFixed(1)} ms`, `${bare.p99.toFixed(1)} ms`, app.p50 ? `${(app.p50 / bare.p50).toFixed(2)}×` : 'n/a', trips])
    }
    printTable(
      `Gallery with ${WORKS} works, ${LIKES} likes, ${COMMENTS} comments; ${ROUNDS} sequential requests each (20 items a page)`,
      ['request', 'Darkroom p50', 'Darkroom p99', 'floor p50', 'floor p99', 'p50 ÷ floor', 'D1 round trips'],
      rows,
    )
  } finally {
    floor.kill()
    counting.kill()
  }
}

main().catch((error) => {
  console.error(error.message)
  process.exit(1)
})
