import { integer } from 'drizzle-orm/sqlite-core'

/** Timestamps are stored as integer milliseconds since the epoch. */
export const timestamp = (name: string) => integer(name, { mode: 'timestamp_ms' })
