import { authenticate } from '../../lib/auth'
import { ApiError } from '../../lib/errors'
import { verifyAccessToken } from '../../lib/tokens'
import type { SocketIdentity } from '../../realtime/room-sockets'
import { readViewerToken } from './viewer-tokens'

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
      const ended = session.status === 'ended' || (session.endsAt !== null && session.endsAt <= Date.now())
      const valid = viewer.sessionId === sessionId && viewer.codeVersion === session.codeVersion && !ended
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
