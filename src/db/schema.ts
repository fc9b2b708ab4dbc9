import { sql } from 'drizzle-orm'
import { index, integer, primaryKey, real, sqliteTable, text, uniqueIndex } from 'drizzle-orm/sqlite-core'

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

/**
 * One stored picture: the original in R2 plus its derivatives. `refCount` counts the records
 * that use it (the owner's own record, a task, a live photo...); R2 objects are deleted when it
 * reaches zero. `gps` is kept apart from `exif` because only the owner may ever see it.
 */
export const images = sqliteTable(
  'images',
  {
    id: text('id').primaryKey(),
    ownerId: text('owner_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    type: text('type', { enum: ['uploaded', 'generated', 'avatar', 'live'] }).notNull(),
    visibility: text('visibility', { enum: ['private', 'public'] }).notNull().default('private'),
    /** Client-chosen grouping (an AI photo session), free text. */
    sessionId: text('session_id'),
    liveSessionId: text('live_session_id'),
    taskId: text('task_id'),
    filename: text('filename'),
    mime: text('mime').notNull(),
    width: integer('width').notNull(),
    height: integer('height').notNull(),
    bytes: integer('bytes').notNull(),
    sha256: text('sha256').notNull(),
    exif: text('exif', { mode: 'json' }).$type<Record<string, unknown>>(),
    gps: text('gps', { mode: 'json' }).$type<{ latitude: number; longitude: number; altitude: number | null }>(),
    takenAt: timestamp('taken_at'),
    thumbhash: text('thumbhash'),
    originalKey: text('original_key').notNull(),
    thumbKey: text('thumb_key').notNull(),
    previewKey: text('preview_key').notNull(),
    previewReady: integer('preview_ready', { mode: 'boolean' }).notNull().default(false),
    /** Metadata-free copy of the original for anyone but the owner, made on first need. */
    cleanOriginalKey: text('clean_original_key'),
    refCount: integer('ref_count').notNull().default(1),
    deletedAt: timestamp('deleted_at'),
    createdAt: timestamp('created_at').notNull(),
    updatedAt: timestamp('updated_at').notNull(),
  },
  (t) => [
    index('images_owner_created_idx').on(t.ownerId, t.createdAt),
    index('images_owner_session_idx').on(t.ownerId, t.sessionId),
    index('images_live_session_idx').on(t.liveSessionId),
    index('images_task_idx').on(t.taskId),
  ],
)

/** Style presets of the AI photo system: a prompt template with `{placeholders}` and a price. */
export const scenes = sqliteTable(
  'scenes',
  {
    id: text('id').primaryKey(),
    name: text('name').notNull(),
    description: text('description'),
    category: text('category'),
    coverImageUrl: text('cover_image_url'),
    promptTemplate: text('prompt_template').notNull(),
    negativePrompt: text('negative_prompt'),
    defaultParams: text('default_params', { mode: 'json' }).$type<Record<string, unknown>>(),
    /** Credits per 512x512 image at up to 30 steps (see the cost formula). */
    cost: integer('cost').notNull(),
    active: integer('active', { mode: 'boolean' }).notNull().default(true),
    sortOrder: integer('sort_order').notNull().default(0),
    createdAt: timestamp('created_at').notNull(),
    updatedAt: timestamp('updated_at').notNull(),
  },
  (t) => [index('scenes_active_order_idx').on(t.active, t.sortOrder)],
)

export const TASK_STATUSES = ['queued', 'running', 'succeeded', 'failed', 'canceled'] as const
export type TaskStatus = (typeof TASK_STATUSES)[number]

export const tasks = sqliteTable(
  'tasks',
  {
    id: text('id').primaryKey(),
    userId: text('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    status: text('status', { enum: TASK_STATUSES }).notNull(),
    progress: integer('progress').notNull().default(0),
    prompt: text('prompt').notNull(),
    negativePrompt: text('negative_prompt'),
    model: text('model').notNull(),
    width: integer('width').notNull(),
    height: integer('height').notNull(),
    batchSize: integer('batch_size').notNull(),
    cfgScale: real('cfg_scale').notNull(),
    steps: integer('steps').notNull(),
    seed: integer('seed').notNull(),
    sampler: text('sampler').notNull(),
    clipSkip: integer('clip_skip').notNull(),
    sceneId: text('scene_id'),
    inputImageIds: text('input_image_ids', { mode: 'json' }).$type<string[]>(),
    resultImageIds: text('result_image_ids', { mode: 'json' }).$type<string[]>(),
    cost: integer('cost').notNull(),
    provider: text('provider').notNull(),
    providerJobId: text('provider_job_id'),
    attempts: integer('attempts').notNull().default(0),
    error: text('error'),
    idempotencyKey: text('idempotency_key'),
    requestHash: text('request_hash'),
    estimatedSeconds: integer('estimated_seconds').notNull(),
    createdAt: timestamp('created_at').notNull(),
    startedAt: timestamp('started_at'),
    finishedAt: timestamp('finished_at'),
    updatedAt: timestamp('updated_at').notNull(),
  },
  (t) => [
    index('tasks_user_created_idx').on(t.userId, t.createdAt),
    index('tasks_status_idx').on(t.status, t.updatedAt),
    uniqueIndex('tasks_user_idempotency_unique').on(t.userId, t.idempotencyKey),
    index('tasks_provider_job_idx').on(t.provider, t.providerJobId),
  ],
)

/**
 * The credit ledger: every change of a balance, with the balance after it. A task is charged
 * and refunded at most once: (task_id, reason) is unique.
 */
export const creditLedger = sqliteTable(
  'credit_ledger',
  {
    id: text('id').primaryKey(),
    userId: text('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    amount: integer('amount').notNull(),
    reason: text('reason', { enum: ['signup_bonus', 'task_charge', 'task_refund', 'admin_grant', 'purchase'] }).notNull(),
    taskId: text('task_id'),
    orderId: text('order_id'),
    balanceAfter: integer('balance_after').notNull(),
    createdAt: timestamp('created_at').notNull(),
  },
  (t) => [
    index('credit_ledger_user_created_idx').on(t.userId, t.createdAt),
    uniqueIndex('credit_ledger_task_reason_unique').on(t.taskId, t.reason),
  ],
)

/** Webhook deliveries already processed, by `webhook-id` (idempotency); pruned after 7 days. */
export const webhookEvents = sqliteTable(
  'webhook_events',
  {
    id: text('id').primaryKey(),
    provider: text('provider').notNull(),
    taskId: text('task_id'),
    receivedAt: timestamp('received_at').notNull(),
  },
  (t) => [index('webhook_events_received_idx').on(t.receivedAt)],
)

/** A photographer's event: guests with the access code watch its photos arrive live. */
export const liveSessions = sqliteTable(
  'live_sessions',
  {
    id: text('id').primaryKey(),
    ownerId: text('owner_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    title: text('title').notNull(),
    description: text('description'),
    coverImageId: text('cover_image_id'),
    startsAt: timestamp('starts_at'),
    endsAt: timestamp('ends_at'),
    status: text('status', { enum: ['draft', 'live', 'ended'] }).notNull().default('live'),
    /** Null: an open session, no code needed. */
    accessCode: text('access_code'),
    /** Bumped when the code changes: viewer tokens carry it, so old ones stop working. */
    codeVersion: integer('code_version').notNull().default(1),
    moderation: text('moderation', { enum: ['auto', 'manual'] }).notNull().default('auto'),
    watermark: text('watermark', { mode: 'json' }).$type<{ key: string; position: string; opacity: number; scale: number }>(),
    downloadPolicy: text('download_policy', { enum: ['none', 'preview', 'original'] }).notNull().default('preview'),
    /** Per-session photo counter: each photo's `seq` (the `after` cursor of photo lists). */
    photoSeq: integer('photo_seq').notNull().default(0),
    /** Set by DELETE: the session is gone for everyone at once; its LiveRoom deletes photos in pages. */
    deletedAt: timestamp('deleted_at'),
    createdAt: timestamp('created_at').notNull(),
    updatedAt: timestamp('updated_at').notNull(),
  },
  (t) => [index('live_sessions_owner_idx').on(t.ownerId, t.createdAt)],
)

export const livePhotos = sqliteTable(
  'live_photos',
  {
    id: text('id').primaryKey(),
    sessionId: text('session_id')
      .notNull()
      .references(() => liveSessions.id, { onDelete: 'cascade' }),
    imageId: text('image_id').notNull(),
    seq: integer('seq').notNull(),
    caption: text('caption'),
    status: text('status', { enum: ['pending', 'approved', 'hidden'] }).notNull(),
    featured: integer('featured', { mode: 'boolean' }).notNull().default(false),
    takenAt: timestamp('taken_at'),
    viewCount: integer('view_count').notNull().default(0),
    likeCount: integer('like_count').notNull().default(0),
    /** Guest-facing derivatives with the session's watermark (null: the plain ones). */
    guestThumbKey: text('guest_thumb_key'),
    guestPreviewKey: text('guest_preview_key'),
    createdAt: timestamp('created_at').notNull(),
    updatedAt: timestamp('updated_at').notNull(),
  },
  (t) => [
    uniqueIndex('live_photos_session_seq_unique').on(t.sessionId, t.seq),
    index('live_photos_session_status_idx').on(t.sessionId, t.status, t.seq),
  ],
)

export const livePhotoLikes = sqliteTable(
  'live_photo_likes',
  {
    photoId: text('photo_id')
      .notNull()
      .references(() => livePhotos.id, { onDelete: 'cascade' }),
    guestId: text('guest_id').notNull(),
    createdAt: timestamp('created_at').notNull(),
  },
  (t) => [primaryKey({ columns: [t.photoId, t.guestId] })],
)

/**
 * A guest of a live session: one per device (`deviceId` from verify, hashed) or per verify without one.
 * Likes and views count once per guest; a device that verified before keeps working while
 * verification is throttled.
 */
export const liveGuests = sqliteTable(
  'live_guests',
  {
    id: text('id').primaryKey(),
    sessionId: text('session_id')
      .notNull()
      .references(() => liveSessions.id, { onDelete: 'cascade' }),
    /** HMAC of the device id: never stored in clear. Null for guests that sent none. */
    deviceHash: text('device_hash'),
    nickname: text('nickname'),
    createdAt: timestamp('created_at').notNull(),
    lastSeenAt: timestamp('last_seen_at').notNull(),
  },
  (t) => [uniqueIndex('live_guests_session_device_unique').on(t.sessionId, t.deviceHash)],
)

/** One row per guest and photo: a view counts once per guest. */
export const livePhotoViews = sqliteTable(
  'live_photo_views',
  {
    photoId: text('photo_id')
      .notNull()
      .references(() => livePhotos.id, { onDelete: 'cascade' }),
    guestId: text('guest_id').notNull(),
    createdAt: timestamp('created_at').notNull(),
  },
  (t) => [primaryKey({ columns: [t.photoId, t.guestId] })],
)

/** Resumable uploads: one R2 multipart upload per big photo. */
export const liveUploads = sqliteTable('live_uploads', {
  id: text('id').primaryKey(),
  sessionId: text('session_id')
    .notNull()
    .references(() => liveSessions.id, { onDelete: 'cascade' }),
  ownerId: text('owner_id').notNull(),
  r2UploadId: text('r2_upload_id').notNull(),
  key: text('key').notNull(),
  filename: text('filename'),
  totalBytes: integer('total_bytes').notNull(),
  parts: text('parts', { mode: 'json' }).$type<Array<{ partNumber: number; etag: string; size: number }>>().notNull(),
  createdAt: timestamp('created_at').notNull(),
  updatedAt: timestamp('updated_at').notNull(),
})

export type User = typeof users.$inferSelect
export type LiveSession = typeof liveSessions.$inferSelect
export type LivePhoto = typeof livePhotos.$inferSelect
export type LiveGuest = typeof liveGuests.$inferSelect
export type Task = typeof tasks.$inferSelect
export type Scene = typeof scenes.$inferSelect
export type Image = typeof images.$inferSelect
export type Session = typeof sessions.$inferSelect
