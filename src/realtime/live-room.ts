import { DurableObject } from 'cloudflare:workers'
import { verifyLiveSocketToken } from '../features/live/socket-auth'

/** One event is sent as an object, several as an array in one frame. */
function frameText(frames: object[]): string | null {
  if (frames.length === 0) return null
  return JSON.stringify(frames.length === 1 ? frames[0] : frames)
}

/** `all`: owner and guests; `owner` or `guests`: only them. */
export type Audience = 'all' | 'owner' | 'guests'

/** An event as the Worker hands it over; the room gives it its `seq`. */
export interface RoomEvent {
  type: 'photo.added' | 'photo.updated' | 'photo.removed' | 'session.updated' | 'upload.progress'
  data: unknown
  audience: Audience
  /** Ephemeral events (upload progress) are not stored and carry no seq. */
  ephemeral?: boolean
}

interface Attachment {
  role: 'owner' | 'guest' | 'pending'
  /** For pending sockets: when they must have authenticated. */
  deadline?: number
  after?: number
}

const MAX_EVENTS = 10_000
const REPLAY_CHUNK = 200
const PRESENCE_DELAY_MS = 1000
const AUTH_TIMEOUT_MS = 5000

/**
 * One per live session. Owns the sockets of the photographer and the guests, and the ordered
 * event log they resume from: every stored event gets the next `seq`; a socket that connects
 * with `after=<seq>` first receives what it missed, in order, then live events. Guests only
 * receive `all` and `guests` events (the Worker never sends them pending photos). Sockets
 * hibernate; `{"type":"ping"}` is answered by the runtime without waking the object.
 */
export class LiveRoom extends DurableObject<Env> {
  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env)
    ctx.setWebSocketAutoResponse(new WebSocketRequestResponsePair('{"type":"ping"}', '{"type":"pong"}'))
    ctx.blockConcurrencyWhile(async () => {
      ctx.storage.sql.exec(
        'CREATE TABLE IF NOT EXISTS events (seq INTEGER PRIMARY KEY, type TEXT NOT NULL, data TEXT NOT NULL, audience TEXT NOT NULL, ts TEXT NOT NULL)',
      )
    })
  }

  private lastSeq(): number {
    const row = this.ctx.storage.sql.exec<{ seq: number | null }>('SELECT MAX(seq) AS seq FROM events').one()
    return row.seq ?? 0
  }

  /** Accepts a socket. The Worker already checked the token (`X-Live-Role`), or left it `pending`. */
  override async fetch(request: Request): Promise<Response> {
    if (request.headers.get('Upgrade')?.toLowerCase() !== 'websocket') {
      return Response.json({ success: false, error: 'Expected a WebSocket upgrade', code: 'VALIDATION_ERROR' }, { status: 426 })
    }
    const role = request.headers.get('X-Live-Role') as Attachment['role'] | null
    const afterParam = new URL(request.url).searchParams.get('after')
    const after = afterParam && /^\d{1,15}$/.test(afterParam) ? Number(afterParam) : undefined
    const { 0: client, 1: server } = new WebSocketPair()
    if (role === 'owner' || role === 'guest') {
      this.ctx.acceptWebSocket(server, [role])
      server.serializeAttachment({ role, after } satisfies Attachment)
      this.welcome(server, role, after)
      if (role === 'guest') await this.schedule(Date.now() + PRESENCE_DELAY_MS)
    } else {
      this.ctx.acceptWebSocket(server, ['pending'])
      const deadline = Date.now() + AUTH_TIMEOUT_MS
      server.serializeAttachment({ role: 'pending', deadline, after } satisfies Attachment)
      await this.schedule(deadline)
    }
    return new Response(null, { status: 101, webSocket: client })
  }

  /** `connected {seq}`, then everything after `after` this role may see, in order. */
  private welcome(socket: WebSocket, role: 'owner' | 'guest', after?: number) {
    const seq = this.lastSeq()
    this.send(socket, { type: 'connected', seq, data: { seq, role, viewers: this.socketsOf('guest').length }, ts: new Date().toISOString() })
    if (after === undefined || after >= seq) return
    const audience = role === 'owner' ? ['all', 'owner'] : ['all', 'guests']
    let from = after
    for (;;) {
      const rows = this.ctx.storage.sql
        .exec<{ seq: number; type: string; data: string; ts: string }>(
          `SELECT seq, type, data, ts FROM events WHERE seq > ? AND audience IN (${audience.map(() => '?').join(',')}) ORDER BY seq LIMIT ?`,
          from,
          ...audience,
          REPLAY_CHUNK,
        )
        .toArray()
      if (rows.length === 0) break
      this.send(socket, rows.map((r) => ({ type: r.type, seq: r.seq, data: JSON.parse(r.data) as unknown, ts: r.ts })))
      from = rows[rows.length - 1]!.seq
      if (rows.length < REPLAY_CHUNK) break
    }
  }

  /**
   * Stores and broadcasts events (one frame per socket when several arrive together). Returns
   * the last seq. A socket that fails is closed and forgotten; it never holds the others back.
   */
  async publish(events: RoomEvent[], sessionId?: string): Promise<number> {
    // Learning the session id here saves the Worker a separate bind() round trip per publish.
    if (sessionId && this.sessionId !== sessionId) await this.bind(sessionId)
    const ts = new Date().toISOString()
    const stamped = events.map((event) => {
      if (event.ephemeral) return { event, frame: { type: event.type, data: event.data, ts } }
      const seq = this.ctx.storage.sql
        .exec<{ seq: number }>('INSERT INTO events (type, data, audience, ts) VALUES (?, ?, ?, ?) RETURNING seq', event.type, JSON.stringify(event.data), event.audience, ts)
        .one().seq
      return { event, frame: { type: event.type, seq, data: event.data, ts } }
    })
    const last = this.lastSeq()
    if (last > MAX_EVENTS) this.ctx.storage.sql.exec('DELETE FROM events WHERE seq <= ?', last - MAX_EVENTS)
    // Serialise once per audience, not once per socket: 1,000 guests cost 1,000 send() calls only.
    const forGuests = frameText(stamped.filter((s) => s.event.audience !== 'owner').map((s) => s.frame))
    const forOwner = frameText(stamped.filter((s) => s.event.audience !== 'guests').map((s) => s.frame))
    if (forOwner) for (const socket of this.socketsOf('owner')) this.sendText(socket, forOwner)
    if (forGuests) for (const socket of this.socketsOf('guest')) this.sendText(socket, forGuests)
    return last
  }

  /** Closes every guest socket (the access code changed or the session ended): they must verify again. */
  async revokeGuests(reason: string): Promise<void> {
    for (const socket of this.socketsOf('guest')) this.close(socket, 4401, reason.slice(0, 100))
    await this.schedule(Date.now() + PRESENCE_DELAY_MS)
  }

  /** Closes every socket and forgets the log (the session was deleted). */
  async destroy(): Promise<void> {
    for (const socket of this.ctx.getWebSockets()) this.close(socket, 4404, 'Live session deleted')
    await this.ctx.storage.deleteAlarm()
    await this.ctx.storage.deleteAll()
  }

  private send(socket: WebSocket, frame: object | object[]) {
    const text = frameText(Array.isArray(frame) ? frame : [frame])
    if (text) this.sendText(socket, text)
  }

  private sendText(socket: WebSocket, text: string) {
    try {
      socket.send(text)
    } catch {
      this.close(socket, 1011, 'send failed')
    }
  }

  /**
   * Sockets of a role: those accepted with that tag, plus first-frame sockets (tagged `pending`
   * for good, since tags are fixed at accept) whose attachment now says the role.
   */
  private socketsOf(role: 'owner' | 'guest'): WebSocket[] {
    const late = this.ctx
      .getWebSockets('pending')
      .filter((s) => (s.deserializeAttachment() as Attachment | null)?.role === role)
    const tagged = this.ctx.getWebSockets(role)
    return late.length > 0 ? [...tagged, ...late] : tagged
  }

  private close(socket: WebSocket, code: number, reason: string) {
    try {
      socket.close(code, reason)
    } catch {
      // already closed
    }
  }

  private async schedule(at: number) {
    const current = await this.ctx.storage.getAlarm()
    if (current === null || current > at) await this.ctx.storage.setAlarm(at)
  }

  override async webSocketMessage(socket: WebSocket, message: string | ArrayBuffer): Promise<void> {
    let frame: { type?: unknown; token?: unknown } | null = null
    try {
      frame = typeof message === 'string' ? (JSON.parse(message) as { type?: unknown; token?: unknown }) : null
    } catch {
      frame = null
    }
    const attachment = socket.deserializeAttachment() as Attachment | null
    if (attachment?.role === 'pending') {
      const role = frame?.type === 'auth' && typeof frame.token === 'string' ? await this.verifyFirstFrame(frame.token) : null
      if (!role) return this.close(socket, 4401, 'Authentication failed')
      // Hibernation tags are fixed at accept time: re-accepting is not possible, so the role
      // lives in the attachment and tag lookups also consult it.
      socket.serializeAttachment({ role, after: attachment.after } satisfies Attachment)
      this.welcome(socket, role, attachment.after)
      if (role === 'guest') await this.schedule(Date.now() + PRESENCE_DELAY_MS)
      return
    }
    if (frame?.type === 'ping') socket.send('{"type":"pong"}')
  }

  /** Checks a first-frame token against this room's session (viewer or owner). */
  private async verifyFirstFrame(token: string): Promise<'owner' | 'guest' | null> {
    const sessionId = await this.ctx.storage.get<string>('sessionId')
    if (!sessionId) return null
    return verifyLiveSocketToken(this.env, sessionId, token)
  }

  private sessionId: string | undefined

  /** Remembers which session this room is (the first request tells it). */
  async bind(sessionId: string): Promise<void> {
    if (this.sessionId === sessionId) return
    if ((await this.ctx.storage.get<string>('sessionId')) !== sessionId) await this.ctx.storage.put('sessionId', sessionId)
    this.sessionId = sessionId
  }

  override async webSocketClose(socket: WebSocket, code: number): Promise<void> {
    this.close(socket, code === 1005 ? 1000 : code, 'closing')
    await this.schedule(Date.now() + PRESENCE_DELAY_MS)
  }

  override async webSocketError(socket: WebSocket): Promise<void> {
    this.close(socket, 1011, 'error')
    await this.schedule(Date.now() + PRESENCE_DELAY_MS)
  }

  /** Closes sockets that never authenticated, and sends `presence` if the guest count changed. */
  override async alarm(): Promise<void> {
    const now = Date.now()
    let nextDeadline: number | null = null
    for (const socket of this.ctx.getWebSockets('pending')) {
      const attachment = socket.deserializeAttachment() as Attachment | null
      if (attachment?.role !== 'pending') continue
      if ((attachment.deadline ?? 0) <= now) this.close(socket, 4401, 'No auth frame within 5 seconds')
      else nextDeadline = Math.min(nextDeadline ?? Infinity, attachment.deadline!)
    }
    const viewers = this.socketsOf('guest').length
    const last = (await this.ctx.storage.get<number>('presence')) ?? -1
    if (viewers !== last) {
      await this.ctx.storage.put('presence', viewers)
      const frame = { type: 'presence', data: { viewers }, ts: new Date().toISOString() }
      for (const socket of this.ctx.getWebSockets()) {
        const role = (socket.deserializeAttachment() as Attachment | null)?.role
        if (role && role !== 'pending') this.send(socket, frame)
      }
    }
    if (nextDeadline !== null) await this.ctx.storage.setAlarm(nextDeadline)
  }
}
