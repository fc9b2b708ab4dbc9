/**
 * The ordered, bounded event log of a room (a live session today), kept in the Durable Object's
 * SQLite: every stored event gets the next `seq`; a client resumes with `after=<seq>`. What is too
 * old to replay, or too much to replay at once, is answered with `resync` so the client reloads
 * over HTTP (paged) instead of receiving one huge burst.
 */

export interface StoredEvent {
  seq: number
  type: string
  data: unknown
  ts: string
}

/** One event is sent as an object, several as an array in one frame. */
export function frameText(frames: object[]): string | null {
  if (frames.length === 0) return null
  return JSON.stringify(frames.length === 1 ? frames[0] : frames)
}

/** How many events a room keeps. */
export const MAX_EVENTS = 10_000
/** At most this many events are replayed to one socket; more means `resync`. */
export const REPLAY_LIMIT = 1_000
/** Events per replay frame. */
export const REPLAY_CHUNK = 200

export class RoomLog {
  constructor(private readonly sql: SqlStorage, private readonly storage: DurableObjectStorage) {
    sql.exec(
      'CREATE TABLE IF NOT EXISTS events (seq INTEGER PRIMARY KEY, type TEXT NOT NULL, data TEXT NOT NULL, audience TEXT NOT NULL, ts TEXT NOT NULL)',
    )
    sql.exec('CREATE TABLE IF NOT EXISTS log_meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL)')
  }

  lastSeq(): number {
    const row = this.sql.exec<{ seq: number | null }>('SELECT MAX(seq) AS seq FROM events').one()
    return row.seq ?? this.meta('pruned_through')
  }

  private meta(key: string): number {
    return this.sql.exec<{ value: number }>('SELECT value FROM log_meta WHERE key = ?', key).toArray()[0]?.value ?? 0
  }

  /** Appends an event for `audience` and returns its seq. Keeps the log bounded. */
  append(type: string, data: unknown, audience: string, ts: string): number {
    const seq = this.sql
      .exec<{ seq: number }>('INSERT INTO events (type, data, audience, ts) VALUES (?, ?, ?, ?) RETURNING seq', type, JSON.stringify(data), audience, ts)
      .one().seq
    if (seq > MAX_EVENTS && seq % 100 === 0) {
      const through = seq - MAX_EVENTS
      this.sql.exec('DELETE FROM events WHERE seq <= ?', through)
      this.sql.exec('INSERT INTO log_meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value', 'pruned_through', through)
    }
    return seq
  }

  /**
   * What a socket that saw `after` missed, for `audiences`, in order: `null` when the client must
   * resync (its `after` is older than the kept log, or more than REPLAY_LIMIT events are missing).
   */
  missed(after: number, audiences: readonly string[]): StoredEvent[] | null {
    if (after < this.meta('pruned_through')) return null
    const marks = audiences.map(() => '?').join(',')
    const rows = this.sql
      .exec<{ seq: number; type: string; data: string; ts: string }>(
        `SELECT seq, type, data, ts FROM events WHERE seq > ? AND audience IN (${marks}) ORDER BY seq LIMIT ?`,
        after,
        ...audiences,
        REPLAY_LIMIT + 1,
      )
      .toArray()
    if (rows.length > REPLAY_LIMIT) return null
    return rows.map((r) => ({ seq: r.seq, type: r.type, data: JSON.parse(r.data) as unknown, ts: r.ts }))
  }

  /** Forgets every event (the room's session was deleted). */
  async clear(): Promise<void> {
    this.sql.exec('DELETE FROM events')
    this.sql.exec('DELETE FROM log_meta')
    await this.storage.deleteAll()
  }
}
