import { env, runDurableObjectAlarm } from 'cloudflare:test'
import { z } from '@hono/zod-openapi'
import { exports } from 'cloudflare:workers'
import { expect } from 'vitest'
import { callJson, dataOf, freshIp } from '../helpers'
import { formWith, makePng } from '../support/images'
import { mulberry32 } from '../../src/features/tasks/providers/local'
import type { LiveFrame, LiveMessage, PongFrame } from '../../src/features/live/room/schemas'
import { uploadLivePhotosRoute } from '../../src/features/live/photos/routes'
import type { LivePhotoDto } from '../../src/features/live/photos/schemas'
import { createLiveSessionRoute, verifyLiveAccessCodeRoute } from '../../src/features/live/sessions/routes'
import type { LiveSessionDto } from '../../src/features/live/sessions/schemas'

/** Creates a live session as `token`'s user; fails with the body unless it answered 201 with a documented session. */
export async function createSession(token: string, body: Record<string, unknown> = {}): Promise<LiveSessionDto> {
  const res = await callJson('POST', '/api/live/sessions', { title: 'Wedding', ...body }, { token })
  return dataOf(res, createLiveSessionRoute, 201).session
}

/** Runs the deleted session's room alarm until its paged cleanup removed the session row. */
export async function finishCleanup(sessionId: string): Promise<void> {
  const room = env.LIVE_ROOM.get(env.LIVE_ROOM.idFromName(sessionId))
  await eventually(async () => {
    await runDurableObjectAlarm(room)
    return (await env.DB.prepare('SELECT id FROM live_sessions WHERE id = ?').bind(sessionId).first()) === null
  }, 'the session cleanup to finish', 20_000)
}

/** POST /verify from `ip` (a fresh one unless given); `accessCode` is sent as given unless undefined. */
export function verify(sessionId: string, accessCode: string | null | undefined, ip = freshIp()) {
  return callJson('POST', `/api/live/sessions/${sessionId}/verify`, accessCode === undefined ? {} : { accessCode }, { ip })
}

/** A viewer token for the session; fails unless the code was accepted. */
export async function viewerToken(sessionId: string, accessCode?: string | null): Promise<string> {
  const res = await verify(sessionId, accessCode)
  return dataOf(res, verifyLiveAccessCodeRoute, 200).viewerToken
}

/** Uploads files as multipart `photos` (or `photo`); fails unless 201, returns the (owner's) photo records. */
export async function uploadPhotos(token: string, sessionId: string, files: Uint8Array[], field: 'photo' | 'photos' = 'photos'): Promise<LivePhotoDto[]> {
  const form = formWith(field, files.map((bytes, i) => ({ bytes, name: `p${i}.png` })))
  const res = await callJson('POST', `/api/live/sessions/${sessionId}/photos`, form, { token })
  return dataOf(res, uploadLivePhotosRoute, 201).photos
}

const RawSuccess = z.object({ data: z.record(z.string(), z.unknown()) })

/**
 * The `data` of a success body with every key kept (zod strips undocumented keys), for checks
 * that a field is ABSENT from what the API sent.
 */
export function rawData(body: unknown): Record<string, unknown> {
  return RawSuccess.parse(body).data
}

/** `data[key]` of a success body as a raw object, every key kept (see rawData). */
export function rawObject(body: unknown, key: string): Record<string, unknown> {
  return z.record(z.string(), z.unknown()).parse(rawData(body)[key])
}

/** `data.items` of a success body as raw objects, every key kept (see rawData). */
export function rawItems(body: unknown): Array<Record<string, unknown>> {
  return z.array(z.record(z.string(), z.unknown())).parse(rawData(body).items)
}

/** `items[i]`, failing if the list is shorter. */
export function nth<T>(items: readonly T[], i: number): T {
  const item = items[i]
  if (item === undefined) throw new Error(`expected an item at ${i}, got ${items.length} items`)
  return item
}

/** `value`, failing if it is null or undefined (e.g. a downloadUrl the test expects to be there). */
export function present<T>(value: T | null | undefined, what: string): T {
  if (value === null || value === undefined) throw new Error(`expected ${what}, got ${value}`)
  return value
}

/** The fields a VALIDATION_ERROR's `details` names. */
export function detailFields(details: unknown): string[] {
  return z.array(z.object({ field: z.string() })).parse(details).map((d) => d.field)
}

/** The image id of an owner's photo record (guests' copies have none); fails if it is missing. */
export function imageIdOf(photo: LivePhotoDto): string {
  if (!photo.imageId) throw new Error(`photo ${photo.id} has no imageId (not the owner's copy?)`)
  return photo.imageId
}

let pngCounter = 0

/** `n` small PNGs of different sizes (so each one is a distinct file). */
export async function distinctPngs(n: number): Promise<Uint8Array[]> {
  const out: Uint8Array[] = []
  for (let i = 0; i < n; i++) {
    pngCounter += 1
    out.push(await makePng(8 + (pngCounter % 97), 8 + Math.floor(pngCounter / 97)))
  }
  return out
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/** Polls `check` until it returns true, or fails with `what`. */
export async function eventually(check: () => boolean | Promise<boolean>, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await sleep(10)
  }
}

/** Deterministic pseudo-random numbers (mulberry32), so random scenarios replay. */
export const seededRandom = mulberry32

/** What a live socket receives, one event at a time. */
export type SocketEvent = LiveFrame | PongFrame
/** The event of one type. */
export type FrameOf<K extends LiveFrame['type']> = Extract<LiveFrame, { type: K }>

/** The seq an event carries (stored events, `connected`, `resync`), or undefined. */
export const seqOf = (event: SocketEvent): number | undefined => ('seq' in event ? event.seq : undefined)

export interface LiveSocket {
  ws: WebSocket
  /** Every message as received: an event object, or an array of events (the server's `LiveMessage`). */
  frames: LiveMessage[]
  /** Every event, arrays flattened, in arrival order (pongs included). */
  events: SocketEvent[]
  closed: Promise<{ code: number; reason: string }>
  waitFor(match: (event: SocketEvent) => boolean, what?: string, timeoutMs?: number): Promise<SocketEvent>
  /** The first event of `type` that matches, typed as the server declares it. */
  waitForType<K extends LiveFrame['type']>(type: K, match?: ((event: FrameOf<K>) => boolean) | string, what?: string): Promise<FrameOf<K>>
  close(): void
}

const openSockets: LiveSocket[] = []

/** Closes every socket a test opened (call from afterEach). */
export function closeAllSockets() {
  for (const s of openSockets.splice(0)) s.close()
}

/** GET /api/live/sessions/:id/ws with Upgrade; query as given (token, after). */
export function upgradeLive(sessionId: string, query: Record<string, string | number> = {}, headers: Record<string, string> = { Upgrade: 'websocket' }) {
  const qs = new URLSearchParams(Object.entries(query).map(([k, v]) => [k, String(v)])).toString()
  return exports.default.fetch(new Request(`http://localhost/api/live/sessions/${sessionId}/ws${qs ? `?${qs}` : ''}`, { headers }))
}

/** Accepts the client end of a 101 and records what arrives. */
export function acceptLive(res: Response): LiveSocket {
  const ws = res.webSocket
  if (!ws) throw new Error(`no WebSocket (status ${res.status})`)
  const frames: LiveMessage[] = []
  const events: SocketEvent[] = []
  const closed = new Promise<{ code: number; reason: string }>((resolve) => ws.addEventListener('close', (e) => resolve({ code: e.code, reason: e.reason })))
  ws.addEventListener('message', (e) => {
    const frame = JSON.parse(String(e.data)) as LiveMessage
    frames.push(frame)
    events.push(...(Array.isArray(frame) ? frame : [frame]))
  })
  ws.accept()
  const socket: LiveSocket = {
    ws,
    frames,
    events,
    closed,
    async waitFor(match: (event: SocketEvent) => boolean, what = 'a matching event', timeoutMs = 10_000) {
      let found: SocketEvent | undefined
      await eventually(() => (found = events.find(match)) !== undefined, `${what}; got ${JSON.stringify(events.map((e) => e.type))}`, timeoutMs)
      return found!
    },
    async waitForType<K extends LiveFrame['type']>(type: K, match?: ((event: FrameOf<K>) => boolean) | string, what?: string) {
      const matches = typeof match === 'function' ? match : () => true
      const label = what ?? (typeof match === 'string' ? match : type)
      return (await socket.waitFor((e) => e.type === type && matches(e as FrameOf<K>), label)) as FrameOf<K>
    },
    close() {
      try {
        ws.close(1000, 'test done')
      } catch {
        // already closed
      }
    },
  }
  openSockets.push(socket)
  return socket
}

/** Connects with `?token=` (and `after`), and waits for `connected`. */
export async function connectLive(sessionId: string, token?: string, after?: number): Promise<LiveSocket> {
  const query: Record<string, string | number> = {}
  if (token) query.token = token
  if (after !== undefined) query.after = after
  const res = await upgradeLive(sessionId, query)
  expect(res.status, res.status === 101 ? '' : await res.text()).toBe(101)
  const socket = acceptLive(res)
  await socket.waitFor((e) => e.type === 'connected', 'connected')
  return socket
}

/** Events of one type, in order. */
export function ofType<K extends LiveFrame['type']>(socket: LiveSocket, type: K): Array<FrameOf<K>> {
  return socket.events.filter((e): e is FrameOf<K> => e.type === type)
}
