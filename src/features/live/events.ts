import type { LiveSession } from '../../db/schema'
import type { RoomContext, RoomEvent } from '../../realtime/live-room'
import { allowsDevFallback } from '../../lib/locality'
import { hasEnded } from './access'
import { errorText, log } from '../../lib/logger'

/**
 * What the session's room must know to deliver events (URL signing, end time). `local`: the
 * request came to localhost in development, so the room may use development secret fallbacks
 * (it has no request of its own to tell).
 */
export function roomContext(env: Env, session: LiveSession): RoomContext {
  return {
    local: allowsDevFallback(env),
    sessionId: session.id,
    codeVersion: session.codeVersion,
    downloadPolicy: session.downloadPolicy,
    endsAt: session.endsAt?.getTime() ?? null,
    ended: hasEnded(session),
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

export function liveRoom(env: Env, sessionId: string) {
  return env.LIVE_ROOM.get(env.LIVE_ROOM.idFromName(sessionId))
}
