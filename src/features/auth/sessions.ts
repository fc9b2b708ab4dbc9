import { and, eq, isNull, ne } from 'drizzle-orm'
import { refreshTokens, sessions, type User } from '../../db/schema'
import type { Db } from '../../env'
import { tokenLifetimes } from '../../lib/config'
import { requireSecret } from '../../lib/locality'
import { accountDisabled, unauthorized } from '../../lib/errors'
import { newId, sha256Hex, toBase64Url } from '../../lib/ids'
import { newRefreshToken, signAccessToken } from '../../lib/tokens'
import { closeSessionSockets } from '../../realtime/revoke'
import { toUserDto } from './dto'

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
  replacedBy: string | null
  successorUsedAt: number | null
  sessionId: string
  rememberMe: number
  revokedAt: number | null
  expiresAt: number
  userId: string
  disabledAt: number | null
}

/** How long a rotated refresh token may be presented again and get the same successor. */
export const REFRESH_GRACE_MS = 30_000

const encoder = new TextEncoder()

/**
 * The successor of a refresh token: HMAC(JWT secret, "refresh:" + token). Deterministic, so a
 * retried refresh (lost response, two tabs) can be answered the same successor without storing
 * any token in plain text.
 */
async function successorToken(env: Env, presented: string): Promise<string> {
  const key = await crypto.subtle.importKey('raw', encoder.encode(requireSecret(env, 'JWT_SECRET')), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign'])
  const mac = await crypto.subtle.sign('HMAC', key, encoder.encode(`refresh:${presented}`))
  return `rt_${toBase64Url(new Uint8Array(mac))}`
}

const ROW_QUERY = `
  SELECT t.used_at AS usedAt, t.replaced_by AS replacedBy, n.used_at AS successorUsedAt,
         s.id AS sessionId, s.remember_me AS rememberMe, s.revoked_at AS revokedAt,
         s.expires_at AS expiresAt, s.user_id AS userId, u.disabled_at AS disabledAt
    FROM refresh_tokens t JOIN sessions s ON s.id = t.session_id JOIN users u ON u.id = s.user_id
    LEFT JOIN refresh_tokens n ON n.token_hash = t.replaced_by
   WHERE t.token_hash = ?1`

/** A rotated token presented again within the grace window, whose successor was not used yet. */
function isGraceRetry(row: RefreshRow, successorHash: string, now: number): boolean {
  return row.usedAt !== null && row.replacedBy === successorHash && row.successorUsedAt === null && now - row.usedAt <= REFRESH_GRACE_MS
}

/**
 * Rotates a refresh token: the old one stops working and a new pair is issued. Presenting a
 * token again within REFRESH_GRACE_MS of its rotation, before its successor was used, answers
 * the same successor (a retry, not theft). Any other reuse means it leaked (or two clients
 * share it): the whole session is revoked, so both the thief's and the owner's tokens stop working.
 */
export async function rotateRefreshToken(env: Env, db: Db, presented: string) {
  const oldHash = await sha256Hex(presented)
  const row = await env.DB.prepare(ROW_QUERY).bind(oldHash).first<RefreshRow>()
  const now = Date.now()
  if (!row) throw unauthorized('Invalid refresh token')
  // Before the revocation check: disabling revokes every session, and the client must learn why.
  if (row.disabledAt !== null) throw accountDisabled()
  if (row.revokedAt !== null) throw unauthorized('Session has ended, sign in again')
  if (row.expiresAt <= now) throw unauthorized('Refresh token expired, sign in again')
  const refreshToken = await successorToken(env, presented)
  const newHash = await sha256Hex(refreshToken)
  if (row.usedAt !== null && !isGraceRetry(row, newHash, now)) return reuse(env, row)

  const user = await db.query.users.findFirst({ where: (u, { eq }) => eq(u.id, row.userId) })
  if (!user) throw unauthorized('Invalid refresh token')
  const lifetime = sessionSeconds(env, row.rememberMe === 1)
  const access = await signAccessToken(env, user, row.sessionId)
  if (row.usedAt !== null) return tokenPair(access, refreshToken, lifetime, user)
  // One batch: mark the old token used only if nobody else did, and insert the successor only
  // if the old token now points at it. Concurrent refreshes compute the same successor.
  const [claimed] = await env.DB.batch([
    env.DB.prepare(
      'UPDATE refresh_tokens SET used_at = ?1, replaced_by = ?2 WHERE token_hash = ?3 AND used_at IS NULL',
    ).bind(now, newHash, oldHash),
    env.DB.prepare(
      `INSERT OR IGNORE INTO refresh_tokens (token_hash, session_id, created_at)
       SELECT ?1, ?2, ?3 WHERE EXISTS
         (SELECT 1 FROM refresh_tokens WHERE token_hash = ?4 AND replaced_by = ?1)`,
    ).bind(newHash, row.sessionId, now, oldHash),
    env.DB.prepare(
      `UPDATE sessions SET expires_at = ?1 WHERE id = ?2 AND revoked_at IS NULL AND EXISTS
         (SELECT 1 FROM refresh_tokens WHERE token_hash = ?3 AND replaced_by = ?4)`,
    ).bind(now + lifetime * 1000, row.sessionId, oldHash, newHash),
  ])
  if (!claimed || claimed.meta.changes !== 1) {
    // Another request rotated it first: fine if that was a moment ago and nothing moved on since.
    const again = await env.DB.prepare(ROW_QUERY).bind(oldHash).first<RefreshRow>()
    if (!again || again.revokedAt !== null || !isGraceRetry(again, newHash, Date.now())) return reuse(env, again ?? row)
  }
  return tokenPair(access, refreshToken, lifetime, user)
}

async function reuse(env: Env, row: RefreshRow): Promise<never> {
  await revokeSession(env, row.userId, row.sessionId, 'refresh_token_reuse')
  throw unauthorized('Refresh token was already used; the session has been revoked')
}

/** Revokes one session and closes its sockets. */
export async function revokeSession(env: Env, userId: string, sessionId: string, reason: string) {
  await env.DB.prepare(
    'UPDATE sessions SET revoked_at = ?1, revoked_reason = ?2 WHERE id = ?3 AND user_id = ?4 AND revoked_at IS NULL',
  )
    .bind(Date.now(), reason, sessionId, userId)
    .run()
  await closeSessionSockets(env, userId, [sessionId], reason)
}

/** Revokes every live session of a user except `keepSessionId`, and closes their sockets. */
export async function revokeOtherSessions(env: Env, db: Db, userId: string, keepSessionId: string, reason: string) {
  const revoked = await db
    .update(sessions)
    .set({ revokedAt: new Date(), revokedReason: reason })
    .where(and(eq(sessions.userId, userId), ne(sessions.id, keepSessionId), isNull(sessions.revokedAt)))
    .returning({ id: sessions.id })
  await closeSessionSockets(env, userId, revoked.map((r) => r.id), reason)
}

/**
 * Ends every session of a user at once (account disabled, admin action, "sign out everywhere"):
 * refresh and access tokens stop working and every open socket of the user closes with 4401.
 * Returns how many sessions were still live.
 */
export async function revokeAllSessions(env: Env, userId: string, reason: string): Promise<number> {
  const result = await env.DB.prepare(
    'UPDATE sessions SET revoked_at = ?1, revoked_reason = ?2 WHERE user_id = ?3 AND revoked_at IS NULL',
  )
    .bind(Date.now(), reason, userId)
    .run()
  await closeSessionSockets(env, userId, 'all', reason)
  return result.meta.changes
}

/**
 * `revokeAllSessions` as a statement for the caller's own batch (an admin disabling the account):
 * it revokes only while the user is disabled, so put it after the guarded UPDATE that disables.
 * Close the sockets afterwards with `closeSessionSockets(env, userId, 'all', reason)`.
 */
export function revokeAllSessionsIfDisabledStatement(env: Env, userId: string, reason: string, now: number): D1PreparedStatement {
  return env.DB.prepare(
    `UPDATE sessions SET revoked_at = ?1, revoked_reason = ?2
      WHERE user_id = ?3 AND revoked_at IS NULL AND EXISTS (SELECT 1 FROM users WHERE id = ?3 AND disabled_at IS NOT NULL)`,
  ).bind(now, reason, userId)
}

/**
 * For the batch that enables an account, after its guarded UPDATE: revokes every open session of
 * the user, but only if the account is enabled now (the UPDATE applied). All sessions were revoked
 * when it was disabled, so any open one began while it was disabled (a sign-in that raced it).
 */
export function revokeAllSessionsIfEnabledStatement(env: Env, userId: string, reason: string, now: number): D1PreparedStatement {
  return env.DB.prepare(
    `UPDATE sessions SET revoked_at = ?1, revoked_reason = ?2
      WHERE user_id = ?3 AND revoked_at IS NULL AND EXISTS (SELECT 1 FROM users WHERE id = ?3 AND disabled_at IS NULL)`,
  ).bind(now, reason, userId)
}

/** Deletes sessions that ended more than a week ago (cron sweep). */
export async function pruneSessions(d1: D1Database, now = Date.now()) {
  await d1
    .prepare('DELETE FROM sessions WHERE expires_at < ?1 OR revoked_at < ?1')
    .bind(now - 7 * 86_400_000)
    .run()
}
