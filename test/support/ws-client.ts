import { exports } from 'cloudflare:workers'
import { expect } from 'vitest'
import { z } from '@hono/zod-openapi'
import { UserEventSchema } from '../../src/features/hub/schemas'

/** Every frame the server sends on `/api/ws`: a declared user event, or the answer to a ping. */
const ServerFrame = z.union([UserEventSchema, z.object({ type: z.literal('pong') })])

/** A received frame: a declared one, parsed, or a record of one outside the schema (which no test expects). */
export type Frame = z.output<typeof ServerFrame> | { type: 'undeclared-frame'; raw: string; error: string }
export type FrameOf<K extends Frame['type']> = Extract<Frame, { type: K }>

export interface Client {
  ws: WebSocket
  frames: Frame[]
  closed: Promise<{ code: number; reason: string }>
  isClosed(): boolean
  waitFor(match: (frame: Frame) => boolean, timeoutMs?: number): Promise<Frame>
  /** The first frame of `type` (that also passes `match`), typed as that frame. */
  waitForType<K extends Frame['type']>(type: K, match?: (frame: FrameOf<K>) => boolean, timeoutMs?: number): Promise<FrameOf<K>>
}

const open: Client[] = []

/** Closes every client the test opened (call from afterEach). */
export function closeAll() {
  for (const c of open.splice(0)) {
    try {
      c.ws.close(1000, 'test done')
    } catch {
      // already closed
    }
  }
}

export function upgrade(path: string, headers: Record<string, string> = { Upgrade: 'websocket' }) {
  return exports.default.fetch(new Request(`http://localhost${path}`, { headers }))
}

/** Accepts the client end of a 101 and records every JSON frame it receives. */
export function client(res: Response): Client {
  const ws = res.webSocket
  if (!ws) throw new Error(`no WebSocket (status ${res.status})`)
  const frames: Frame[] = []
  let done = false
  const closed = new Promise<{ code: number; reason: string }>((resolve) =>
    ws.addEventListener('close', (e) => {
      done = true
      resolve({ code: e.code, reason: e.reason })
    }),
  )
  ws.addEventListener('message', (e) => {
    // A frame outside the declared schema is recorded as such, so no waitFor can match it.
    const parsed = ServerFrame.safeParse(JSON.parse(String(e.data)))
    frames.push(parsed.success ? parsed.data : { type: 'undeclared-frame', raw: String(e.data), error: parsed.error.message })
  })
  ws.accept()
  const c: Client = {
    ws,
    frames,
    closed,
    isClosed: () => done,
    async waitFor(match, timeoutMs = 10_000) {
      const deadline = Date.now() + timeoutMs
      for (;;) {
        const found = frames.find(match)
        if (found) return found
        if (Date.now() > deadline) throw new Error(`no matching frame in ${JSON.stringify(frames.map((f) => f.type))}`)
        await new Promise((resolve) => setTimeout(resolve, 10))
      }
    },
    async waitForType<K extends Frame['type']>(type: K, match: (frame: FrameOf<K>) => boolean = () => true, timeoutMs?: number) {
      const isType = (f: Frame): f is FrameOf<K> => f.type === type
      const found = await c.waitFor((f) => isType(f) && match(f), timeoutMs)
      if (!isType(found)) throw new Error(`expected a ${type} frame, got ${found.type}`)
      return found
    },
  }
  open.push(c)
  return c
}

/** `?token=` socket, after its `connected` frame. */
export async function connect(token: string): Promise<Client> {
  const res = await upgrade(`/api/ws?token=${encodeURIComponent(token)}`)
  expect(res.status).toBe(101)
  const c = client(res)
  await c.waitFor((f) => f.type === 'connected')
  return c
}

/** First-frame-auth socket (relayed through the Worker), after its `connected` frame. */
export async function connectFirstFrame(token: string): Promise<Client> {
  const c = client(await upgrade('/api/ws'))
  c.ws.send(JSON.stringify({ type: 'auth', token }))
  await c.waitFor((f) => f.type === 'connected')
  return c
}

/** Proves a socket is still open and served: a ping with an id is answered by the hub itself. */
export async function expectAlive(c: Client) {
  c.frames.length = 0
  c.ws.send(JSON.stringify({ type: 'ping', id: 1 }))
  await c.waitFor((f) => f.type === 'pong')
  expect(c.isClosed()).toBe(false)
}

/** Waits for the close, failing after `timeoutMs` rather than hanging. */
export async function closeCode(c: Client, timeoutMs = 5000): Promise<number> {
  const timeout = new Promise<never>((_, reject) => setTimeout(() => reject(new Error('socket did not close')), timeoutMs))
  return (await Promise.race([c.closed, timeout])).code
}
