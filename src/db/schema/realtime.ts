import { index, integer, sqliteTable, text } from 'drizzle-orm/sqlite-core'
import { timestamp } from './columns'

export const SOCKET_ROOM_KINDS = ['user', 'live'] as const

/**
 * How many WebSockets each Durable Object holds, as it last reported (`realtime/socket-counts.ts`
 * is the only writer): one row per user hub (`user:<userId>`) or live room (`live:<sessionId>`)
 * with at least one socket; the row is deleted when the last socket closes. Written on change
 * (user hubs at once, live rooms coalesced by their presence alarm) and refreshed at the hub's
 * alarms, so a row not refreshed for a long time belongs to an object that was reset.
 */
export const socketCounts = sqliteTable(
  'socket_counts',
  {
    room: text('room').primaryKey(),
    kind: text('kind', { enum: SOCKET_ROOM_KINDS }).notNull(),
    /** The user id or live session id. */
    targetId: text('target_id').notNull(),
    /** User hubs: the user's devices. */
    devices: integer('devices').notNull().default(0),
    /** Live rooms: photographer (owner) sockets. */
    owners: integer('owners').notNull().default(0),
    /** Live rooms: guest sockets (viewers). */
    guests: integer('guests').notNull().default(0),
    updatedAt: timestamp('updated_at').notNull(),
  },
  (t) => [index('socket_counts_kind_guests_idx').on(t.kind, t.guests)],
)
