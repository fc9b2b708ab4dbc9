import { errorText, log } from '../lib/logger'
/**
 * The single entry point for "these sessions ended, close their sockets": logout, password
 * change, refresh-token reuse and `revokeAllSessions` all call it after the D1 revocation.
 * Access-token expiry needs no call: each hub closes expired sockets from its own alarm.
 *
 * Best effort towards the caller (the session is already revoked in D1, which is what every
 * HTTP request checks); a failed close is logged and the socket still dies at its token expiry.
 */
export async function closeSessionSockets(env: Env, userId: string, sessionIds: string[] | 'all', reason: string): Promise<void> {
  if (sessionIds !== 'all' && sessionIds.length === 0) return
  try {
    const hub = env.USER_HUB.get(env.USER_HUB.idFromName(userId))
    await Promise.all([hub.revokeSessions(sessionIds, reason), closeOwnerLiveSockets(env, userId, sessionIds, reason)])
  } catch (error) {
    log.warn('session sockets not closed', { reason, error: errorText(error) })
  }
}

/**
 * The user's sockets on their live sessions' rooms (the photographer's console). Only rooms an
 * owner plausibly has open are asked: sessions not ended, or changed in the last day (100 at
 * most); any other owner socket still closes when its 15-minute access token expires.
 */
async function closeOwnerLiveSockets(env: Env, userId: string, sessionIds: string[] | 'all', reason: string) {
  const { results } = await env.DB.prepare(
    `SELECT id FROM live_sessions WHERE owner_id = ?1 AND deleted_at IS NULL AND (status != 'ended' OR updated_at > ?2)
      ORDER BY updated_at DESC LIMIT 100`,
  )
    .bind(userId, Date.now() - 86_400_000)
    .all<{ id: string }>()
  await Promise.all(results.map((row) => env.LIVE_ROOM.get(env.LIVE_ROOM.idFromName(row.id)).revokeOwnerSessions(sessionIds, reason)))
}
