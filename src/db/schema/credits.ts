import { index, integer, sqliteTable, text, uniqueIndex } from 'drizzle-orm/sqlite-core'
import { timestamp } from './columns'
import { users } from './accounts'

export const LEDGER_REASONS = ['signup_bonus', 'task_charge', 'task_refund', 'admin_grant', 'admin_adjust', 'purchase'] as const

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
    reason: text('reason', { enum: LEDGER_REASONS }).notNull(),
    taskId: text('task_id'),
    orderId: text('order_id'),
    /** Why an admin changed the balance (admin_grant, admin_adjust); null otherwise. */
    note: text('note'),
    balanceAfter: integer('balance_after').notNull(),
    createdAt: timestamp('created_at').notNull(),
  },
  (t) => [
    index('credit_ledger_user_created_idx').on(t.userId, t.createdAt),
    uniqueIndex('credit_ledger_task_reason_unique').on(t.taskId, t.reason),
    /** An order is credited at most once. */
    uniqueIndex('credit_ledger_order_reason_unique').on(t.orderId, t.reason),
  ],
)
