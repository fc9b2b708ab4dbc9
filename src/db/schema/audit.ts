import { index, sqliteTable, text } from 'drizzle-orm/sqlite-core'
import { timestamp } from './columns'

/**
 * Who changed what, and when: one row per admin change (a setting, a review, a user). Owned by
 * `features/audit`, append-only (no route updates or deletes a row). `before` and `after` are
 * JSON of the changed fields. `actorId` has no foreign key on purpose: the log outlives accounts.
 */
export const auditLog = sqliteTable(
  'audit_log',
  {
    id: text('id').primaryKey(),
    actorId: text('actor_id'),
    /** `<area>.<verb>`, e.g. `settings.update`, `works.review`, `users.update`. */
    action: text('action').notNull(),
    targetType: text('target_type').notNull(),
    targetId: text('target_id').notNull(),
    before: text('before', { mode: 'json' }).$type<unknown>(),
    after: text('after', { mode: 'json' }).$type<unknown>(),
    createdAt: timestamp('created_at').notNull(),
  },
  (t) => [index('audit_log_created_idx').on(t.createdAt), index('audit_log_target_idx').on(t.targetType, t.targetId)],
)
