import { DurableObject } from 'cloudflare:workers'
import { withLocalScope } from '../../../lib/locality'
import { errorText, log } from '../../../lib/logger'
import { closeQuietly } from '../../../lib/sockets'
import { frameText, RoomLog, type StoredEvent } from '../../../realtime/room-log'
import { FrameBudget, SOCKET_CAPS } from '../../../realtime/room-sockets'
import { openCount, SocketCounter } from '../../../realtime/socket-counts'
import { withUrls } from '../photos/dto'
import { deleteSessionPage } from '../sessions/cleanup'
import { hasEnded } from '../shared/ended'
import { type Attachment, identityAttachment, nextDeadline } from './attachment'
import type { LiveFrame, RoomContext, RoomEvent } from './schemas'
import { verifyLiveSocketToken } from './socket-auth'

const PRESENCE_DELAY_MS = 1000
const AUDIENCES = { owner: ['all', 'owner'], guest: ['all', 'guests'] } as const

/**
 * One per live session. Owns the sockets of the photographer and the guests, and the ordered
 * event log they resume from (`RoomLog`). Guests only receive `all` and `guests` events. Photo
 * URLs are signed when an event is delivered, never stored. Delivery runs through one queue, so
 * every socket sees events in `seq` order, replays included. Sockets hibernate; `{"type":"ping"}`
 * is answered by the runtime without waking the object. The room knows its session from its
 * name (`ctx.id.name`: rooms are only reached through `idFromName(sessionId)`).
 */
export class LiveRoom extends DurableObject<Env> {
  private readonly log: RoomLog
  private context: RoomContext | undefined
  private delivery: Promise<void> = Promise.resolve()
  private readonly budget = new FrameBudget()
  private readonly counter = new SocketCounter('live') // the socket registry, reported from the presence alarm

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env)
    ctx.setWebSocketAutoResponse(new WebSocketRequestResponsePair('{"type":"ping"}', '{"type":"pong"}'))
    this.log = new RoomLog(ctx.storage.sql, ctx.storage)
  }

  /** The session this room serves. */
  private get sessionId(): string {
    const name = this.ctx.id.name
    if (!name) throw new Error('LiveRoom reached without its name: use liveRoom(env, sessionId)')
    return name
  }

  private async loadContext(): Promise<RoomContext | undefined> {
    this.context ??= await this.ctx.storage.get<RoomContext>('context')
    return this.context
  }

  /** Remembers the session's current state; a new code or end closes guests who no longer may watch. */
  private async learn(context: RoomContext | undefined) {
    if (!context) return
    const known = await this.loadContext()
    if (known && JSON.stringify(known) === JSON.stringify(context)) return
    this.context = context
    await this.ctx.storage.put('context', context)
    if (context.endsAt !== null && context.endsAt > Date.now()) await this.schedule(context.endsAt)
  }

  /** Accepts a socket the Worker checked (`X-Live-Role`), or holds it `pending` for a first-frame token. */
  override async fetch(request: Request): Promise<Response> {
    if (request.headers.get('Upgrade')?.toLowerCase() !== 'websocket') {
      return Response.json({ success: false, error: 'Expected a WebSocket upgrade', code: 'VALIDATION_ERROR' }, { status: 426 })
    }
    await this.learn(JSON.parse(request.headers.get('X-Live-Context') ?? 'null') as RoomContext | null ?? undefined)
    const attachment = identityAttachment(request, this.log.lastSeq())
    const refusal = this.capsRefusal(attachment)
    if (refusal) return Response.json({ success: false, error: refusal, code: 'RATE_LIMITED' }, { status: 429, headers: { 'Retry-After': '30' } })
    const { 0: client, 1: server } = new WebSocketPair()
    const tags = [attachment.role, `n:${attachment.network}`, ...(attachment.guestId ? [`g:${attachment.guestId}`] : [])]
    this.ctx.acceptWebSocket(server, tags)
    server.serializeAttachment(attachment)
    if (attachment.role === 'pending') await this.schedule(attachment.deadline!)
    else await this.admit(server, attachment)
    return new Response(null, { status: 101, webSocket: client })
  }

  private capsRefusal(a: Attachment): string | null {
    if (this.ctx.getWebSockets(`n:${a.network}`).length >= SOCKET_CAPS.perNetwork) return 'Too many connections from your network'
    if (a.guestId && this.guestSockets(a.guestId) >= SOCKET_CAPS.perGuest) return 'Too many connections for this guest: close another tab'
    return null
  }

  /** A guest's sockets: tagged at accept, plus first-frame sockets whose attachment names the guest. */
  private guestSockets(guestId: string): number {
    const late = this.ctx.getWebSockets('pending').filter((s) => (s.deserializeAttachment() as Attachment | null)?.guestId === guestId)
    return this.ctx.getWebSockets(`g:${guestId}`).length + late.length
  }

  /** `connected {seq}`, then (queued in order) what the socket missed, or `resync`. */
  private async admit(socket: WebSocket, a: Attachment) {
    const role = a.role as 'owner' | 'guest'
    const seq = a.joinedSeq
    this.sendFrame(socket, { type: 'connected', seq, data: { seq, role, viewers: this.socketsOf('guest').length }, ts: new Date().toISOString() })
    if (a.after !== undefined && a.after < seq) {
      const after = a.after
      this.enqueue(() => this.replay(socket, role, after, seq))
    }
    if (a.expiresAt) await this.schedule(a.expiresAt)
    await this.schedule(Date.now() + PRESENCE_DELAY_MS)
  }

  private async replay(socket: WebSocket, role: 'owner' | 'guest', after: number, through: number) {
    const missed = this.log.missed(after, AUDIENCES[role])
    if (missed === null) {
      this.sendFrame(socket, { type: 'resync', seq: through, data: { seq: through }, ts: new Date().toISOString() })
      return
    }
    const events = missed.filter((e) => e.seq <= through)
    for (let i = 0; i < events.length; i += 200) {
      const text = frameText(await this.render(events.slice(i, i + 200), role === 'owner'))
      if (text) this.sendText(socket, text)
    }
  }

  /** Adds delivery-time URLs to photo events. */
  private async render(events: StoredEvent[], owner: boolean): Promise<object[]> {
    const context = await this.loadContext()
    return Promise.all(
      events.map(async (e) => {
        const data = e.data as { photo?: { id: string } } | null
        if (!context || !data?.photo) return { type: e.type, ...(e.seq ? { seq: e.seq } : {}), data: e.data, ts: e.ts }
        const photo = await withLocalScope(context.local === true, () => withUrls(this.env, data.photo!, context, owner))
        return { type: e.type, ...(e.seq ? { seq: e.seq } : {}), data: { ...data, photo }, ts: e.ts }
      }),
    )
  }

  private enqueue(task: () => Promise<void>) {
    return (this.delivery = this.delivery.then(task).catch((error: unknown) => log.error('live delivery failed', { error: errorText(error) })))
  }

  /**
   * Stores events (each gets the next seq) and delivers them: one frame per audience, sent to
   * every socket that joined before them. Returns the last seq.
   */
  async publish(events: RoomEvent[], context?: RoomContext): Promise<number> {
    await this.learn(context)
    const ts = new Date().toISOString()
    const stamped = events.map((event) => ({ event, stored: { seq: event.ephemeral ? 0 : this.log.append(event.type, event.data, event.audience, ts), type: event.type, data: event.data, ts } }))
    const last = this.log.lastSeq()
    // Stored now; delivered in order by the queue. The caller (an owner's upload or moderation)
    // does not wait for deliveries or replays already queued ahead of it.
    void this.enqueue(async () => {
      for (const role of ['owner', 'guest'] as const) {
        const mine = stamped.filter((s) => s.event.audience === 'all' || s.event.audience === (role === 'owner' ? 'owner' : 'guests')).map((s) => s.stored)
        if (mine.length === 0) continue
        // Serialise once per audience: 1,000 guests cost 1,000 send() calls of one string.
        const text = frameText(await this.render(mine, role === 'owner'))
        const first = mine.find((e) => e.seq > 0)?.seq ?? Infinity
        if (!text) continue
        for (const socket of this.socketsOf(role)) {
          // A socket that joined after an event gets it from its replay instead.
          if (first !== Infinity && (socket.deserializeAttachment() as Attachment).joinedSeq >= first) continue
          this.sendText(socket, text)
        }
      }
    })
    return last
  }

  /** The newest seq: the HTTP photo list hands it out, so the page resumes exactly from there. */
  async currentSeq(): Promise<number> {
    return this.log.lastSeq()
  }

  /** Closes every guest socket (the access code changed or the session ended): they must verify again. */
  async revokeGuests(reason: string, context?: RoomContext): Promise<void> {
    await this.learn(context)
    for (const socket of this.socketsOf('guest')) closeQuietly(socket, 4401, reason)
    await this.schedule(Date.now() + PRESENCE_DELAY_MS)
  }

  /** Closes owner sockets opened with these auth sessions (logout, password change, disabled account). */
  async revokeOwnerSessions(authSessionIds: string[] | 'all', reason: string): Promise<number> {
    let closed = 0
    for (const socket of this.socketsOf('owner')) {
      const a = socket.deserializeAttachment() as Attachment
      if (authSessionIds === 'all' || (a.authSessionId && authSessionIds.includes(a.authSessionId))) {
        closeQuietly(socket, 4401, reason)
        closed++
      }
    }
    return closed
  }

  /** The session was deleted: close every socket, forget the log, delete its photos in pages. */
  async destroy(): Promise<void> {
    for (const socket of this.ctx.getWebSockets()) closeQuietly(socket, 4404, 'Live session deleted')
    await this.counter.report(this.env, this.sessionId, {})
    await this.log.clear()
    this.context = undefined
    await this.ctx.storage.put('deleting', true)
    await this.ctx.storage.setAlarm(Date.now())
  }

  private sendFrame = (socket: WebSocket, frame: LiveFrame) => this.sendText(socket, JSON.stringify(frame))

  private sendText(socket: WebSocket, text: string) {
    try {
      socket.send(text)
    } catch {
      closeQuietly(socket, 1011, 'send failed')
    }
  }

  /** Sockets of a role: accepted with that tag, plus first-frame sockets whose attachment now says it. */
  private socketsOf(role: 'owner' | 'guest'): WebSocket[] {
    const late = this.ctx.getWebSockets('pending').filter((s) => (s.deserializeAttachment() as Attachment | null)?.role === role)
    const tagged = this.ctx.getWebSockets(role)
    return late.length > 0 ? [...tagged, ...late] : tagged
  }

  private async schedule(at: number) {
    const current = await this.ctx.storage.getAlarm()
    if (current === null || current > at) await this.ctx.storage.setAlarm(at)
  }

  override async webSocketMessage(socket: WebSocket, message: string | ArrayBuffer): Promise<void> {
    if (!this.budget.allow(socket)) return closeQuietly(socket, 1008, 'Too many frames')
    let frame: { type?: unknown; token?: unknown } | null = null
    try {
      frame = typeof message === 'string' && message.length <= 4096 ? (JSON.parse(message) as { type?: unknown; token?: unknown }) : null
    } catch {
      frame = null
    }
    const a = socket.deserializeAttachment() as Attachment
    if (frame?.type === 'ping') return socket.send('{"type":"pong"}')
    if (a.role === 'authenticating') return // one auth frame per pending socket; the rest waits or is ignored
    if (frame?.type !== 'auth' || typeof frame.token !== 'string') {
      if (a.role === 'pending') closeQuietly(socket, 4401, 'First frame must be {"type":"auth","token":"..."}')
      return // guests and owners have nothing else to say here
    }
    if (a.role === 'pending') socket.serializeAttachment({ ...a, role: 'authenticating' } satisfies Attachment)
    const context = await this.loadContext()
    const token = frame.token
    const identity = context ? await withLocalScope(context.local === true, () => verifyLiveSocketToken(this.env, this.sessionId, token)) : null
    if (!identity || (a.role !== 'pending' && (identity.role !== a.role || (identity.guestId ?? null) !== (a.guestId ?? null)))) {
      return closeQuietly(socket, 4401, 'Authentication failed')
    }
    if (a.role !== 'pending') {
      // Re-authentication on an open socket extends it to the new token's expiry.
      socket.serializeAttachment({ ...a, expiresAt: identity.expiresAt, authSessionId: identity.authSessionId } satisfies Attachment)
      if (identity.expiresAt) await this.schedule(identity.expiresAt)
      return
    }
    const admitted: Attachment = { ...a, ...identity, deadline: undefined, joinedSeq: this.log.lastSeq() }
    if (admitted.guestId && this.guestSockets(admitted.guestId) >= SOCKET_CAPS.perGuest) {
      return closeQuietly(socket, 4429, 'Too many connections for this guest')
    }
    socket.serializeAttachment(admitted)
    await this.admit(socket, admitted)
  }

  override async webSocketClose(socket: WebSocket, code: number): Promise<void> {
    closeQuietly(socket, code === 1005 ? 1000 : code, 'closing')
    await this.schedule(Date.now() + PRESENCE_DELAY_MS)
  }

  override async webSocketError(socket: WebSocket): Promise<void> {
    closeQuietly(socket, 1011, 'error')
    await this.schedule(Date.now() + PRESENCE_DELAY_MS)
  }

  /**
   * Deletes a deleted session's photos page by page; closes sockets past their deadline (no auth
   * frame, token expired, session ended); sends `presence` when the guest count changed.
   */
  override async alarm(): Promise<void> {
    if (await this.ctx.storage.get<boolean>('deleting')) {
      const done = await deleteSessionPage(this.env, this.sessionId)
      if (done) await this.ctx.storage.deleteAll()
      else await this.ctx.storage.setAlarm(Date.now() + 50)
      return
    }
    const now = Date.now()
    const context = await this.loadContext()
    const ended = context ? hasEnded(context, now) : false
    for (const socket of this.ctx.getWebSockets()) {
      const a = socket.deserializeAttachment() as Attachment | null
      if (!a) continue
      if ((a.role === 'pending' || a.role === 'authenticating') && (a.deadline ?? 0) <= now) closeQuietly(socket, 4401, 'No auth frame within 5 seconds')
      else if (a.expiresAt && a.expiresAt <= now) closeQuietly(socket, 4401, 'Token expired: authenticate again')
      else if (ended && a.role === 'guest') closeQuietly(socket, 4401, 'This live session has ended')
    }
    const viewers = this.socketsOf('guest').length
    const last = (await this.ctx.storage.get<number>('presence')) ?? -1
    if (viewers !== last) {
      await this.ctx.storage.put('presence', viewers)
      const frame: LiveFrame = { type: 'presence', data: { viewers }, ts: new Date().toISOString() }
      const text = JSON.stringify(frame)
      for (const role of ['owner', 'guest'] as const) for (const socket of this.socketsOf(role)) this.sendText(socket, text)
    }
    await this.counter.report(this.env, this.sessionId, { owners: openCount(this.socketsOf('owner')), guests: openCount(this.socketsOf('guest')) })
    const next = nextDeadline(this.ctx.getWebSockets(), context && !ended ? context.endsAt : null, now)
    if (next !== null) await this.ctx.storage.setAlarm(next)
  }
}
