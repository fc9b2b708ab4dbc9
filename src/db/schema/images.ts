import { index, integer, sqliteTable, text } from 'drizzle-orm/sqlite-core'
import { timestamp } from './columns'
import { users } from './accounts'

export const IMAGE_TYPES = ['uploaded', 'generated', 'avatar', 'live'] as const
export const IMAGE_VISIBILITIES = ['private', 'public'] as const

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
    type: text('type', { enum: IMAGE_TYPES }).notNull(),
    visibility: text('visibility', { enum: IMAGE_VISIBILITIES }).notNull().default('private'),
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
