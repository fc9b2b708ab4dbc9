import { index, integer, primaryKey, sqliteTable, text, uniqueIndex } from 'drizzle-orm/sqlite-core'
import { timestamp } from './columns'
import { users } from './accounts'

export const LIVE_SESSION_STATUSES = ['draft', 'live', 'ended'] as const
export const LIVE_MODERATIONS = ['auto', 'manual'] as const
export const DOWNLOAD_POLICIES = ['none', 'preview', 'original'] as const
export const LIVE_PHOTO_STATUSES = ['pending', 'approved', 'hidden'] as const

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
    status: text('status', { enum: LIVE_SESSION_STATUSES }).notNull().default('live'),
    /** Null: an open session, no code needed. */
    accessCode: text('access_code'),
    /** Bumped when the code changes: viewer tokens carry it, so old ones stop working. */
    codeVersion: integer('code_version').notNull().default(1),
    moderation: text('moderation', { enum: LIVE_MODERATIONS }).notNull().default('auto'),
    watermark: text('watermark', { mode: 'json' }).$type<{ key: string; position: string; opacity: number; scale: number }>(),
    downloadPolicy: text('download_policy', { enum: DOWNLOAD_POLICIES }).notNull().default('preview'),
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
    status: text('status', { enum: LIVE_PHOTO_STATUSES }).notNull(),
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
