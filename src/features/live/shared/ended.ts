/** What the "has it ended" rule reads of a live session: a D1 row, a raw SQL row or the room's copy. */
export interface SessionClock {
  status: string
  /** End time as a Date (drizzle row) or epoch ms (raw SQL row, the room's context); null: none. */
  endsAt: Date | number | null
}

/**
 * THE rule for "this live session has ended": ended by the photographer, or past its end time.
 * Guests of an ended session get 410 SESSION_ENDED over HTTP and are closed (4401) on sockets;
 * the owner still sees everything. Routes, the socket handshake and the LiveRoom all ask here.
 */
export function hasEnded(session: SessionClock, now = Date.now()): boolean {
  if (session.status === 'ended') return true
  if (session.endsAt === null) return false
  const endsAt = typeof session.endsAt === 'number' ? session.endsAt : session.endsAt.getTime()
  return endsAt <= now
}
