import type { LiveSession } from '../../../db/schema'
import type { Db } from '../../../env'
import { authenticate, bearerToken } from '../../../lib/auth'
import { notFound, sessionEnded, unauthorized } from '../../../lib/errors'
import { hasEnded } from './ended'
import { readViewerToken } from './viewer-tokens'

export type LiveViewer =
  | { role: 'owner'; userId: string }
  | { role: 'guest'; guestId: string | null }

/** The parts of a request a token can come in (Hono's `c.req` fits). */
interface TokenSource {
  header(name: string): string | undefined
  query(name: string): string | undefined
}

/** The token from `Authorization: Bearer` or `?token=` (img tags and WebSockets cannot set headers). */
export function presentedToken(req: TokenSource): string | null {
  return bearerToken(req.header('Authorization')) ?? req.query('token') ?? null
}

/**
 * Who is looking at a live session: its owner (access token), a guest with a viewer token for
 * this session and the current code, or anyone for an open session. Everyone else: 401 for a
 * session with a code (the guest page then asks for it). Guests of an ended session: 410.
 */
export async function resolveViewer(env: Env, session: LiveSession, token: string | null): Promise<LiveViewer> {
  if (token) {
    const viewer = await readViewerToken(env, token)
    if (viewer) {
      if (viewer.sessionId !== session.id) throw unauthorized('This viewer token is for another live session')
      if (viewer.codeVersion !== session.codeVersion) throw unauthorized('The access code has changed: enter the new code')
      if (hasEnded(session)) throw sessionEnded()
      return { role: 'guest', guestId: viewer.guestId }
    }
    const user = await authenticate(env, token)
    if (user.id === session.ownerId) return { role: 'owner', userId: user.id }
  }
  if (session.accessCode === null) {
    if (hasEnded(session)) throw sessionEnded()
    return { role: 'guest', guestId: null }
  }
  throw unauthorized('Enter the access code of this live session')
}

/** The session, or 404. */
export async function loadSession(db: Db, id: string): Promise<LiveSession> {
  const session = await db.query.liveSessions.findFirst({ where: (s, { and, eq, isNull }) => and(eq(s.id, id), isNull(s.deletedAt)) })
  if (!session) throw notFound('Live session')
  return session
}

/** The session if `userId` owns it; someone else's session is 404, as if it did not exist. */
export async function loadOwnSession(db: Db, id: string, userId: string): Promise<LiveSession> {
  const session = await db.query.liveSessions.findFirst({ where: (s, { and, eq, isNull }) => and(eq(s.id, id), eq(s.ownerId, userId), isNull(s.deletedAt)) })
  if (!session) throw notFound('Live session')
  return session
}
