import type { LiveSession } from '../../../db/schema'
import { allowsDevFallback } from '../../../lib/locality'
import { errorText, log } from '../../../lib/logger'
import type { RoomContext, RoomEvent } from './schemas'

/** The session's LiveRoom: one per session, named by the session id (the room reads it from `ctx.id.name`). */
export function liveRoom(env: Env, sessionId: string) {
  return env.LIVE_ROOM.get(env.LIVE_ROOM.idFromName(sessionId))
}

/**
 * What the session's room must know to deliver events (URL signing, end time). `local`: the
 * request came to localhost in development, so the room may use development secret fallbacks
 * (it has no request of its own to tell).
 */
export function roomContext(env: Env, session: LiveSession): RoomContext {
  return {
    local: allowsDevFallback(env),
    codeVersion: session.codeVersion,
    downloadPolicy: session.downloadPolicy,
    status: session.status,
    endsAt: session.endsAt?.getTime() ?? null,
  }
}

/** Sends events to the session's LiveRoom. Best effort: logged, never failing the request. */
export async function publishToRoom(env: Env, session: LiveSession, events: RoomEvent[]): Promise<void> {
  if (events.length === 0) return
  try {
    await liveRoom(env, session.id).publish(events, roomContext(env, session))
  } catch (error) {
    log.warn('live event not delivered', { sessionId: session.id, error: errorText(error) })
  }
}
