import { authenticate } from '../../lib/auth'
import { ApiError } from '../../lib/errors'
import { readViewerToken } from './viewer-tokens'

interface SessionRow {
  ownerId: string
  codeVersion: number
  status: string
  endsAt: number | null
}

/**
 * For a socket of live session `sessionId`: 'owner' for its owner's access token, 'guest' for a
 * current viewer token of this session, else null. Ended sessions admit only the owner.
 */
export async function verifyLiveSocketToken(env: Env, sessionId: string, token: string): Promise<'owner' | 'guest' | null> {
  const session = await env.DB.prepare(
    'SELECT owner_id AS ownerId, code_version AS codeVersion, status, ends_at AS endsAt FROM live_sessions WHERE id = ?1',
  )
    .bind(sessionId)
    .first<SessionRow>()
  if (!session) return null
  try {
    const viewer = await readViewerToken(env, token)
    if (viewer) {
      const ended = session.status === 'ended' || (session.endsAt !== null && session.endsAt <= Date.now())
      return viewer.sessionId === sessionId && viewer.codeVersion === session.codeVersion && !ended ? 'guest' : null
    }
    const user = await authenticate(env, token)
    return user.id === session.ownerId ? 'owner' : null
  } catch (error) {
    if (error instanceof ApiError) return null
    throw error
  }
}
