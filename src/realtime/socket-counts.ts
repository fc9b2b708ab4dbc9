import { errorText, log } from '../lib/logger'

/**
 * The global socket registry: each Durable Object that holds WebSockets reports its counts into
 * D1 `socket_counts` (the only writer is here). A `SocketCounter` per object skips writes that
 * would change nothing, except to refresh a row older than REFRESH_MS (so the reader can tell a
 * live row from one left by an object that was reset without its close events).
 */

export interface SocketTally {
  devices?: number
  owners?: number
  guests?: number
}

/** A row not written for this long is refreshed even when its counts did not change. */
export const REFRESH_MS = 10 * 60_000
/**
 * Rows older than this are ignored by readers: every socket closes at its token's expiry (access
 * tokens: minutes; viewer tokens: 12 h) unless re-authenticated, and the object's alarm that does
 * so refreshes the row, so an object with open sockets reports at least this often.
 */
export const STALE_AFTER_MS = 13 * 3600_000

/** Writes (or, with no sockets left, deletes) one object's row. Best effort: logged, never thrown. */
export async function reportSockets(env: Env, kind: 'user' | 'live', targetId: string, tally: SocketTally, now = Date.now()): Promise<boolean> {
  const { devices = 0, owners = 0, guests = 0 } = tally
  const room = `${kind}:${targetId}`
  try {
    if (devices + owners + guests === 0) {
      await env.DB.prepare('DELETE FROM socket_counts WHERE room = ?1').bind(room).run()
    } else {
      await env.DB.prepare(
        `INSERT INTO socket_counts (room, kind, target_id, devices, owners, guests, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
         ON CONFLICT (room) DO UPDATE SET devices = excluded.devices, owners = excluded.owners, guests = excluded.guests, updated_at = excluded.updated_at`,
      )
        .bind(room, kind, targetId, devices, owners, guests, now)
        .run()
    }
    return true
  } catch (error) {
    log.warn('socket counts not reported', { room: kind, error: errorText(error) })
    return false
  }
}

/** Remembers (in the object's memory) what it last reported, so unchanged counts cost nothing. */
export class SocketCounter {
  private last: { key: string; at: number } | null = null

  constructor(private readonly kind: 'user' | 'live') {}

  private timer: ReturnType<typeof setTimeout> | null = null
  private chain: Promise<void> = Promise.resolve()

  /** Reports `tally` unless it equals the last report and that one is fresher than REFRESH_MS. */
  async report(env: Env, targetId: string, tally: SocketTally, now = Date.now()): Promise<void> {
    const key = `${tally.devices ?? 0}:${tally.owners ?? 0}:${tally.guests ?? 0}`
    if (this.last && this.last.key === key && now - this.last.at < REFRESH_MS) return
    if (await reportSockets(env, this.kind, targetId, tally, now)) this.last = { key, at: now }
  }

  /**
   * Reports the tally as it is REPORT_DELAY_MS from now, without making the caller wait: a burst
   * of connects and closes (a reconnect storm, a flapping phone) costs one D1 write per object
   * per delay, and a socket's handshake never waits on D1. Reports run one after another, so an
   * older count can never land after a newer one.
   */
  reportSoon(env: Env, targetId: string, tally: () => SocketTally): void {
    if (this.timer !== null) return
    this.timer = setTimeout(() => {
      this.timer = null
      this.chain = this.chain.then(() => this.report(env, targetId, tally()))
    }, REPORT_DELAY_MS)
  }
}

/** How long a user hub gathers socket changes before reporting them (one write per burst). */
export const REPORT_DELAY_MS = 500

/** How many of `sockets` are open (closing ones still listed during a close handler are not). */
export const openCount = (sockets: WebSocket[]) => sockets.filter((socket) => socket.readyState === 1).length

/** Deletes rows readers already ignore (objects reset without their close events). Cron. */
export async function pruneStaleSocketCounts(env: Env, now = Date.now()): Promise<number> {
  const result = await env.DB.prepare('DELETE FROM socket_counts WHERE updated_at < ?1').bind(now - STALE_AFTER_MS).run()
  return result.meta.changes
}
