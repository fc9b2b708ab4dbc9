#!/usr/bin/env node
// Fan-out to 1,000 sockets, three systems side by side, each triggered over HTTP:
//   1. Darkroom: a manual-moderation live session; each round approves a pending photo through
//      the API and every guest waits for its `photo.added`.
//   2. The runtime floor: bench/floor, a Durable Object that only broadcasts to its sockets.
//   3. The peer: a Socket.IO server in its own Node process.
// Times run from sending the trigger to each socket receiving the event. Warm-up round discarded.
// Usage: npm run dev (other terminal), then: npm run bench:fanout
import { spawn } from 'node:child_process'
import sharp from 'sharp'
import { io as socketIo } from 'socket.io-client'
import { api, BASE_URL, percentile, printTable, signIn, sleep } from './lib/client.mjs'

const SOCKETS = Number(process.env.SOCKETS ?? 1000)
const ROUNDS = Number(process.env.ROUNDS ?? 10)
const FLOOR_PORT = 8790
const SOCKETIO_PORT = 8791
const PAYLOAD = JSON.stringify({ type: 'photo.added', data: { photo: { id: 'x'.repeat(26), caption: 'y'.repeat(180), seq: 1 } } })

function startProcess(cmd, args, readyPattern) {
  const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, CI: '1', WRANGLER_SEND_METRICS: 'false' } })
  return new Promise((resolve, reject) => {
    let out = ''
    const timer = setTimeout(() => reject(new Error(`${cmd} did not start: ${out.slice(-500)}`)), 60_000)
    const onData = (d) => {
      out += d
      if (readyPattern.test(out)) {
        clearTimeout(timer)
        resolve(child)
      }
    }
    child.stdout.on('data', onData)
    child.stderr.on('data', onData)
  })
}

/** Opens `n` WebSockets, 50 at a time; resolves when all are open. */
async function openSockets(url, n, onMessage) {
  const sockets = []
  for (let i = 0; i < n; i += 50) {
    await Promise.all(
      Array.from({ length: Math.min(50, n - i) }, (_, k) => new Promise((resolve, reject) => {
        const ws = new WebSocket(url)
        ws.onmessage = (e) => onMessage(i + k, e.data)
        ws.onopen = () => resolve()
        ws.onerror = () => reject(new Error(`socket ${i + k} failed`))
        sockets.push(ws)
      })),
    )
  }
  return sockets
}

/** One round: fire the trigger, wait until every socket saw the marker. Times in ms. */
async function round(trigger, arrivals, n) {
  arrivals.clear()
  const t0 = performance.now()
  arrivals.t0 = t0
  await trigger()
  const deadline = t0 + 20_000
  while (arrivals.size < n && performance.now() < deadline) await sleep(1)
  return [...arrivals.values()].map((t) => t - t0)
}

function summarize(rounds) {
  const kept = rounds.slice(1) // warm-up discarded
  const all = kept.flat()
  return { p50: percentile(all, 50), p99: percentile(all, 99), last: percentile(kept.map((r) => Math.max(...r)), 50), missing: kept.reduce((n, r) => n + (SOCKETS - r.length), 0) }
}

async function benchFloor() {
  const child = await startProcess('wrangler', ['dev', '-c', 'bench/floor/wrangler.toml', '--port', String(FLOOR_PORT), '--ip', '127.0.0.1', '--show-interactive-dev-session=false'], /Ready on/)
  try {
    const arrivals = new Map()
    const sockets = await openSockets(`ws://127.0.0.1:${FLOOR_PORT}/`, SOCKETS, (i) => arrivals.has(i) || arrivals.set(i, performance.now()))
    const rounds = []
    for (let r = 0; r <= ROUNDS; r++) rounds.push(await round(() => fetch(`http://127.0.0.1:${FLOOR_PORT}/broadcast`, { method: 'POST', body: PAYLOAD }).then((x) => x.text()), arrivals, SOCKETS))
    sockets.forEach((s) => s.close())
    return summarize(rounds)
  } finally {
    child.kill('SIGTERM')
  }
}

async function benchSocketIo() {
  const child = await startProcess(process.execPath, ['bench/lib/socketio-server.mjs', String(SOCKETIO_PORT)], /ready/)
  try {
    const arrivals = new Map()
    const clients = []
    for (let i = 0; i < SOCKETS; i += 50) {
      await Promise.all(Array.from({ length: Math.min(50, SOCKETS - i) }, (_, k) => new Promise((resolve) => {
        const socket = socketIo(`http://127.0.0.1:${SOCKETIO_PORT}`, { transports: ['websocket'], forceNew: true })
        socket.on('event', () => arrivals.has(i + k) || arrivals.set(i + k, performance.now()))
        socket.on('connect', resolve)
        clients.push(socket)
      })))
    }
    const rounds = []
    for (let r = 0; r <= ROUNDS; r++) rounds.push(await round(() => fetch(`http://127.0.0.1:${SOCKETIO_PORT}/broadcast`, { method: 'POST', body: PAYLOAD }).then((x) => x.text()), arrivals, SOCKETS))
    clients.forEach((s) => s.close())
    return summarize(rounds)
  } finally {
    child.kill('SIGTERM')
  }
}

async function benchDarkroom() {
  const token = await signIn('demo')
  const created = await api('POST', '/api/live/sessions', token, { title: 'fanout bench', moderation: 'manual' })
  const session = created.body.data.session
  // One small pending photo per round, uploaded before any socket connects.
  const photoIds = []
  for (let r = 0; r <= ROUNDS; r++) {
    const png = await sharp({ create: { width: 64, height: 48, channels: 3, background: { r: (r * 37) % 255, g: 90, b: 160 } } }).png().toBuffer()
    const form = new FormData()
    form.append('photo', new Blob([png], { type: 'image/png' }), `round-${r}.png`)
    const res = await fetch(`${BASE_URL}/api/live/sessions/${session.id}/photos`, { method: 'POST', headers: { authorization: `Bearer ${token}` }, body: form })
    photoIds.push((await res.json()).data.photos[0].id)
  }
  const viewer = await api('POST', `/api/live/sessions/${session.id}/verify`, undefined, { accessCode: session.accessCode })
  const viewerToken = viewer.body.data.viewerToken
  const arrivals = new Map()
  let waitingFor = null
  const sockets = await openSockets(`${BASE_URL.replace(/^http/, 'ws')}/api/live/sessions/${session.id}/ws?token=${viewerToken}`, SOCKETS, (i, data) => {
    if (waitingFor && !arrivals.has(i) && data.includes(waitingFor)) arrivals.set(i, performance.now())
  })
  const rounds = []
  for (let r = 0; r <= ROUNDS; r++) {
    waitingFor = photoIds[r]
    rounds.push(await round(() => api('PUT', `/api/live/photos/${photoIds[r]}`, token, { status: 'approved' }), arrivals, SOCKETS))
  }
  sockets.forEach((s) => s.close())
  await api('DELETE', `/api/live/sessions/${session.id}`, token)
  return summarize(rounds)
}

console.log(`${SOCKETS} sockets per system, ${ROUNDS} rounds (+1 warm-up), payload ≈ ${PAYLOAD.length} bytes`)
const results = [
  ['Darkroom (approve → photo.added)', await benchDarkroom()],
  ['Floor: bare Durable Object broadcast', await benchFloor()],
  ['Peer: Socket.IO in Node', await benchSocketIo()],
]
const ms = (v) => `${v.toFixed(1)} ms`
printTable('Fan-out to every socket, from sending the HTTP trigger', ['system', 'p50', 'p99', 'last socket (median of rounds)', 'missed'], results.map(([name, r]) => [name, ms(r.p50), ms(r.p99), ms(r.last), r.missing]))
const ratio = results[0][1].last / results[1][1].last
console.log(`\nDarkroom / floor (last socket): ${ratio.toFixed(2)}x  (target ≤ 1.25x: ${ratio <= 1.25 ? 'met' : 'NOT met'})`)
process.exit(0)
