import { createMiddleware } from 'hono/factory'
import type { AppEnv, AuthUser } from '../env'
import { forbidden, unauthorized } from './errors'
import { type AccessClaims, verifyAccessToken } from './tokens'

const BEARER = /^Bearer\s+(\S+)$/i

/** Reads a Bearer token, or null. */
export function bearerToken(header: string | undefined): string | null {
  return header?.match(BEARER)?.[1] ?? null
}

export interface SessionRow {
  id: string
  username: string
  role: 'user' | 'admin'
  revokedAt: number | null
  expiresAt: number | null
  disabledAt?: number | null
}

/**
 * Resolves an access token into the caller: signature and claims, then one D1 read that
 * checks the user still exists and is not disabled, and the session was not revoked (logout,
 * password change, refresh-token reuse, disabled account) or expired.
 */
export async function authenticate(env: Env, token: string): Promise<AuthUser> {
  return (await authenticateToken(env, token)).user
}

/**
 * The signed-in caller of a route that also serves anonymous readers: null without an
 * `Authorization` header. A token that is sent but no longer valid is 401, as on authenticated
 * routes, so a client learns to refresh rather than silently seeing the anonymous answer.
 */
export async function optionalViewer(env: Env, authorization: string | undefined): Promise<AuthUser | null> {
  const token = bearerToken(authorization)
  return token ? authenticate(env, token) : null
}

/** `authenticate`, also answering when the access token expires (ms), for sockets that must close then. */
export async function authenticateToken(env: Env, token: string): Promise<{ user: AuthUser; expiresAt: number }> {
  const claims = await verifyAccessToken(env, token)
  const row = await sessionStatement(env, claims).first<SessionRow>()
  return { user: sessionUser(row, claims), expiresAt: claims.expiresAt }
}

/**
 * The one D1 read of `authenticate` (user exists, session alive), for a route that puts it into
 * its own `batch()` so a signed-in read still costs one round trip. Turn its first row into the
 * caller with `sessionUser` before answering anything read in the same batch.
 */
export function sessionStatement(env: Env, claims: AccessClaims): D1PreparedStatement {
  return env.DB.prepare(
    `SELECT u.id, u.username, u.role, s.revoked_at AS revokedAt, s.expires_at AS expiresAt, u.disabled_at AS disabledAt
       FROM users u JOIN sessions s ON s.user_id = u.id
      WHERE u.id = ?1 AND s.id = ?2`,
  ).bind(claims.userId, claims.sessionId)
}

/** The caller from the row `sessionStatement` read; 401 when the user or the session is gone. */
export function sessionUser(row: SessionRow | null, claims: AccessClaims): AuthUser {
  // A disabled account's sessions are revoked with it; checking the flag too closes the gap of a
  // sign-in that raced the disabling.
  if (!row || row.revokedAt !== null || (row.disabledAt ?? null) !== null || (row.expiresAt !== null && row.expiresAt <= Date.now())) {
    throw unauthorized('Session has ended, sign in again')
  }
  return { id: row.id, username: row.username, role: row.role, sessionId: claims.sessionId }
}

/** Requires `Authorization: Bearer <accessToken>` and sets `c.var.user`. */
export const requireAuth = createMiddleware<AppEnv>(async (c, next) => {
  const token = bearerToken(c.req.header('Authorization'))
  if (!token) throw unauthorized('Missing Authorization: Bearer <accessToken> header')
  c.set('user', await authenticate(c.env, token))
  await next()
})

/** After `requireAuth`: only admins pass, everyone else gets 403. */
export const requireAdmin = createMiddleware<AppEnv>(async (c, next) => {
  if (c.var.user.role !== 'admin') throw forbidden('Administrator role required')
  await next()
})

/** The client's IP as Cloudflare reports it (`local` when run without the edge). */
export function clientIp(headers: Headers): string {
  return headers.get('CF-Connecting-IP') ?? 'local'
}
