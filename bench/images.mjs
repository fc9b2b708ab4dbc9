#!/usr/bin/env node
// Upload a 12-megapixel camera-like JPEG through the running dev server and time until every
// derivative is stored (thumb + ThumbHash answer with the upload; the preview is polled), side
// by side with making the same derivatives directly with sharp in this Node process.
// Usage: npm run dev  (other terminal), then: npm run bench:images
import sharp from 'sharp'
import { BASE_URL, percentile, printTable, signIn, sleep } from './lib/client.mjs'

const RUNS = Number(process.env.RUNS ?? 10)

async function makeTwelveMegapixelJpeg() {
  // Smooth gradients plus noise: compresses like a real photo (a few MB), not like a flat fill.
  const width = 4000
  const height = 3000
  const raw = Buffer.alloc(width * height * 3)
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const o = (y * width + x) * 3
      const n = (Math.random() * 40) | 0
      raw[o] = ((x / width) * 200 + n) & 255
      raw[o + 1] = ((y / height) * 200 + n) & 255
      raw[o + 2] = (((x + y) / (width + height)) * 255 + n) & 255
    }
  }
  return sharp(raw, { raw: { width, height, channels: 3 } }).jpeg({ quality: 90 }).withMetadata({ orientation: 1 }).toBuffer()
}

async function sharpFloor(jpeg) {
  const started = performance.now()
  const thumb = await sharp(jpeg, { autoOrient: true }).resize(256, 256, { fit: 'inside', withoutEnlargement: true }).webp({ quality: 80 }).toBuffer()
  await Promise.all([
    sharp(jpeg).metadata(),
    sharp(thumb).resize(64, 64, { fit: 'inside' }).png().toBuffer(),
    sharp(jpeg, { autoOrient: true }).resize(1600, 1600, { fit: 'inside', withoutEnlargement: true }).webp({ quality: 82 }).toBuffer(),
  ])
  return performance.now() - started
}

async function darkroomOnce(token, jpeg) {
  const form = new FormData()
  form.append('image', new Blob([jpeg], { type: 'image/jpeg' }), 'bench-12mp.jpg')
  form.append('sessionId', 'bench')
  const started = performance.now()
  const res = await fetch(`${BASE_URL}/api/images/upload`, { method: 'POST', headers: { authorization: `Bearer ${token}` }, body: form })
  const body = await res.json()
  if (res.status !== 201) throw new Error(`upload failed: ${res.status} ${JSON.stringify(body)}`)
  const uploaded = performance.now() - started
  const id = body.data.images[0].id
  for (;;) {
    const meta = await (await fetch(`${BASE_URL}/api/images/${id}`, { headers: { authorization: `Bearer ${token}` } })).json()
    if (meta.data?.image?.variantsReady?.preview) break
    if (performance.now() - started > 60_000) throw new Error('preview not ready after 60 s')
    await sleep(15)
  }
  const total = performance.now() - started
  await fetch(`${BASE_URL}/api/images/${id}`, { method: 'DELETE', headers: { authorization: `Bearer ${token}` } })
  return { uploaded, total }
}

const token = await signIn()
const jpeg = await makeTwelveMegapixelJpeg()
console.log(`12 MP JPEG: ${(jpeg.length / 1024 / 1024).toFixed(1)} MiB, ${RUNS} runs (+1 warm-up each), server ${BASE_URL}`)

await darkroomOnce(token, jpeg)
await sharpFloor(jpeg)
const darkroom = []
const floor = []
for (let i = 0; i < RUNS; i++) {
  darkroom.push(await darkroomOnce(token, jpeg))
  floor.push(await sharpFloor(jpeg))
}
// The corrupted camera JPEG of the fixtures must be refused with 422 within a second.
const corruptedPath = new URL('../../shared/fixtures/photos/corrupted.jpg', import.meta.url)
const { readFileSync, existsSync } = await import('node:fs')
const rejections = []
if (existsSync(corruptedPath)) {
  const corrupted = readFileSync(corruptedPath)
  for (let i = 0; i < 5; i++) {
    const form = new FormData()
    form.append('image', new Blob([corrupted], { type: 'image/jpeg' }), 'corrupted.jpg')
    const started = performance.now()
    const res = await fetch(`${BASE_URL}/api/images/upload`, { method: 'POST', headers: { authorization: `Bearer ${token}` }, body: form })
    await res.arrayBuffer()
    if (res.status !== 422) throw new Error(`corrupted JPEG answered ${res.status}`)
    rejections.push(performance.now() - started)
  }
}
const totals = darkroom.map((r) => r.total)
const answers = darkroom.map((r) => r.uploaded)
const ms = (v) => `${v.toFixed(0)} ms`
printTable('Derivatives of a 12 MP JPEG (thumb 256 WebP, ThumbHash, preview 1600 WebP)', ['system', 'median', 'p95'], [
  ['Darkroom: upload answered (thumb + ThumbHash stored)', ms(percentile(answers, 50)), ms(percentile(answers, 95))],
  ['Darkroom: every derivative stored', ms(percentile(totals, 50)), ms(percentile(totals, 95))],
  ['sharp in Node (same derivatives, no storage)', ms(percentile(floor, 50)), ms(percentile(floor, 95))],
  ...(rejections.length ? [['Darkroom: corrupted.jpg refused with 422 (target < 1 s)', ms(percentile(rejections, 50)), ms(percentile(rejections, 95))]] : []),
])
const ratio = percentile(totals, 50) / percentile(floor, 50)
console.log(`\nDarkroom / sharp (median): ${ratio.toFixed(2)}x  (target ≤ 1.5x: ${ratio <= 1.5 ? 'met' : 'NOT met'})`)
