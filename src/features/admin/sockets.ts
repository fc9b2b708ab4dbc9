import { STALE_AFTER_MS } from '../../realtime/socket-counts'
import type { SocketStatsDto } from './schemas'

/** How many live sessions `/api/websocket/stats` lists by viewers. */
const TOP_LIVE = 10

interface Totals {
  devices: number | null
  users: number
  owners: number | null
  guests: number | null
  rooms: number
}

/** The registry totals (rows reported within STALE_AFTER_MS), for the caller's batch. */
export function socketTotalsStatement(env: Env, now: number): D1PreparedStatement {
  return env.DB.prepare(
    `SELECT SUM(devices) AS devices, SUM(kind = 'user') AS users, SUM(owners) AS owners, SUM(guests) AS guests, SUM(kind = 'live') AS rooms
       FROM socket_counts WHERE updated_at > ?1`,
  ).bind(now - STALE_AFTER_MS)
}

export function socketTotals(row: Totals | undefined) {
  const userSockets = row?.devices ?? 0
  const liveOwners = row?.owners ?? 0
  const liveGuests = row?.guests ?? 0
  return { connected: userSockets + liveOwners + liveGuests, userSockets, liveOwners, liveGuests, usersConnected: row?.users ?? 0, liveRooms: row?.rooms ?? 0 }
}

/**
 * Sockets by kind from the registry that every user hub and live room reports into (see
 * realtime/socket-counts.ts), and the live sessions with the most viewers: one D1 batch.
 */
export async function socketStats(env: Env): Promise<SocketStatsDto> {
  const now = Date.now()
  const [totals, top] = await env.DB.batch<unknown>([
    socketTotalsStatement(env, now),
    env.DB.prepare(
      `SELECT c.target_id AS sessionId, l.title, c.guests AS viewers, c.owners
         FROM socket_counts c LEFT JOIN live_sessions l ON l.id = c.target_id
        WHERE c.kind = 'live' AND c.updated_at > ?1 ORDER BY c.guests DESC, c.owners DESC LIMIT ?2`,
    ).bind(now - STALE_AFTER_MS, TOP_LIVE),
  ])
  const t = socketTotals(totals?.results[0] as Totals | undefined)
  return {
    total: t.connected,
    userSockets: t.userSockets,
    usersConnected: t.usersConnected,
    liveOwners: t.liveOwners,
    liveGuests: t.liveGuests,
    liveRooms: t.liveRooms,
    topLiveSessions: (top?.results ?? []) as SocketStatsDto['topLiveSessions'],
    staleAfterSeconds: STALE_AFTER_MS / 1000,
    generatedAt: new Date(now).toISOString(),
  }
}
