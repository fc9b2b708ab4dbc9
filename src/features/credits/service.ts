import { and, desc, eq } from 'drizzle-orm'
import { creditLedger, type LEDGER_REASONS } from '../../db/schema'
import type { Db } from '../../env'
import { newId } from '../../lib/ids'
import { pageRows } from '../../lib/pager'
import { publishToUser } from '../hub/service'
import { getSetting } from '../settings/service'

/**
 * The credits module is the only writer of `users.credits` and `credit_ledger`. Where another
 * module must move money in the same D1 batch as its own rows (a task's charge, its refund), it
 * asks for the statements here and puts them into its `db.batch()`.
 */

/** Credits a new account starts with: the `signupCredits` runtime setting (its default is `SIGNUP_CREDITS`, 100). */
export function signupCredits(env: Env): Promise<number> {
  return getSetting(env, 'signupCredits')
}

/**
 * The ledger insert that records a new account's starting credits: the caller puts it in the
 * same batch as (or right after) the user row, which is created with `credits` as its balance.
 */
export function signupLedgerInsert(db: Db, userId: string, credits: number, now: Date) {
  return db.insert(creditLedger).values({ id: newId('cl'), userId, amount: credits, reason: 'signup_bonus', balanceAfter: credits, createdAt: now })
}

/**
 * The charge of a task, for the batch that inserts the task row: [debit, ledger row]. Both only
 * apply if the task row exists when they run, so they must come AFTER the guarded task insert
 * (which only inserts when the balance covers `cost`): a short balance writes nothing at all.
 */
export function debitForTaskStatements(env: Env, charge: { userId: string; taskId: string; cost: number; now: number }): D1PreparedStatement[] {
  const { userId, taskId, cost, now } = charge
  return [
    env.DB.prepare('UPDATE users SET credits = credits - ?2, updated_at = ?3 WHERE id = ?1 AND EXISTS (SELECT 1 FROM tasks WHERE id = ?4)').bind(userId, cost, now, taskId),
    env.DB.prepare(
      `INSERT INTO credit_ledger (id, user_id, amount, reason, task_id, balance_after, created_at)
       SELECT ?1, ?2, ?3, 'task_charge', ?4, (SELECT credits FROM users WHERE id = ?2), ?5 WHERE EXISTS (SELECT 1 FROM tasks WHERE id = ?4)`,
    ).bind(newId('cl'), userId, -cost, taskId, now),
  ]
}

/**
 * The refund of a task's charge, for the batch that ends the task: [refund ledger row, credit].
 * Put them AFTER the statement that moves the task to `failed` or `canceled`: the refund row is
 * written only for a task in one of those states that was charged (`task_charge` exists) and
 * costs something, at most once ((task_id, reason) is unique), and the balance only moves by the
 * row this batch wrote. The first result's `changes` tells whether this batch refunded.
 */
export function refundTaskStatements(env: Env, taskId: string, now: number): [D1PreparedStatement, D1PreparedStatement] {
  const ledgerId = newId('cl')
  return [
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
  ]
}

/**
 * A grant (`admin_grant`, or `purchase` with an order reference): [credit, ledger row with the
 * balance after it]. The first result's `changes` is 0 when the user does not exist.
 */
export function grantStatements(env: Env, grant: { userId: string; amount: number; orderId?: string | null; now: number }): [D1PreparedStatement, D1PreparedStatement] {
  const { userId, amount, orderId, now } = grant
  return [
    env.DB.prepare('UPDATE users SET credits = credits + ?2, updated_at = ?3 WHERE id = ?1').bind(userId, amount, now),
    env.DB.prepare(
      `INSERT INTO credit_ledger (id, user_id, amount, reason, order_id, balance_after, created_at)
       SELECT ?1, id, ?3, ?4, ?5, credits, ?6 FROM users WHERE id = ?2`,
    ).bind(newId('cl'), userId, amount, orderId ? 'purchase' : 'admin_grant', orderId ?? null, now),
  ]
}

/**
 * Adds credits to an account in one batch (balance and ledger row together) and tells the
 * user's devices. Answers the new balance, or null when there is no such user.
 */
export async function grantCredits(env: Env, userId: string, amount: number, orderId?: string): Promise<number | null> {
  const [updated] = await env.DB.batch(grantStatements(env, { userId, amount, orderId, now: Date.now() }))
  if (!updated || updated.meta.changes === 0) return null
  const balance = await balanceOf(env, userId)
  await publishToUser(env, userId, { type: 'credits.changed', data: { balance } })
  return balance
}

export async function balanceOf(env: Env, userId: string): Promise<number> {
  const row = await env.DB.prepare('SELECT credits FROM users WHERE id = ?1').bind(userId).first<{ credits: number }>()
  return row?.credits ?? 0
}

/** Tells the user's devices their balance after a change made in someone else's batch. */
export async function publishBalance(env: Env, userId: string): Promise<void> {
  await publishToUser(env, userId, { type: 'credits.changed', data: { balance: await balanceOf(env, userId) } })
}

/** A page of the user's ledger, newest first, optionally of one reason. */
export async function ledgerPage(db: Db, userId: string, query: { page: number; limit: number; reason?: (typeof LEDGER_REASONS)[number] }) {
  const where = and(eq(creditLedger.userId, userId), query.reason ? eq(creditLedger.reason, query.reason) : undefined)
  const { rows, total } = await pageRows(db, creditLedger, where, [desc(creditLedger.createdAt), desc(creditLedger.id)], query)
  const items = rows.map((r) => ({
    id: r.id,
    amount: r.amount,
    reason: r.reason,
    taskId: r.taskId,
    orderId: r.orderId,
    balanceAfter: r.balanceAfter,
    createdAt: r.createdAt.toISOString(),
  }))
  return { items, total }
}
