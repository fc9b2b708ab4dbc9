import { creditLedger } from '../../db/schema'
import type { Db } from '../../env'
import { newId } from '../../lib/ids'
import { batchReleasingTaskInputs } from '../images/references'
import { config } from '../../lib/config'

/** Credits a new account starts with (`SIGNUP_CREDITS`, default 100). */
export function signupCredits(env: Env): number {
  return config(env).SIGNUP_CREDITS
}

/**
 * The ledger insert that records a new account's starting credits: the caller puts it in the
 * same batch as (or right after) the user row, which is created with `credits` as its balance.
 */
export function signupLedgerInsert(db: Db, userId: string, credits: number, now: Date) {
  return db.insert(creditLedger).values({ id: newId('cl'), userId, amount: credits, reason: 'signup_bonus', balanceAfter: credits, createdAt: now })
}

export type TaskEnd = 'failed' | 'canceled'

/**
 * Ends a task as failed or canceled and refunds its charge, in one D1 batch:
 * the status change only applies to a queued or running task, the refund row is unique per
 * task, and the balance only moves if that row was written. Calling it twice, or racing a
 * completion, refunds at most once. The same batch releases the task's input images (once).
 * Returns whether this call ended the task and refunded.
 */
export async function endTaskWithRefund(env: Env, taskId: string, status: TaskEnd, error: string | null) {
  const now = Date.now()
  const ledgerId = newId('cl')
  const [ended, refunded] = await batchReleasingTaskInputs(env, taskId, ['queued', 'running'], [
    env.DB.prepare(
      `UPDATE tasks SET status = ?2, error = ?3, finished_at = ?4, updated_at = ?4
        WHERE id = ?1 AND status IN ('queued', 'running')`,
    ).bind(taskId, status, error, now),
    env.DB.prepare(
      `INSERT INTO credit_ledger (id, user_id, amount, reason, task_id, balance_after, created_at)
       SELECT ?1, t.user_id, t.cost, 'task_refund', t.id, u.credits + t.cost, ?3
         FROM tasks t JOIN users u ON u.id = t.user_id
        WHERE t.id = ?2 AND t.status IN ('failed', 'canceled') AND t.cost > 0
          AND EXISTS (SELECT 1 FROM credit_ledger c WHERE c.task_id = t.id AND c.reason = 'task_charge')
       ON CONFLICT DO NOTHING`,
    ).bind(ledgerId, taskId, now),
    env.DB.prepare(
      `UPDATE users SET credits = credits + (SELECT amount FROM credit_ledger WHERE id = ?1), updated_at = ?2
        WHERE id = (SELECT user_id FROM credit_ledger WHERE id = ?1)`,
    ).bind(ledgerId, now),
  ])
  return { ended: (ended?.meta.changes ?? 0) > 0, refunded: (refunded?.meta.changes ?? 0) > 0 }
}

export async function balanceOf(env: Env, userId: string): Promise<number> {
  const row = await env.DB.prepare('SELECT credits FROM users WHERE id = ?1').bind(userId).first<{ credits: number }>()
  return row?.credits ?? 0
}
