import type { RoomEvent } from '../../realtime/live-room'

/** Sends events to the session's LiveRoom. Best effort: logged, never failing the request. */
export async function publishToRoom(env: Env, sessionId: string, events: RoomEvent[]): Promise<void> {
  if (events.length === 0) return
  try {
    await liveRoom(env, sessionId).publish(events, sessionId)
  } catch (error) {
    console.warn(JSON.stringify({ level: 'warn', msg: 'live event not delivered', sessionId, error: String(error) }))
  }
}

export function liveRoom(env: Env, sessionId: string) {
  return env.LIVE_ROOM.get(env.LIVE_ROOM.idFromName(sessionId))
}
