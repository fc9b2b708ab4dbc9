import { DurableObject } from 'cloudflare:workers'
import { closeQuietly } from '../../lib/sockets'
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

/**
 * One per user: owns the user's WebSockets (`/api/ws`, every device) and pushes task and
 * credit events to them. Sockets hibernate: an idle hub costs no duration, and `{"type":"ping"}`
 * is answered by the runtime without waking the object. Each socket carries its auth session
 * and access-token expiry (attachment): revoked sessions are closed by `revokeSessions`, and
 * an alarm at the earliest expiry closes sockets whose token ran out (4401) unless they sent
 * `{"type":"auth","token"}` with a fresh token first.
 */
export class UserHub extends DurableObject<Env> {
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

  private async scheduleExpiry(sockets = this.ctx.getWebSockets()) {
    const live = sockets.filter((s) => s.readyState === 1) // OPEN
    const next = earliestExpiry(live)
    if (next === null) await this.ctx.storage.deleteAlarm()
    else await this.ctx.storage.setAlarm(next)
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
