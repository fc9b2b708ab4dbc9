import { and, eq, isNull, ne } from 'drizzle-orm'
import { refreshTokens, sessions, type User } from '../../db/schema'
import type { Db } from '../../env'
import { tokenLifetimes } from '../../lib/config'
import { unauthorized } from '../../lib/errors'
import { newId, sha256Hex } from '../../lib/ids'
import { newRefreshToken, signAccessToken } from '../../lib/tokens'
import { toUserDto } from '../users/dto'

function sessionSeconds(env: Env, rememberMe: boolean) {
  const lifetimes = tokenLifetimes(env)
  return rememberMe ? lifetimes.rememberMeSeconds : lifetimes.sessionSeconds
}

/** The answer of every sign-in and refresh. */
function tokenPair(access: { token: string; expiresIn: number }, refreshToken: string, lifetime: number, user: User) {
  return {
    accessToken: access.token,
    refreshToken,
    tokenType: 'Bearer' as const,
    expiresIn: access.expiresIn,
    refreshExpiresIn: lifetime,
    user: toUserDto(user),
  }
}

/** Starts a session (refresh-token family) for `user` and answers the token pair. */
export async function startSession(
  env: Env,
  db: Db,
  user: User,
  opts: { rememberMe: boolean; userAgent?: string | undefined },
) {
  const now = Date.now()
  const lifetime = sessionSeconds(env, opts.rememberMe)
  const sessionId = newId('ses')
  const refreshToken = newRefreshToken()
  // Sign first: a missing JWT secret must fail before anything is written.
  const access = await signAccessToken(env, user, sessionId)
  await db.batch([
    db.insert(sessions).values({
      id: sessionId,
      userId: user.id,
      rememberMe: opts.rememberMe,
      userAgent: opts.userAgent?.slice(0, 200) ?? null,
      createdAt: new Date(now),
      expiresAt: new Date(now + lifetime * 1000),
    }),
    db.insert(refreshTokens).values({
      tokenHash: await sha256Hex(refreshToken),
      sessionId,
      createdAt: new Date(now),
    }),
  ])
  return tokenPair(access, refreshToken, lifetime, user)
}

interface RefreshRow {
  usedAt: number | null
  sessionId: string
  rememberMe: number
  revokedAt: number | null
  expiresAt: number
  userId: string
}

/**
 * Rotates a refresh token: the old one stops working and a new pair is issued. Presenting a
 * token that was already rotated means it leaked (or two clients share it): the whole session
 * is revoked, so both the thief's and the owner's tokens stop working.
 */
export async function rotateRefreshToken(env: Env, db: Db, presented: string) {
  const oldHash = await sha256Hex(presented)
  const row = await env.DB.prepare(
    `SELECT t.used_at AS usedAt, s.id AS sessionId, s.remember_me AS rememberMe,
            s.revoked_at AS revokedAt, s.expires_at AS expiresAt, s.user_id AS userId
       FROM refresh_tokens t JOIN sessions s ON s.id = t.session_id
      WHERE t.token_hash = ?1`,
  )
    .bind(oldHash)
    .first<RefreshRow>()
  const now = Date.now()
  if (!row) throw unauthorized('Invalid refresh token')
  if (row.revokedAt !== null) throw unauthorized('Session has ended, sign in again')
  if (row.expiresAt <= now) throw unauthorized('Refresh token expired, sign in again')
  if (row.usedAt !== null) {
    await revokeSession(env, row.sessionId, 'refresh_token_reuse')
    throw unauthorized('Refresh token was already used; the session has been revoked')
  }

  const user = await db.query.users.findFirst({ where: (u, { eq }) => eq(u.id, row.userId) })
  if (!user) throw unauthorized('Invalid refresh token')
  const lifetime = sessionSeconds(env, row.rememberMe === 1)
  const refreshToken = newRefreshToken()
  const newHash = await sha256Hex(refreshToken)
  const access = await signAccessToken(env, user, row.sessionId)
  // One batch: mark the old token used only if nobody else did, and insert the successor only
  // if this request won that race. A lost race is reuse.
  const [claimed] = await env.DB.batch([
    env.DB.prepare(
      'UPDATE refresh_tokens SET used_at = ?1, replaced_by = ?2 WHERE token_hash = ?3 AND used_at IS NULL',
    ).bind(now, newHash, oldHash),
    env.DB.prepare(
      `INSERT INTO refresh_tokens (token_hash, session_id, created_at)
       SELECT ?1, ?2, ?3 WHERE EXISTS
         (SELECT 1 FROM refresh_tokens WHERE token_hash = ?4 AND replaced_by = ?1)`,
    ).bind(newHash, row.sessionId, now, oldHash),
    env.DB.prepare(
      `UPDATE sessions SET expires_at = ?1 WHERE id = ?2 AND EXISTS
         (SELECT 1 FROM refresh_tokens WHERE token_hash = ?3 AND replaced_by = ?4)`,
    ).bind(now + lifetime * 1000, row.sessionId, oldHash, newHash),
  ])
  if (!claimed || claimed.meta.changes !== 1) {
    await revokeSession(env, row.sessionId, 'refresh_token_reuse')
    throw unauthorized('Refresh token was already used; the session has been revoked')
  }
  return tokenPair(access, refreshToken, lifetime, user)
}

export async function revokeSession(env: Env, sessionId: string, reason: string) {
  await env.DB.prepare(
    'UPDATE sessions SET revoked_at = ?1, revoked_reason = ?2 WHERE id = ?3 AND revoked_at IS NULL',
  )
    .bind(Date.now(), reason, sessionId)
    .run()
}

/** Revokes every live session of a user except `keepSessionId`. */
export async function revokeOtherSessions(db: Db, userId: string, keepSessionId: string, reason: string) {
  await db
    .update(sessions)
    .set({ revokedAt: new Date(), revokedReason: reason })
    .where(and(eq(sessions.userId, userId), ne(sessions.id, keepSessionId), isNull(sessions.revokedAt)))
}

/** Deletes sessions that ended more than a week ago (cron sweep). */
export async function pruneSessions(d1: D1Database, now = Date.now()) {
  await d1
    .prepare('DELETE FROM sessions WHERE expires_at < ?1 OR revoked_at < ?1')
    .bind(now - 7 * 86_400_000)
    .run()
}
