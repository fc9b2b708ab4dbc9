import { sql } from 'drizzle-orm'
import { index, integer, primaryKey, sqliteTable, text, uniqueIndex } from 'drizzle-orm/sqlite-core'
import { timestamp } from './columns'

export const USER_ROLES = ['user', 'admin'] as const

export const users = sqliteTable(
  'users',
  {
    id: text('id').primaryKey(),
    username: text('username').notNull(),
    email: text('email'),
    passwordHash: text('password_hash'),
    role: text('role', { enum: USER_ROLES }).notNull().default('user'),
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
    /** Set while an admin has disabled the account: sign-in answers 403 ACCOUNT_DISABLED. */
    disabledAt: timestamp('disabled_at'),
    disabledReason: text('disabled_reason'),
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

/**
 * Sign-in history per account and network (IPv4 address or IPv6 /64, HMAC-hashed): consecutive
 * failures drive the backoff of that pair only, and a recent success makes it a known network.
 * `subject` is a user id, or `login:<hash>` for logins that match no account (same behaviour).
 */
export const loginNetworks = sqliteTable(
  'login_networks',
  {
    subject: text('subject').notNull(),
    networkHash: text('network_hash').notNull(),
    failures: integer('failures').notNull().default(0),
    blockedUntil: integer('blocked_until'),
    lastFailureAt: integer('last_failure_at'),
    lastSuccessAt: integer('last_success_at'),
  },
  (t) => [primaryKey({ columns: [t.subject, t.networkHash] })],
)

/** Fixed-window counters for the product's exact rate limits (login, register, access codes). */
export const rateLimits = sqliteTable('rate_limits', {
  key: text('key').primaryKey(),
  windowStart: integer('window_start').notNull(),
  count: integer('count').notNull(),
})
