import type { AuthUser } from '../../env'
import { authenticateToken } from '../../lib/auth'
import { ApiError } from '../../lib/errors'
import { withLocalScope } from '../../lib/locality'
import { errorText, log } from '../../lib/logger'
import { closeQuietly } from '../../lib/sockets'
import { CLOSE_UNAUTHORIZED, sessionHeaders } from '../../realtime/socket-session'
import type { UserEvent, UserEventInput } from './schemas'

const AUTH_TIMEOUT_MS = 5000

/** One frame of the user event stream, stamped with the time it is sent. */
export function userEventFrame(event: UserEventInput): string {
  return JSON.stringify({ ...event, ts: new Date().toISOString() })
}

function hubFor(env: Env, userId: string) {
  return env.USER_HUB.get(env.USER_HUB.idFromName(userId))
}

/**
 * Pushes an event to the user's sockets. Best effort: a failed push is logged and never fails
 * the work that caused it (clients also poll `GET /api/tasks/:id`).
 */
export async function publishToUser(env: Env, userId: string, event: UserEvent): Promise<void> {
  try {
    await hubFor(env, userId).publish({ ...event, ts: new Date().toISOString() })
  } catch (error) {
    log.warn('user event not delivered', { type: event.type, error: errorText(error) })
  }
}

/**
 * As `publishToUser`, coalesced per `key` on the user's hub: a burst of events with one key
 * within about a second reaches the user as one frame, the one with the highest `rank` (pass
 * the count the event carries, so the frame shows the highest count of the burst whatever
 * order parallel requests arrive in). For counters of social events (`work.liked` per work…).
 */
export async function publishToUserCoalesced(env: Env, userId: string, key: string, event: UserEvent, rank: number): Promise<void> {
  try {
    await hubFor(env, userId).publishCoalesced(key, event, rank)
  } catch (error) {
    log.warn('user event not delivered', { type: event.type, error: errorText(error) })
  }
}

function hubRequest(url: string, user: AuthUser, expiresAt: number, local: boolean): Request {
  return new Request(url, { headers: { Upgrade: 'websocket', ...sessionHeaders(user, expiresAt, local) } })
}

/**
 * Opens the caller's socket on their hub. With a `token` the socket goes straight to the hub
 * (401 for a bad token) and can hibernate; without one, the Worker holds it until the first frame
 * authenticates it.
 */
export async function connectUserSocket(env: Env, url: string, token: string | undefined, local: boolean): Promise<Response> {
  if (!token) return acceptWithFirstFrameAuth(env, url, local)
  const { user, expiresAt } = await authenticateToken(env, token)
  return hubFor(env, user.id).fetch(hubRequest(url, user, expiresAt, local))
}

/**
 * First-frame authentication: the Worker holds the socket until `{"type":"auth","token"}`
 * arrives (5 s at most), then relays frames to the user's hub. Prefer `?token=`: that socket
 * goes straight to the hub and can hibernate.
 */
function acceptWithFirstFrameAuth(env: Env, url: string, local: boolean): Response {
  const { 0: client, 1: server } = new WebSocketPair()
  server.accept()
  let upstream: WebSocket | null = null
  let authenticating = false
  const pending: Array<string | ArrayBuffer> = []
  const fail = (reason: string) => {
    try {
      server.send(userEventFrame({ type: 'error', data: { code: 'UNAUTHORIZED', error: reason } }))
    } catch {
      // client already gone
    }
    closeQuietly(server, CLOSE_UNAUTHORIZED, reason)
  }
  const timer = setTimeout(() => {
    if (!upstream) fail('No auth frame within 5 seconds')
  }, AUTH_TIMEOUT_MS)

  server.addEventListener('message', (event) => {
    void onMessage(event).catch(() => fail('Authentication failed'))
  })
  const onMessage = async (event: MessageEvent) => {
    if (upstream) return upstream.send(event.data)
    if (authenticating) return void pending.push(event.data)
    authenticating = true
    let token: unknown
    try {
      const frame = JSON.parse(String(event.data)) as { type?: unknown; token?: unknown }
      token = frame.type === 'auth' ? frame.token : undefined
    } catch {
      token = undefined
    }
    if (typeof token !== 'string') return fail('First frame must be {"type":"auth","token":"..."}')
    try {
      // Event listeners run outside the request's scope: restore it for the secret lookup.
      const { user, expiresAt } = await withLocalScope(local, () => authenticateToken(env, token))
      const res = await hubFor(env, user.id).fetch(hubRequest(url, user, expiresAt, local))
      const socket = res.webSocket
      if (!socket) return fail('Could not reach your event hub')
      socket.accept()
      upstream = socket
      clearTimeout(timer)
      socket.addEventListener('message', (e) => server.send(e.data))
      socket.addEventListener('close', (e) => closeQuietly(server, e.code, e.reason))
      server.addEventListener('close', (e) => closeQuietly(socket, e.code, e.reason))
      for (const data of pending.splice(0)) socket.send(data)
    } catch (error) {
      fail(error instanceof ApiError ? error.message : 'Authentication failed')
    }
  }
  server.addEventListener('close', () => clearTimeout(timer))
  return new Response(null, { status: 101, webSocket: client })
}
