#!/usr/bin/env node
// How much memory one big upload costs the Worker. Generates a valid ~50 MB JPEG (noise, so it
// does not compress; 4,800 px wide and as tall as the size needs, within the 12,000 px / 100 MP limits; padded with APP15
// segments to the target size), finds the running workerd process and samples its resident set
// (/proc/<pid>/status VmRSS) every 20 ms while the upload is processed, until every derivative
// is stored. Production isolates have 128 MB; the goal is growth <= 2.5x the file size.
// Usage: npm run dev (other terminal), then: npm run bench:upload-memory
// Env: DARKROOM_URL, WORKERD_PID (else the largest `workerd` process), RUNS (default 3),
//      TARGET_MB (default 50).
import { execFileSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import sharp from 'sharp'
import { BASE_URL, printTable, signIn, sleep } from './lib/client.mjs'

const RUNS = Number(process.env.RUNS ?? 3)
const TARGET = Math.round(Number(process.env.TARGET_MB ?? 50) * 1_000_000)
const MB = 1024 * 1024

function rssOf(pid) {
  const match = readFileSync(`/proc/${pid}/status`, 'utf8').match(/^VmRSS:\s+(\d+) kB/m)
  return match ? Number(match[1]) * 1024 : 0
}

function findWorkerd() {
  if (process.env.WORKERD_PID) return Number(process.env.WORKERD_PID)
  let pids
  try {
    pids = execFileSync('pgrep', ['-x', 'workerd'], { encoding: 'utf8' }).trim().split('\n').map(Number)
  } catch {
    throw new Error('No workerd process found: start `npm run dev` first (or set WORKERD_PID)')
  }
  // wrangler dev may run more than one workerd (e.g. an inspector proxy): take the biggest.
  return pids.sort((a, b) => rssOf(b) - rssOf(a))[0]
}

async function makeBigJpeg() {
  // Noise at quality 100 (4:4:4) costs about 2.95 bytes a pixel: aim at ~90% of the target, pad the rest.
  const width = 4800
  const height = Math.min(12_000, Math.round((TARGET * 0.9) / 2.95 / width))
  const raw = Buffer.alloc(width * height * 3)
  let seed = 12345
  for (let i = 0; i < raw.length; i++) {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff
    raw[i] = seed >> 23
  }
  let jpeg = await sharp(raw, { raw: { width, height, channels: 3 } }).jpeg({ quality: 100, chromaSubsampling: '4:4:4' }).toBuffer()
  if (jpeg.length > TARGET) throw new Error(`generated JPEG is already ${jpeg.length} bytes; lower the size`)
  // Pad with APP15 segments (64 KiB each at most) right after SOI: still a valid JPEG.
  const segments = []
  let missing = TARGET - jpeg.length
  while (missing > 4) {
    const payload = Math.min(65_533, missing - 4)
    const segment = Buffer.alloc(payload + 4)
    segment.writeUInt16BE(0xffef, 0)
    segment.writeUInt16BE(payload + 2, 2)
    for (let i = 4; i < segment.length; i++) segment[i] = (i * 31) & 0xff
    segments.push(segment)
    missing -= segment.length
  }
  jpeg = Buffer.concat([jpeg.subarray(0, 2), ...segments, jpeg.subarray(2)])
  return { jpeg, width, height }
}

async function uploadAndWait(token, bytes, name) {
  const form = new FormData()
  form.append('image', new Blob([bytes], { type: 'image/jpeg' }), name)
  const started = performance.now()
  const res = await fetch(`${BASE_URL}/api/images/upload`, { method: 'POST', headers: { authorization: `Bearer ${token}` }, body: form })
  const body = await res.json()
  if (res.status !== 201) throw new Error(`upload failed: ${res.status} ${JSON.stringify(body)}`)
  const answered = performance.now() - started
  const id = body.data.images[0].id
  for (;;) {
    const meta = await (await fetch(`${BASE_URL}/api/images/${id}`, { headers: { authorization: `Bearer ${token}` } })).json()
    if (meta.data?.image?.variantsReady?.preview) break
    if (performance.now() - started > 180_000) throw new Error('preview not ready after 180 s')
    await sleep(50)
  }
  return { id, answered, total: performance.now() - started }
}

function sampler(pid) {
  let peak = 0
  const timer = setInterval(() => {
    peak = Math.max(peak, rssOf(pid))
  }, 20)
  return { stop: () => (clearInterval(timer), Math.max(peak, rssOf(pid))) }
}

async function baselineOf(pid) {
  const samples = []
  for (let i = 0; i < 25; i++) {
    samples.push(rssOf(pid))
    await sleep(20)
  }
  return samples.sort((a, b) => a - b)[Math.floor(samples.length / 2)]
}

const token = await signIn()
const pid = findWorkerd()
console.log(`workerd pid ${pid}, generating the test JPEG...`)
const { jpeg, width, height } = await makeBigJpeg()
console.log(`${(jpeg.length / MB).toFixed(1)} MB, ${width}x${height}`)

// Warm-up with a small photo so code paths and pools exist before measuring.
const small = await sharp({ create: { width: 800, height: 600, channels: 3, background: '#468' } }).jpeg().toBuffer()
const warm = await uploadAndWait(token, small, 'warm-up.jpg')
await fetch(`${BASE_URL}/api/images/${warm.id}`, { method: 'DELETE', headers: { authorization: `Bearer ${token}` } })

const rows = []
for (let run = 1; run <= RUNS; run++) {
  await sleep(1000)
  const baseline = await baselineOf(pid)
  const sampling = sampler(pid)
  const result = await uploadAndWait(token, jpeg, `bench-${run}.jpg`)
  await sleep(500)
  const peak = sampling.stop()
  await fetch(`${BASE_URL}/api/images/${result.id}`, { method: 'DELETE', headers: { authorization: `Bearer ${token}` } })
  const growth = peak - baseline
  rows.push([
    `run ${run}`,
    `${(jpeg.length / MB).toFixed(1)} MB`,
    `${(baseline / MB).toFixed(0)} MB`,
    `${(peak / MB).toFixed(0)} MB`,
    `${(growth / MB).toFixed(0)} MB`,
    `${(growth / jpeg.length).toFixed(2)}x`,
    `${(result.answered / 1000).toFixed(1)} s / ${(result.total / 1000).toFixed(1)} s`,
  ])
}
printTable('Worker memory during one large upload (workerd RSS)', ['', 'file', 'baseline RSS', 'peak RSS', 'growth', 'growth / file', 'answered / all stored'], rows)
