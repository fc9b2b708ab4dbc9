import { and, desc, eq, gte, lt, type SQL } from 'drizzle-orm'
import { type CreditPackage, type Order, orders } from '../../db/schema'
import type { AuthUser, Db } from '../../env'
import { ApiError, badRequest, configurationError, conflict, notFound, upstreamError } from '../../lib/errors'
import { newId, sha256Hex } from '../../lib/ids'
import { errorText, log } from '../../lib/logger'
import { pageRows } from '../../lib/pager'
import { hitRateLimits, RATE_LIMITS } from '../../lib/rate-limit'
import { assertProviderAvailable, createPayment, type ProviderName } from './gateway'
import { findPackage } from './packages'
import type { OrderDto } from './schemas'

/** The store owns `orders`: created here, paid only by settle.ts, expired by the cron. */

/** How long an order can be paid (WeChat gets it as `time_expire`). */
export const ORDER_LIFETIME_MS = 30 * 60 * 1000

export function toOrderDto(o: Order): OrderDto {
  return {
    id: o.id, packageId: o.packageId, provider: o.provider, status: o.status, amountCents: o.amountCents, currency: o.currency,
    credits: o.credits, bonusCredits: o.bonusCredits, payment: o.payment ?? null, failureReason: o.failureReason,
    expiresAt: o.expiresAt.toISOString(), paidAt: o.paidAt?.toISOString() ?? null, createdAt: o.createdAt.toISOString(),
  }
}

function findByKey(db: Db, userId: string, key: string) {
  return db.query.orders.findFirst({ where: and(eq(orders.userId, userId), eq(orders.idempotencyKey, key)) })
}

export function findOrder(db: Db, id: string) {
  return db.query.orders.findFirst({ where: eq(orders.id, id) })
}

/** The caller's order, or 404 (someone else's too). */
export async function myOrder(db: Db, userId: string, id: string): Promise<Order> {
  const order = await db.query.orders.findFirst({ where: and(eq(orders.id, id), eq(orders.userId, userId)) })
  if (!order) throw notFound('Order')
  return order
}

const description = (p: CreditPackage, o: Order) => `Darkroom ${p.name}: ${o.credits + o.bonusCredits} credits`

/**
 * Creates a `pending` order for a package and registers it with the provider. The row is written
 * first (terms copied from the package, expiring in 30 minutes), then the provider is called and
 * its answer stored as `payment`; if the provider fails the order becomes `failed` with the reason
 * and its error is answered. With an `Idempotency-Key`, the same request answers the same order
 * (`replayed`); the same key with another body is 409.
 */
export async function recharge(env: Env, db: Db, user: AuthUser, body: { packageId: string; provider: ProviderName }, key: string | null) {
  const requestHash = key ? await sha256Hex(JSON.stringify([body.packageId, body.provider])) : null
  if (key) {
    const existing = await findByKey(db, user.id, key)
    if (existing) {
      if (existing.requestHash !== requestHash) throw conflict('Idempotency-Key was already used for a different request')
      return { order: existing, replayed: true }
    }
  }
  const pkg = await findPackage(db, body.packageId)
  if (!pkg || !pkg.active) throw notFound('Package')
  assertProviderAvailable(env, body.provider)
  let payerOpenId: string | undefined
  if (body.provider === 'wechat') {
    const row = await env.DB.prepare('SELECT wechat_open_id FROM users WHERE id = ?1').bind(user.id).first<{ wechat_open_id: string | null }>()
    payerOpenId = row?.wechat_open_id ?? undefined
    if (!payerOpenId) {
      throw badRequest('WeChat Pay needs your WeChat openid (users.wechat_open_id): sign in with WeChat first', [
        { field: 'provider', message: 'this account has no wechat_open_id' },
      ])
    }
  }
  const now = Date.now()
  // Each recharge calls WeChat or Stripe: cheap to abuse, so limited per user (replays are free).
  await hitRateLimits(env.DB, [
    [`recharge:${user.id}:m`, RATE_LIMITS.rechargesPerUserMinute],
    [`recharge:${user.id}:h`, RATE_LIMITS.rechargesPerUserHour],
  ], now)
  const id = newId('ord')
  const expiresAt = now + ORDER_LIFETIME_MS
  let inserted: boolean
  try {
    // The terms are copied from the package as it is at this instant, and only while it is on sale.
    const result = await env.DB.prepare(
      `INSERT INTO orders (id, user_id, package_id, provider, status, amount_cents, currency, credits, bonus_credits,
         idempotency_key, request_hash, expires_at, created_at, updated_at)
       SELECT ?1, ?2, p.id, ?4, 'pending', p.price_cents, p.currency, p.credits, p.bonus_credits, ?5, ?6, ?7, ?8, ?8
         FROM credit_packages p WHERE p.id = ?3 AND p.active = 1`,
    ).bind(id, user.id, pkg.id, body.provider, key, requestHash, expiresAt, now).run()
    inserted = (result.meta.changes ?? 0) === 1
  } catch (error) {
    // A concurrent request with the same key won the unique index: answer its order.
    if (key && /UNIQUE/i.test(String(error))) return recharge(env, db, user, body, key)
    throw error
  }
  const order = inserted ? await findOrder(db, id) : undefined
  if (!order) throw notFound('Package')
  try {
    const payment = await createPayment(env, body.provider, {
      id, amountCents: order.amountCents, currency: order.currency, description: description(pkg, order), expiresAt: order.expiresAt, payerOpenId,
    })
    await env.DB.prepare('UPDATE orders SET payment = ?2, updated_at = ?3 WHERE id = ?1').bind(id, JSON.stringify(payment), Date.now()).run()
  } catch (error) {
    // The provider's own words (which may name keys or merchant settings) go to the log only;
    // the payer and the order see what happened and that nothing was charged.
    const shown = userFacing(error, body.provider)
    log.warn('recharge: provider failed', { orderId: id, provider: body.provider, error: errorText(error) })
    await env.DB.prepare("UPDATE orders SET status = 'failed', failure_reason = ?2, updated_at = ?3 WHERE id = ?1 AND status = 'pending'")
      .bind(id, shown.message, Date.now()).run()
    throw shown
  }
  return { order: (await findOrder(db, id))!, replayed: false }
}

/** What a payer is told when the provider call of a recharge fails (details stay in the log). */
function userFacing(error: unknown, provider: ProviderName): ApiError {
  if (!(error instanceof ApiError)) return upstreamError(`The ${provider} payment could not be started; nothing was charged. Try again later.`)
  if (error.code === 'UPSTREAM_ERROR') return upstreamError(`The ${provider} payment service did not accept the order; nothing was charged. Try again later.`)
  if (error.code === 'CONFIGURATION_ERROR') return configurationError(`The ${provider} payment is not set up correctly on this server`)
  return error
}

/** A page of the user's orders, newest first. */
export async function myOrders(db: Db, userId: string, q: { page: number; limit: number; status?: Order['status'] }) {
  const where = and(eq(orders.userId, userId), q.status ? eq(orders.status, q.status) : undefined)
  const { rows, total } = await pageRows(db, orders, where, [desc(orders.createdAt), desc(orders.id)], q)
  return { items: rows.map(toOrderDto), total }
}

export interface AdminOrderFilter {
  page: number
  limit: number
  status?: Order['status']
  userId?: string
  provider?: ProviderName
  from?: string
  to?: string
}

/** Every order, filtered, newest first, with the buyer's username. */
export async function adminOrders(db: Db, q: AdminOrderFilter) {
  const conditions: Array<SQL | undefined> = [
    q.status ? eq(orders.status, q.status) : undefined,
    q.userId ? eq(orders.userId, q.userId) : undefined,
    q.provider ? eq(orders.provider, q.provider) : undefined,
    q.from ? gte(orders.createdAt, new Date(q.from)) : undefined,
    q.to ? lt(orders.createdAt, new Date(q.to)) : undefined,
  ]
  const { rows, total } = await pageRows(db, orders, and(...conditions), [desc(orders.createdAt), desc(orders.id)], q)
  const ids = [...new Set(rows.map((r) => r.userId))]
  const names = new Map<string, string>()
  if (ids.length > 0) {
    const users = await db.query.users.findMany({ where: (u, { inArray }) => inArray(u.id, ids), columns: { id: true, username: true } })
    for (const u of users) names.set(u.id, u.username)
  }
  return { items: rows.map((r) => ({ ...toOrderDto(r), userId: r.userId, username: names.get(r.userId) ?? null, providerRef: r.providerRef })), total }
}

/** Cron: pending orders past `expires_at` become `expired` (a payment that still arrives is credited). */
export async function expireOrders(env: Env, now = Date.now()): Promise<number> {
  const result = await env.DB.prepare("UPDATE orders SET status = 'expired', updated_at = ?1 WHERE status = 'pending' AND expires_at <= ?1").bind(now).run()
  return result.meta.changes ?? 0
}
