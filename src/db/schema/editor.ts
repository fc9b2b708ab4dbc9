import { sql } from 'drizzle-orm'
import { index, integer, sqliteTable, text, uniqueIndex } from 'drizzle-orm/sqlite-core'
import { timestamp } from './columns'
import { users } from './accounts'

export const CHAT_ROLES = ['user', 'assistant', 'system'] as const
export type ChatRole = (typeof CHAT_ROLES)[number]
/** `none` for user messages; assistant replies of a generation go pending → done | failed. */
export const CHAT_MESSAGE_STATUSES = ['none', 'pending', 'done', 'failed'] as const
export type ChatMessageStatus = (typeof CHAT_MESSAGE_STATUSES)[number]

/**
 * A chat session of the AI image editor. `messageCount` and `lastMessageAt` describe its current
 * messages (not deleted, not superseded by an edit) and are kept by triggers on `chat_messages`
 * (hand-written migration after the editor one), so they change in the same statement as the
 * rows and never drift. `deletedAt`: soft-deleted (hidden at once, purged by the cron after
 * 30 days, which only then releases its messages' image references). Searched through
 * `chat_sessions_fts` (rowid = `seq`) and `chat_messages_fts`.
 */
export const chatSessions = sqliteTable(
  'chat_sessions',
  {
    id: text('id').primaryKey(),
    /** Insertion order, unique and stable: the rowid of this session's row in `chat_sessions_fts`. */
    seq: integer('seq').notNull(),
    userId: text('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    title: text('title'),
    /** The user chose the title (create or rename): the first message never overwrites it. */
    titleByUser: integer('title_by_user', { mode: 'boolean' }).notNull().default(false),
    messageCount: integer('message_count').notNull().default(0),
    lastMessageAt: timestamp('last_message_at'),
    /** `COALESCE(lastMessageAt, createdAt)`, kept by the same triggers: the "newest activity first" order. */
    activityAt: timestamp('activity_at').notNull(),
    deletedAt: timestamp('deleted_at'),
    createdAt: timestamp('created_at').notNull(),
    updatedAt: timestamp('updated_at').notNull(),
  },
  (t) => [
    uniqueIndex('chat_sessions_seq_unique').on(t.seq),
    index('chat_sessions_user_activity_idx').on(t.userId, t.activityAt, t.id).where(sql`${t.deletedAt} IS NULL`),
    index('chat_sessions_deleted_idx').on(t.deletedAt).where(sql`${t.deletedAt} IS NOT NULL`),
  ],
)

/**
 * One version of a chat message. An edit inserts a new version with the same `seq` (its place in
 * the conversation), `version + 1` and `editedOf` = the id it replaces, and sets the replaced
 * row's `supersededBy`: lists show current versions (`supersededBy IS NULL`). Every row that is
 * not deleted holds one reference on each image in `imageIds` (distinct ids, images/references);
 * deleting a message deletes all its versions, releasing their references, and scrubs their
 * content. `ftsId` is the rowid of the row in `chat_messages_fts` (unique across sessions).
 */
export const chatMessages = sqliteTable(
  'chat_messages',
  {
    id: text('id').primaryKey(),
    ftsId: integer('fts_id').notNull(),
    sessionId: text('session_id')
      .notNull()
      .references(() => chatSessions.id, { onDelete: 'cascade' }),
    userId: text('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    /** Position in the session, from 1; shared by every version of one message. */
    seq: integer('seq').notNull(),
    version: integer('version').notNull().default(1),
    role: text('role', { enum: CHAT_ROLES }).notNull(),
    text: text('text').notNull().default(''),
    params: text('params', { mode: 'json' }).$type<Record<string, unknown>>(),
    /** JSON array of distinct image ids, in the order given (≤ 8). */
    imageIds: text('image_ids', { mode: 'json' }).$type<string[]>().notNull().default(sql`'[]'`),
    status: text('status', { enum: CHAT_MESSAGE_STATUSES }).notNull().default('none'),
    taskId: text('task_id'),
    error: text('error'),
    editedOf: text('edited_of'),
    supersededBy: text('superseded_by'),
    deletedAt: timestamp('deleted_at'),
    createdAt: timestamp('created_at').notNull(),
    updatedAt: timestamp('updated_at').notNull(),
  },
  (t) => [
    uniqueIndex('chat_messages_fts_id_unique').on(t.ftsId),
    uniqueIndex('chat_messages_version_unique').on(t.sessionId, t.seq, t.version),
    // Current versions in conversation order (lists, `after=`), and the latest one (lastMessageAt).
    index('chat_messages_current_idx')
      .on(t.sessionId, t.seq)
      .where(sql`${t.supersededBy} IS NULL AND ${t.deletedAt} IS NULL`),
    index('chat_messages_current_created_idx')
      .on(t.sessionId, t.createdAt)
      .where(sql`${t.supersededBy} IS NULL AND ${t.deletedAt} IS NULL`),
    index('chat_messages_task_idx').on(t.taskId).where(sql`${t.taskId} IS NOT NULL`),
  ],
)
