import { DurableObject } from 'cloudflare:workers'
import { closeQuietly } from '../../lib/sockets'
import { openCount, SocketCounter } from '../../realtime/socket-counts'
import {
  authFrameToken,
  CLOSE_UNAUTHORIZED,
  closeExpired,
  earliestExpiry,
  reauthenticate,
  sessionFromHeaders,
  sessionStillLive,
  socketSession,
} from '../../realtime/socket-session'
import type { UserEvent } from './schemas'
import { userEventFrame } from './service'

/** How long a coalesced event waits for newer ones of the same key before it is sent. */
export const COALESCE_WINDOW_MS = 1000

interface PendingEvent {
  event: UserEvent
  rank: number
}

/**
 * One per user: owns the user's WebSockets (`/api/ws`, every device) and pushes task and
 * credit events to them. Sockets hibernate: an idle hub costs no duration, and `{"type":"ping"}`
 * is answered by the runtime without waking the object. Each socket carries its auth session
 * and access-token expiry (attachment): revoked sessions are closed by `revokeSessions`, and
 * an alarm at the earliest expiry closes sockets whose token ran out (4401) unless they sent
 * `{"type":"auth","token"}` with a fresh token first.
 */
export class UserHub extends DurableObject<Env> {
  /** Coalesced events waiting for their window to end, by key (in memory: see `publishCoalesced`). */
  private readonly pending = new Map<string, PendingEvent>()
  /** Reports the open socket count to the global registry (`/api/websocket/stats`). */
  private readonly counter = new SocketCounter('user')

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env)
    ctx.setWebSocketAutoResponse(new WebSocketRequestResponsePair('{"type":"ping"}', '{"type":"pong"}'))
  }

  /** Accepts a socket the Worker already authenticated (the object is not reachable otherwise). */
  override async fetch(request: Request): Promise<Response> {
    const session = sessionFromHeaders(request.headers)
    if (request.headers.get('Upgrade')?.toLowerCase() !== 'websocket' || !session) {
      return Response.json({ success: false, error: 'Expected a WebSocket upgrade', code: 'VALIDATION_ERROR' }, { status: 426 })
    }
    const { 0: client, 1: server } = new WebSocketPair()
    this.ctx.acceptWebSocket(server, [session.userId])
    server.serializeAttachment(session)
    if (!(await sessionStillLive(this.env, session))) {
      // Revoked while the Worker was handing the socket over.
      closeQuietly(server, CLOSE_UNAUTHORIZED, 'Session ended')
      return new Response(null, { status: 101, webSocket: client })
    }
    server.send(userEventFrame({ type: 'connected', data: { userId: session.userId, devices: this.ctx.getWebSockets().length } }))
    await this.scheduleExpiry()
    return new Response(null, { status: 101, webSocket: client })
  }

  /** Sends one event to every connected device; a dead socket is dropped, never blocking others. */
  async publish(event: UserEvent & { ts: string }): Promise<number> {
    const frame = JSON.stringify(event)
    let delivered = 0
    for (const socket of this.ctx.getWebSockets()) {
      try {
        socket.send(frame)
        delivered++
      } catch {
        closeQuietly(socket, 1011, 'send failed')
      }
    }
    return delivered
  }

  /**
   * Sends `event` at most once per window per `key`: the first event of a burst opens a window of
   * about a second, later ones of the same key replace it while it waits (the one with the highest
   * `rank` wins, ties go to the newest), and the window's end sends the survivor, stamped then.
   * A later event after that opens a new window. With no socket open nothing is kept.
   *
   * Kept in memory with a timer, not in storage with the alarm: these frames are best-effort
   * notifications whose numbers are absolute counts read from D1, so losing a waiting one when
   * the object is evicted loses nothing (the next event carries the current count); a storage
   * write per like would cost more than the frame is worth; and the alarm stays the token-expiry
   * alarm alone. A pending timer keeps the object awake (no hibernation) for that second only.
   * Answers how many events are now waiting.
   */
  async publishCoalesced(key: string, event: UserEvent, rank: number): Promise<number> {
    if (this.ctx.getWebSockets().length === 0) return this.pending.size
    const waiting = this.pending.get(key)
    if (waiting) {
      if (rank >= waiting.rank) this.pending.set(key, { event, rank })
      return this.pending.size
    }
    this.pending.set(key, { event, rank })
    setTimeout(() => void this.flushCoalesced(key), COALESCE_WINDOW_MS)
    return this.pending.size
  }

  private async flushCoalesced(key: string): Promise<void> {
    const waiting = this.pending.get(key)
    this.pending.delete(key)
    if (waiting) await this.publish({ ...waiting.event, ts: new Date().toISOString() })
  }

  /** Closes the sockets of ended sessions (or all of them) with 4401. Answers how many closed. */
  async revokeSessions(sessionIds: string[] | 'all', reason: string): Promise<number> {
    const ids = sessionIds === 'all' ? null : new Set(sessionIds)
    let closed = 0
    for (const socket of this.ctx.getWebSockets()) {
      const session = socketSession(socket)
      if (ids && (!session || !ids.has(session.sessionId))) continue
      closeQuietly(socket, CLOSE_UNAUTHORIZED, `Session ended: ${reason}`)
      closed++
    }
    await this.scheduleExpiry()
    return closed
  }

  /** Closes sockets whose access token expired, then waits for the next expiry. */
  override async alarm(): Promise<void> {
    await this.scheduleExpiry(closeExpired(this.ctx.getWebSockets(), Date.now()))
  }

  /**
   * Re-arms the expiry alarm and reports the open sockets to the registry: runs on every connect,
   * close, revocation, re-authentication and alarm, so the row follows within REPORT_DELAY_MS
   * (one D1 write per burst, off the handshake) and is refreshed at least once per access-token
   * lifetime while sockets are open.
   */
  private async scheduleExpiry(sockets = this.ctx.getWebSockets()) {
    const live = sockets.filter((s) => s.readyState === 1) // OPEN
    const next = earliestExpiry(live)
    if (next === null) await this.ctx.storage.deleteAlarm()
    else await this.ctx.storage.setAlarm(next)
    const userId = this.ctx.id.name ?? (live[0] ? socketSession(live[0])?.userId : undefined)
    if (userId) this.counter.reportSoon(this.env, userId, () => ({ devices: openCount(this.ctx.getWebSockets()) }))
  }

  override async webSocketMessage(socket: WebSocket, message: string | ArrayBuffer): Promise<void> {
    const token = authFrameToken(message)
    if (token !== null) {
      const session = await reauthenticate(this.env, socket, token)
      if (!session) {
        socket.send(userEventFrame({ type: 'error', data: { code: 'UNAUTHORIZED', error: 'Re-authentication failed' } }))
        closeQuietly(socket, CLOSE_UNAUTHORIZED, 'Re-authentication failed')
      } else {
        socket.send(userEventFrame({ type: 'auth.ok', data: { expiresAt: new Date(session.expiresAt).toISOString() } }))
      }
      await this.scheduleExpiry()
      return
    }
    if (typeof message !== 'string') return
    let parsed: { type?: unknown } | null = null
    try {
      parsed = JSON.parse(message) as { type?: unknown }
    } catch {
      // ignore non-JSON
    }
    // Pings with extra fields miss the auto-response; answer them here.
    if (parsed?.type === 'ping') socket.send('{"type":"pong"}')
  }

  override async webSocketClose(socket: WebSocket, code: number): Promise<void> {
    closeQuietly(socket, code, 'closing')
    await this.scheduleExpiry()
  }
}
