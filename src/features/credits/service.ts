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
    creditByLedgerRow(env, ledgerId, now),
  ]
}

/**
 * An admin's grant (`admin_grant`, amount > 0) or adjustment (`admin_adjust`, either sign):
 * [ledger row, balance change]. The ledger row is written first and only when the user exists
 * and the balance stays ≥ 0 (a debit larger than the balance writes nothing); the balance moves
 * by exactly the row this batch wrote. The first result's `changes` is 0 when nothing changed.
 * Put an audit row with `onlyIfPreviousChanged` right after the FIRST statement if you need one.
 */
export function adminCreditStatements(
  env: Env,
  change: { userId: string; amount: number; reason: 'admin_grant' | 'admin_adjust'; note?: string | null; now: number },
): [D1PreparedStatement, D1PreparedStatement] {
  const { userId, amount, reason, note, now } = change
  const ledgerId = newId('cl')
  return [
    env.DB.prepare(
      `INSERT INTO credit_ledger (id, user_id, amount, reason, note, balance_after, created_at)
       SELECT ?1, id, ?3, ?4, ?5, credits + ?3, ?6 FROM users WHERE id = ?2 AND credits + ?3 >= 0`,
    ).bind(ledgerId, userId, amount, reason, note ?? null, now),
    creditByLedgerRow(env, ledgerId, now),
  ]
}

/** Moves a balance by the amount of one ledger row written earlier in the same batch (nothing when the row is absent). */
function creditByLedgerRow(env: Env, ledgerId: string, now: number): D1PreparedStatement {
  return env.DB.prepare(
    `UPDATE users SET credits = credits + (SELECT amount FROM credit_ledger WHERE id = ?1), updated_at = ?2
      WHERE id = (SELECT user_id FROM credit_ledger WHERE id = ?1)`,
  ).bind(ledgerId, now)
}

/**
 * The credit of a paid order, for the batch that moves the order to `paid`: [ledger row,
 * balance change]. Put them AFTER the guarded status update. The row (`purchase`, credits +
 * bonus) is written only while the order is `paid`, at most once per order ((order_id, reason)
 * is unique), and the balance moves only by the row this batch wrote, so a replayed or
 * concurrent settlement credits nothing. The first result's `changes` tells whether this batch credited.
 */
export function purchaseStatements(env: Env, orderId: string, now: number): [D1PreparedStatement, D1PreparedStatement] {
  const ledgerId = newId('cl')
  return [
    env.DB.prepare(
      `INSERT INTO credit_ledger (id, user_id, amount, reason, order_id, balance_after, created_at)
       SELECT ?1, o.user_id, o.credits + o.bonus_credits, 'purchase', o.id, u.credits + o.credits + o.bonus_credits, ?3
         FROM orders o JOIN users u ON u.id = o.user_id
        WHERE o.id = ?2 AND o.status = 'paid'
       ON CONFLICT DO NOTHING`,
    ).bind(ledgerId, orderId, now),
    creditByLedgerRow(env, ledgerId, now),
  ]
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
    note: r.note,
    balanceAfter: r.balanceAfter,
    createdAt: r.createdAt.toISOString(),
  }))
  return { items, total }
}
