import type { AuthUser } from '../env'
import { authenticateToken } from '../lib/auth'
import { withLocalScope } from '../lib/locality'
import { ApiError } from '../lib/errors'
import { closeQuietly } from '../lib/sockets'

/** Close code for a socket whose session ended or whose access token expired. */
export const CLOSE_UNAUTHORIZED = 4401

/**
 * What a socket opened with a user's access token carries (serializeAttachment, so it survives
 * hibernation): whose it is, which auth session, and when its access token expires.
 */
export interface SocketSession {
  userId: string
  sessionId: string
  /** ms since the epoch; the socket closes then unless re-authenticated with a fresh token. */
  expiresAt: number
  /** Opened by a request to localhost: its re-auth may use development secret fallbacks. */
  local: boolean
}

const HEADERS = {
  user: 'X-Darkroom-User',
  session: 'X-Darkroom-Session',
  expires: 'X-Darkroom-Token-Expires',
  local: 'X-Darkroom-Local',
} as const

/** Headers with which the Worker hands an authenticated socket to a Durable Object. */
export function sessionHeaders(user: AuthUser, expiresAt: number, local: boolean): Record<string, string> {
  return {
    [HEADERS.user]: user.id,
    [HEADERS.session]: user.sessionId,
    [HEADERS.expires]: String(expiresAt),
    [HEADERS.local]: local ? '1' : '0',
  }
}

/** Reads `sessionHeaders` back (inside the Durable Object), or null when incomplete. */
export function sessionFromHeaders(headers: Headers): SocketSession | null {
  const userId = headers.get(HEADERS.user)
  const sessionId = headers.get(HEADERS.session)
  const expiresAt = Number(headers.get(HEADERS.expires))
  if (!userId || !sessionId || !Number.isFinite(expiresAt) || expiresAt <= 0) return null
  return { userId, sessionId, expiresAt, local: headers.get(HEADERS.local) === '1' }
}

/** The session a socket's attachment carries (attachments may hold more fields), or null. */
export function socketSession(socket: WebSocket): SocketSession | null {
  const value = socket.deserializeAttachment() as Partial<SocketSession> | null
  if (!value || typeof value.sessionId !== 'string' || typeof value.userId !== 'string' || typeof value.expiresAt !== 'number') return null
  return { userId: value.userId, sessionId: value.sessionId, expiresAt: value.expiresAt, local: value.local === true }
}

/** When the next socket expires (for the alarm), or null when none carries a session. */
export function earliestExpiry(sockets: WebSocket[]): number | null {
  let earliest: number | null = null
  for (const socket of sockets) {
    const session = socketSession(socket)
    if (session && (earliest === null || session.expiresAt < earliest)) earliest = session.expiresAt
  }
  return earliest
}

/** Closes sockets whose access token expired by `now`; answers the ones still open. */
export function closeExpired(sockets: WebSocket[], now: number): WebSocket[] {
  const open: WebSocket[] = []
  for (const socket of sockets) {
    const session = socketSession(socket)
    if (session && session.expiresAt <= now) closeQuietly(socket, CLOSE_UNAUTHORIZED, 'Access token expired; reconnect or re-authenticate')
    else open.push(socket)
  }
  return open
}

/**
 * Whether the socket's auth session is still live in D1. Checked once the socket is registered:
 * a revocation that landed between the Worker's token check and the registration is seen
 * here, and any later one reaches the registered socket through `closeSessionSockets`.
 */
export async function sessionStillLive(env: Env, session: SocketSession): Promise<boolean> {
  const row = await env.DB.prepare(
    `SELECT 1 AS live FROM sessions s JOIN users u ON u.id = s.user_id
      WHERE s.id = ?1 AND s.user_id = ?2 AND s.revoked_at IS NULL AND s.expires_at > ?3 AND u.disabled_at IS NULL`,
  )
    .bind(session.sessionId, session.userId, Date.now())
    .first<{ live: number }>()
  return row !== null
}

/** The token of a `{"type":"auth","token":"..."}` frame, or null for any other frame. */
export function authFrameToken(message: string | ArrayBuffer): string | null {
  if (typeof message !== 'string' || !message.includes('"auth"')) return null
  try {
    const frame = JSON.parse(message) as { type?: unknown; token?: unknown }
    return frame.type === 'auth' && typeof frame.token === 'string' ? frame.token : null
  } catch {
    return null
  }
}

/**
 * Re-authenticates an open socket with a fresh access token of the same user: the socket
 * moves to that token's session and expiry. Answers the new session, or null (bad token,
 * ended session, another user) after which the caller closes the socket with 4401.
 */
export async function reauthenticate(env: Env, socket: WebSocket, token: string): Promise<SocketSession | null> {
  const current = socketSession(socket)
  if (!current) return null
  try {
    const { user, expiresAt } = await withLocalScope(current.local, () => authenticateToken(env, token))
    if (user.id !== current.userId) return null
    const next: SocketSession = { ...current, sessionId: user.sessionId, expiresAt }
    const attachment = socket.deserializeAttachment() as Record<string, unknown> | null
    socket.serializeAttachment({ ...(attachment ?? {}), ...next })
    return next
  } catch (error) {
    if (error instanceof ApiError) return null
    throw error
  }
}
