import type { Context } from 'hono'
import type { LiveSession } from '../../db/schema'
import type { AppEnv } from '../../env'
import { authenticate, bearerToken } from '../../lib/auth'
import { notFound, sessionEnded, unauthorized } from '../../lib/errors'
import { readViewerToken } from './viewer-tokens'

export type LiveViewer =
  | { role: 'owner'; userId: string }
  | { role: 'guest'; guestId: string | null }

/** Ended by the photographer or past its end time: guests get 410 SESSION_ENDED. */
export function hasEnded(session: LiveSession, now = Date.now()): boolean {
  return session.status === 'ended' || (session.endsAt !== null && session.endsAt.getTime() <= now)
}

/** The token from `Authorization: Bearer` or `?token=` (img tags and WebSockets cannot set headers). */
export function presentedToken(c: Context<AppEnv>): string | null {
  return bearerToken(c.req.header('Authorization')) ?? c.req.query('token') ?? null
}

/**
 * Who is looking at a live session: its owner (access token), a guest with a viewer token for
 * this session and the current code, or anyone for an open session. Everyone else: 401 for a
 * session with a code (the guest page then asks for it). Guests of an ended session: 410.
 */
export async function resolveViewer(c: Context<AppEnv>, session: LiveSession, token = presentedToken(c)): Promise<LiveViewer> {
  if (token) {
    const viewer = await readViewerToken(c.env, token)
    if (viewer) {
      if (viewer.sessionId !== session.id) throw unauthorized('This viewer token is for another live session')
      if (viewer.codeVersion !== session.codeVersion) throw unauthorized('The access code has changed: enter the new code')
      if (hasEnded(session)) throw sessionEnded()
      return { role: 'guest', guestId: viewer.guestId }
    }
    const user = await authenticate(c.env, token)
    if (user.id === session.ownerId) return { role: 'owner', userId: user.id }
  }
  if (session.accessCode === null) {
    if (hasEnded(session)) throw sessionEnded()
    return { role: 'guest', guestId: null }
  }
  throw unauthorized('Enter the access code of this live session')
}

/** The session, or 404. */
export async function loadSession(c: Context<AppEnv>, id: string): Promise<LiveSession> {
  const session = await c.var.db.query.liveSessions.findFirst({ where: (s, { and, eq, isNull }) => and(eq(s.id, id), isNull(s.deletedAt)) })
  if (!session) throw notFound('Live session')
  return session
}

/** The session if the caller owns it; someone else's session is 404, as if it did not exist. */
export async function loadOwnSession(c: Context<AppEnv>, id: string): Promise<LiveSession> {
  const session = await c.var.db.query.liveSessions.findFirst({ where: (s, { and, eq, isNull }) => and(eq(s.id, id), eq(s.ownerId, c.var.user.id), isNull(s.deletedAt)) })
  if (!session) throw notFound('Live session')
  return session
}
