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
    await hub.revokeSessions(sessionIds, reason)
  } catch (error) {
    console.warn(JSON.stringify({ level: 'warn', msg: 'session sockets not closed', reason, error: String(error) }))
  }
}
