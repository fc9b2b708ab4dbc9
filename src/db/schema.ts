import { sql } from 'drizzle-orm'
import { index, integer, sqliteTable, text, uniqueIndex } from 'drizzle-orm/sqlite-core'

/** Timestamps are stored as integer milliseconds since the epoch. */
const timestamp = (name: string) => integer(name, { mode: 'timestamp_ms' })

export const users = sqliteTable(
  'users',
  {
    id: text('id').primaryKey(),
    username: text('username').notNull(),
    email: text('email'),
    passwordHash: text('password_hash'),
    role: text('role', { enum: ['user', 'admin'] }).notNull().default('user'),
    credits: integer('credits').notNull().default(0),
    bio: text('bio'),
    website: text('website'),
    location: text('location'),
    avatarUrl: text('avatar_url'),
    avatarKey: text('avatar_key'),
    wechatOpenId: text('wechat_open_id'),
    failedLogins: integer('failed_logins').notNull().default(0),
    lockedUntil: timestamp('locked_until'),
    lastLoginAt: timestamp('last_login_at'),
    createdAt: timestamp('created_at').notNull(),
    updatedAt: timestamp('updated_at').notNull(),
  },
  (t) => [
    uniqueIndex('users_username_unique').on(sql`lower(${t.username})`),
    uniqueIndex('users_email_unique').on(sql`lower(${t.email})`),
    uniqueIndex('users_wechat_open_id_unique').on(t.wechatOpenId),
  ],
)

/**
 * A sign-in on one device: the refresh-token family. Access tokens carry its id (`sid`), so
 * revoking the session makes its access tokens stop working at once.
 */
export const sessions = sqliteTable(
  'sessions',
  {
    id: text('id').primaryKey(),
    userId: text('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    rememberMe: integer('remember_me', { mode: 'boolean' }).notNull().default(false),
    userAgent: text('user_agent'),
    createdAt: timestamp('created_at').notNull(),
    expiresAt: timestamp('expires_at').notNull(),
    revokedAt: timestamp('revoked_at'),
    revokedReason: text('revoked_reason'),
  },
  (t) => [index('sessions_user_idx').on(t.userId)],
)

/** Opaque refresh tokens, stored as SHA-256 hashes. `usedAt` marks a rotated token. */
export const refreshTokens = sqliteTable(
  'refresh_tokens',
  {
    tokenHash: text('token_hash').primaryKey(),
    sessionId: text('session_id')
      .notNull()
      .references(() => sessions.id, { onDelete: 'cascade' }),
    createdAt: timestamp('created_at').notNull(),
    usedAt: timestamp('used_at'),
    /** Hash of the token this one was rotated into (guards concurrent refreshes). */
    replacedBy: text('replaced_by'),
  },
  (t) => [index('refresh_tokens_session_idx').on(t.sessionId)],
)

/** Fixed-window counters for the product's exact rate limits (login, register, access codes). */
export const rateLimits = sqliteTable('rate_limits', {
  key: text('key').primaryKey(),
  windowStart: integer('window_start').notNull(),
  count: integer('count').notNull(),
})

export type User = typeof users.$inferSelect
export type Session = typeof sessions.$inferSelect
