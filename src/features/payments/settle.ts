import { errorText, log } from '../../lib/logger'
import { publishBalance, purchaseStatements } from '../credits/service'
import type { ProviderName } from './gateway'

/** What a provider (or the dev link) reports as paid. */
export interface SettledPayment {
  orderId: string
  provider: ProviderName
  amountCents: number
  /** Upper-case ISO 4217. */
  currency: string
  providerRef: string
}

/**
 * A Stripe payment counts for an order only when it is the Checkout Session this server created
 * for it (stored in `payment.sessionId` at recharge): a Payment Link or another session that
 * merely carries the order id in `client_reference_id` can neither pay nor fail the order.
 */
const OUR_SESSION = "(provider <> 'stripe' OR json_extract(payment, '$.sessionId') = ?5)"

/**
 * - `credited`: this call paid the order and credited the user.
 * - `already_paid`: paid before (a replay, a concurrent delivery): nothing more credited.
 * - `mismatch`: amount or currency differ from the order: nothing credited, the order is now `failed`.
 * - `unknown`: no such order for this provider: nothing credited.
 * - `not_payable`: the order is `failed` or `refunded`: never credited.
 */
export type SettleResult = 'credited' | 'already_paid' | 'mismatch' | 'unknown' | 'not_payable'

/**
 * The ONE way an order becomes paid, for every provider. One D1 batch: the order moves to `paid`
 * only from `pending` or `expired` (a late payment still counts: it was paid) and only when the
 * paid amount and currency equal the order's; then the `purchase` ledger row and the balance
 * (credits feature, at most once per order); then, when amount or currency differ, the order is
 * marked `failed` with the reason. Whatever arrives twice, concurrently or late, one batch wins
 * the status guard and the unique (order_id, reason) ledger row: the user is credited once.
 */
export async function settleOrder(env: Env, payment: SettledPayment, now = Date.now()): Promise<SettleResult> {
  const { orderId, provider, amountCents, currency, providerRef } = payment
  const reason = `Paid ${amountCents} ${currency} does not match the order`
  const [, credit, , mismatch] = await env.DB.batch([
    env.DB.prepare(
      `UPDATE orders SET status = 'paid', provider_ref = ?5, paid_at = ?6, updated_at = ?6, failure_reason = NULL
        WHERE id = ?1 AND provider = ?2 AND status IN ('pending', 'expired') AND amount_cents = ?3 AND currency = ?4 AND ${OUR_SESSION}`,
    ).bind(orderId, provider, amountCents, currency, providerRef, now),
    ...purchaseStatements(env, orderId, now),
    env.DB.prepare(
      `UPDATE orders SET status = 'failed', failure_reason = ?5 || ' (' || amount_cents || ' ' || currency || ')', provider_ref = ?6, updated_at = ?7
        WHERE id = ?1 AND provider = ?2 AND status IN ('pending', 'expired') AND (amount_cents <> ?3 OR currency <> ?4) AND ${OUR_SESSION.replace('?5', '?6')}`,
    ).bind(orderId, provider, amountCents, currency, reason, providerRef, now),
  ])
  if ((credit?.meta.changes ?? 0) === 1) {
    const order = await env.DB.prepare('SELECT user_id FROM orders WHERE id = ?1').bind(orderId).first<{ user_id: string }>()
    if (order) {
      try {
        await publishBalance(env, order.user_id)
      } catch (error) {
        // The credit is in D1; a socket that missed the event reads the balance on its next request.
        log.warn('credits.changed not delivered', { orderId, error: errorText(error) })
      }
    }
    log.info('order paid', { orderId, provider })
    return 'credited'
  }
  if ((mismatch?.meta.changes ?? 0) === 1) {
    log.warn('payment does not match its order', { orderId, provider, amountCents, currency })
    return 'mismatch'
  }
  const order = await env.DB.prepare('SELECT status FROM orders WHERE id = ?1 AND provider = ?2').bind(orderId, provider).first<{ status: string }>()
  if (!order) {
    log.warn('payment for an unknown order', { orderId, provider })
    return 'unknown'
  }
  if (order.status === 'paid') return 'already_paid'
  if (order.status === 'failed' || order.status === 'refunded') {
    // Real money arrived for an order we will not credit (after a mismatch, or a failed
    // recharge): keep the provider's reference on the order, where admins see it, for a refund.
    await env.DB.prepare(
      `UPDATE orders SET failure_reason = COALESCE(failure_reason, '') || ?3, updated_at = ?5
        WHERE id = ?1 AND provider = ?2 AND instr(COALESCE(failure_reason, ''), ?4) = 0`,
    ).bind(orderId, provider, ` | paid later: ${amountCents} ${currency} (${providerRef})`, providerRef, now).run()
    log.error('payment for an order that cannot be paid: refund it', { orderId, provider, status: order.status })
  } else {
    log.warn('payment that does not belong to this order', { orderId, provider, status: order.status })
  }
  return 'not_payable'
}
