import { authenticate } from '../../../lib/auth'
import type { LiveSession } from '../../../db/schema'
import { ApiError, sessionEnded, unauthorized } from '../../../lib/errors'
import { verifyAccessToken } from '../../../lib/tokens'
import { hasEnded } from '../shared/ended'
import { readViewerToken } from '../shared/viewer-tokens'
import type { SocketIdentity } from './attachment'

interface SessionRow {
  ownerId: string
  codeVersion: number
  status: string
  endsAt: number | null
  deletedAt: number | null
}

/**
 * For a socket of live session `sessionId`: its owner's access token (with the auth session and
 * expiry, so revocation and expiry close the socket) or a current viewer token of this session
 * (with its guest id and expiry); null otherwise. Ended sessions admit only the owner.
 */
export async function verifyLiveSocketToken(env: Env, sessionId: string, token: string): Promise<SocketIdentity | null> {
  const session = await env.DB.prepare(
    'SELECT owner_id AS ownerId, code_version AS codeVersion, status, ends_at AS endsAt, deleted_at AS deletedAt FROM live_sessions WHERE id = ?1',
  )
    .bind(sessionId)
    .first<SessionRow>()
  if (!session || session.deletedAt !== null) return null
  try {
    const viewer = await readViewerToken(env, token)
    if (viewer) {
      const valid = viewer.sessionId === sessionId && viewer.codeVersion === session.codeVersion && !hasEnded(session)
      return valid ? { role: 'guest', guestId: viewer.guestId, authSessionId: null, expiresAt: viewer.expiresAt } : null
    }
    const claims = await verifyAccessToken(env, token)
    const user = await authenticate(env, token)
    if (user.id !== session.ownerId) return null
    return { role: 'owner', guestId: null, authSessionId: user.sessionId, expiresAt: claims.expiresAt }
  } catch (error) {
    if (error instanceof ApiError) return null
    throw error
  }
}

/**
 * Who opens a socket on `session` over HTTP: with a token, its verified identity (401 otherwise;
 * 410 for a guest whose token was fine until the session ended, as over HTTP); without one, an
 * anonymous guest of an open session, or null: the socket waits for a first-frame token. Guests
 * of an ended session: 410.
 */
export async function handshakeIdentity(env: Env, session: LiveSession, token: string | null): Promise<SocketIdentity | null> {
  let identity: SocketIdentity | null = null
  if (token) {
    identity = await verifyLiveSocketToken(env, session.id, token)
    if (!identity) {
      const viewer = await readViewerToken(env, token).catch(() => null)
      if (viewer?.sessionId === session.id && viewer.codeVersion === session.codeVersion && hasEnded(session)) throw sessionEnded()
      throw unauthorized('Token is not valid for this live session')
    }
  } else if (session.accessCode === null) {
    identity = { role: 'guest', guestId: null, authSessionId: null, expiresAt: null }
  }
  if (identity?.role === 'guest' && hasEnded(session)) throw sessionEnded()
  return identity
}
