import { afterEach, describe, expect, it } from 'vitest'
import type { LivePhotoDto, LiveMessage } from '../../../src/features/live/room/schemas'
import { updateLiveSessionRoute } from '../../../src/features/live/sessions/routes'
import { callJson, dataOf, newUser } from '../../helpers'
import { createSession, distinctPngs, eventually, seededRandom, seqOf, sleep, upgradeLive, uploadPhotos, viewerToken } from '../../support/live'

const GUESTS = 20
const BATCHES = 10
const PER_BATCH = 20
const CYCLES = 2

const sockets: WebSocket[] = []
afterEach(() => {
  for (const ws of sockets.splice(0)) {
    try {
      ws.close(1000, 'test done')
    } catch {
      // already closed
    }
  }
})

/**
 * A guest as a real client behaves: remembers the last seq it processed and resumes from it.
 * Frames still in flight on a socket it dropped are ignored, as a closed browser socket would.
 */
class Guest {
  lastSeen = 0
  photos: LivePhotoDto[] = []
  seqs: number[] = []
  replayed = 0
  reconnects = 0
  private generation = 0
  private ws: WebSocket | null = null

  constructor(private readonly sessionId: string, private readonly token: string) {}

  async connect(): Promise<void> {
    const generation = ++this.generation
    const res = await upgradeLive(this.sessionId, { token: this.token, after: this.lastSeen })
    expect(res.status).toBe(101)
    const ws = res.webSocket!
    let connectedSeq = Infinity
    ws.addEventListener('message', (e) => {
      if (generation !== this.generation) return
      const frame = JSON.parse(String(e.data)) as LiveMessage
      for (const event of Array.isArray(frame) ? frame : [frame]) {
        const seq = seqOf(event)
        if (event.type === 'connected') {
          connectedSeq = seq ?? Infinity
          continue
        }
        if (seq === undefined) continue // presence: not stored, no seq
        this.seqs.push(seq)
        this.lastSeen = seq
        if (seq <= connectedSeq) this.replayed += 1
        if (event.type === 'photo.added') this.photos.push(event.data.photo)
      }
    })
    ws.accept()
    sockets.push(ws)
    this.ws = ws
  }

  drop() {
    this.generation += 1
    this.ws?.close(1000, 'network drop')
    this.ws = null
  }
}

describe('20 guests, 200 photos, a third of the guests dropping and resuming', () => {
  it('every guest ends with exactly the 200 photos, in seq order, without duplicates', async () => {
    const rnd = seededRandom(20240611)
    const owner = await newUser('lvown')
    const s = await createSession(owner.accessToken, { moderation: 'auto' })
    const files = await distinctPngs(BATCHES * PER_BATCH)
    const guests = await Promise.all(Array.from({ length: GUESTS }, async () => new Guest(s.id, await viewerToken(s.id, s.accessCode))))
    for (const g of guests) await g.connect()

    // The whole plan is drawn up front, so the seed alone decides who drops when and for how long.
    const flaky = [...guests].sort(() => rnd() - 0.5).slice(0, Math.ceil(GUESTS / 3))
    const plans = flaky.map((guest) => ({
      guest,
      cycles: Array.from({ length: CYCLES }, () => ({ atBatch: Math.floor(rnd() * BATCHES), delayMs: Math.floor(rnd() * 300), offlineMs: 100 + Math.floor(rnd() * 500) })),
    }))

    let batch = -1
    const chaos = plans.map(async ({ guest, cycles }) => {
      for (const cycle of cycles) {
        await eventually(() => batch >= cycle.atBatch, `batch ${cycle.atBatch}`, 60_000)
        await sleep(cycle.delayMs)
        guest.drop()
        await sleep(cycle.offlineMs)
        await guest.connect()
        guest.reconnects += 1
      }
    })

    const uploaded: LivePhotoDto[] = []
    for (batch = 0; batch < BATCHES; batch++) {
      uploaded.push(...(await uploadPhotos(owner.accessToken, s.id, files.slice(batch * PER_BATCH, (batch + 1) * PER_BATCH))))
    }
    await Promise.all(chaos)

    const expected = [...uploaded].sort((a, b) => a.seq - b.seq).map((p) => p.id)
    expect(new Set(expected).size).toBe(BATCHES * PER_BATCH)
    await eventually(() => guests.every((g) => g.photos.length >= expected.length), 'every guest to have every photo', 30_000)
    // Anything late (a duplicate replay) would show up now.
    await sleep(500)

    guests.forEach((g, i) => {
      const who = `guest ${i}${flaky.includes(g) ? ' (flaky)' : ''}`
      expect(g.photos.map((p) => p.id), who).toEqual(expected)
      expect(g.photos.map((p) => p.seq), who).toEqual(Array.from({ length: expected.length }, (_, k) => k + 1))
      expect(g.photos.every((p) => p.status === 'approved'), who).toBe(true)
      for (let k = 1; k < g.seqs.length; k++) expect(g.seqs[k]!, who).toBeGreaterThan(g.seqs[k - 1]!)
    })
    for (const { guest } of plans) expect(guest.reconnects).toBe(CYCLES)
    // The scenario really exercised resuming: some missed events came back as replays.
    expect(flaky.reduce((n, g) => n + g.replayed, 0)).toBeGreaterThan(0)

    // A latecomer replaying from the start gets more than one replay chunk (200 photos and a
    // session update): still every event once, in order.
    dataOf(await callJson('PUT', `/api/live/sessions/${s.id}`, { title: 'Late' }, { token: owner.accessToken }), updateLiveSessionRoute, 200)
    const late = new Guest(s.id, await viewerToken(s.id, s.accessCode))
    await late.connect()
    await eventually(() => late.seqs.length >= expected.length + 1, 'the late guest to catch up', 30_000)
    await sleep(300)
    expect(late.photos.map((p) => p.id)).toEqual(expected)
    expect(late.seqs).toHaveLength(expected.length + 1)
    for (let k = 1; k < late.seqs.length; k++) expect(late.seqs[k]!).toBeGreaterThan(late.seqs[k - 1]!)
  }, 90_000)
})
