import { sql } from 'drizzle-orm'
import { index, integer, primaryKey, sqliteTable, text, uniqueIndex } from 'drizzle-orm/sqlite-core'
import { timestamp } from './columns'
import { users } from './accounts'
import { images } from './images'

export const REVIEW_STATUSES = ['none', 'pending', 'approved', 'rejected'] as const
export type ReviewStatus = (typeof REVIEW_STATUSES)[number]

/**
 * A picture a user keeps: one per image (a succeeded task's result, or any own image made a
 * work). The counters are kept by triggers on the rows they count (migration 0007), so they
 * change in the same statement as those rows and never drift. `publishedAt` is set when the work
 * becomes visible in the gallery (public and approved) and orders "latest"; `publishVersion`
 * changes on every publication, so public image URLs of an earlier publication stop working.
 * Searched through the `works_fts` FTS5 table (trigram tokenizer, rowid = `seq`), kept in sync
 * by triggers.
 */
export const works = sqliteTable(
  'works',
  {
    id: text('id').primaryKey(),
    /** Insertion order, unique and stable: the rowid of this work's row in `works_fts`. */
    seq: integer('seq').notNull(),
    userId: text('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    imageId: text('image_id')
      .notNull()
      .references(() => images.id),
    taskId: text('task_id'),
    title: text('title'),
    description: text('description'),
    prompt: text('prompt'),
    negativePrompt: text('negative_prompt'),
    params: text('params', { mode: 'json' }).$type<Record<string, unknown>>(),
    /** JSON array of normalised tags (lower case, trimmed, unique, ≤ 10). */
    tags: text('tags', { mode: 'json' }).$type<string[]>().notNull().default(sql`'[]'`),
    category: text('category'),
    isPublic: integer('is_public', { mode: 'boolean' }).notNull().default(false),
    reviewStatus: text('review_status', { enum: REVIEW_STATUSES }).notNull().default('none'),
    reviewReason: text('review_reason'),
    reviewedAt: timestamp('reviewed_at'),
    reviewedBy: text('reviewed_by'),
    featured: integer('featured', { mode: 'boolean' }).notNull().default(false),
    viewsCount: integer('views_count').notNull().default(0),
    likesCount: integer('likes_count').notNull().default(0),
    commentsCount: integer('comments_count').notNull().default(0),
    publishedAt: timestamp('published_at'),
    publishVersion: integer('publish_version').notNull().default(0),
    createdAt: timestamp('created_at').notNull(),
    updatedAt: timestamp('updated_at').notNull(),
  },
  (t) => [
    uniqueIndex('works_image_unique').on(t.imageId),
    uniqueIndex('works_seq_unique').on(t.seq),
    uniqueIndex('works_user_title_unique').on(t.userId, sql`lower(${t.title})`).where(sql`${t.title} IS NOT NULL`),
    index('works_user_created_idx').on(t.userId, t.createdAt),
    index('works_gallery_published_idx').on(t.publishedAt, t.id).where(sql`${t.publishedAt} IS NOT NULL`),
    index('works_gallery_likes_idx').on(t.likesCount, t.id).where(sql`${t.publishedAt} IS NOT NULL`),
    index('works_gallery_views_idx').on(t.viewsCount, t.id).where(sql`${t.publishedAt} IS NOT NULL`),
    index('works_review_idx').on(t.reviewStatus, t.updatedAt),
    index('works_task_idx').on(t.taskId),
  ],
)

/** One like per user and work. */
export const workLikes = sqliteTable(
  'work_likes',
  {
    workId: text('work_id')
      .notNull()
      .references(() => works.id, { onDelete: 'cascade' }),
    userId: text('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    createdAt: timestamp('created_at').notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.workId, t.userId] }),
    index('work_likes_user_idx').on(t.userId, t.createdAt),
    index('work_likes_recent_idx').on(t.createdAt, t.workId),
  ],
)

/**
 * Views counted once per viewer per work per UTC day. `viewer` is `u:<userId>` or `n:<hash>`
 * (an HMAC of the anonymous viewer's network; the address itself is never stored).
 */
export const workViews = sqliteTable(
  'work_views',
  {
    workId: text('work_id')
      .notNull()
      .references(() => works.id, { onDelete: 'cascade' }),
    viewer: text('viewer').notNull(),
    day: text('day').notNull(),
    createdAt: timestamp('created_at').notNull(),
  },
  (t) => [primaryKey({ columns: [t.workId, t.viewer, t.day] }), index('work_views_created_idx').on(t.createdAt)],
)

/** Plain-text comments (≤ 500 characters), newest first in lists. */
export const workComments = sqliteTable(
  'work_comments',
  {
    id: text('id').primaryKey(),
    workId: text('work_id')
      .notNull()
      .references(() => works.id, { onDelete: 'cascade' }),
    userId: text('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    text: text('text').notNull(),
    createdAt: timestamp('created_at').notNull(),
  },
  (t) => [index('work_comments_work_created_idx').on(t.workId, t.createdAt, t.id), index('work_comments_user_idx').on(t.userId, t.createdAt)],
)

/** Who follows whom (never oneself). */
export const follows = sqliteTable(
  'follows',
  {
    followerId: text('follower_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    followeeId: text('followee_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    createdAt: timestamp('created_at').notNull(),
  },
  (t) => [primaryKey({ columns: [t.followerId, t.followeeId] }), index('follows_followee_idx').on(t.followeeId, t.createdAt)],
)
