import { sqliteTable, text } from 'drizzle-orm/sqlite-core'
import { timestamp } from './columns'

/**
 * Runtime settings changed without a deploy (see `features/settings/registry.ts` for the keys,
 * types and defaults). A key without a row has its default. `value` is JSON.
 */
export const settings = sqliteTable('settings', {
  key: text('key').primaryKey(),
  value: text('value').notNull(),
  updatedBy: text('updated_by'),
  updatedAt: timestamp('updated_at').notNull(),
})
