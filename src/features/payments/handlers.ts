import { notFound } from '../../lib/errors'
import { createRouter, paginate } from '../../lib/openapi'
import { creditStats } from '../credits/stats'
import {
  adminCreatePackageRoute, adminDeletePackageRoute, adminListOrdersRoute, adminListPackagesRoute, adminUpdatePackageRoute,
} from './admin-routes'
import { availableProviders } from './gateway'
import { handleNotification } from './notify'
import { adminOrders, findOrder, myOrder, myOrders, recharge, toOrderDto } from './orders'
import { activePackages, allPackages, createPackage, deletePackage, toAdminPackageDto, toPackageDto, updatePackage } from './packages'
import {
  creditStatsRoute, devPayRoute, getOrderRoute, listOrdersRoute, listPackagesRoute, rechargeRoute, stripeWebhookRoute, wechatNotifyRoute,
} from './routes'
import { settleOrder } from './settle'

/** The store under `/api/credits`: packages, recharge, orders, statistics. */
export const storeRoutes = createRouter()
  .openapi(listPackagesRoute, async (c) => {
    const rows = await activePackages(c.var.db)
    return c.json({ success: true as const, data: { items: rows.map(toPackageDto), providers: availableProviders(c.env) } }, 200)
  })
  .openapi(rechargeRoute, async (c) => {
    const key = c.req.valid('header')['idempotency-key'] ?? null
    const { order, replayed } = await recharge(c.env, c.var.db, c.var.user, c.req.valid('json'), key)
    if (replayed) {
      c.header('Idempotent-Replayed', 'true')
      return c.json({ success: true as const, data: { order: toOrderDto(order) } }, 200)
    }
    return c.json({ success: true as const, data: { order: toOrderDto(order) } }, 201)
  })
  .openapi(listOrdersRoute, async (c) => {
    const query = c.req.valid('query')
    const { items, total } = await myOrders(c.var.db, c.var.user.id, query)
    return c.json({ success: true as const, data: paginate(items, total, query.page, query.limit) }, 200)
  })
  .openapi(getOrderRoute, async (c) => {
    const order = await myOrder(c.var.db, c.var.user.id, c.req.valid('param').id)
    return c.json({ success: true as const, data: { order: toOrderDto(order) } }, 200)
  })
  .openapi(creditStatsRoute, async (c) => c.json({ success: true as const, data: await creditStats(c.env, c.var.user.id) }, 200))

/** Provider notifications and the dev pay link under `/api/payments` (open during maintenance). */
export const paymentRoutes = createRouter()
  .openapi(wechatNotifyRoute, async (c) => {
    const outcome = await handleNotification(c.env, 'wechat', c.req.raw)
    // WeChat's protocol: an empty 2xx stops its retries; any other answer carries {code: FAIL, message}.
    if (outcome.handled) return c.body(null, 204)
    const status = ([400, 401, 413, 503] as const).find((s) => s === outcome.status) ?? 500
    return c.json({ code: 'FAIL' as const, message: outcome.message }, status)
  })
  .openapi(stripeWebhookRoute, async (c) => {
    const outcome = await handleNotification(c.env, 'stripe', c.req.raw)
    if (outcome.handled) return c.json({ success: true as const, data: { received: true as const, result: outcome.result } }, 200)
    // The API's error envelope and status (401 forged/stale, 400 malformed, 503 not configured): Stripe retries.
    throw outcome.error
  })
  .openapi(devPayRoute, async (c) => {
    const order = await findOrder(c.var.db, c.req.valid('param').orderId)
    if (!order || order.userId !== c.var.user.id || order.provider !== 'dev') throw notFound('Order')
    const result = await settleOrder(c.env, { orderId: order.id, provider: 'dev', amountCents: order.amountCents, currency: order.currency, providerRef: `dev_${order.id}` })
    const after = await findOrder(c.var.db, order.id)
    return c.json({ success: true as const, data: { orderId: order.id, result, order: after ? toOrderDto(after) : null } }, 200)
  })

/** Admin packages and orders under `/api/admin`. */
export const adminStoreRoutes = createRouter()
  .openapi(adminListPackagesRoute, async (c) => c.json({ success: true as const, data: { items: (await allPackages(c.var.db)).map(toAdminPackageDto) } }, 200))
  .openapi(adminCreatePackageRoute, async (c) => {
    const row = await createPackage(c.env, c.var.user.id, c.req.valid('json'))
    return c.json({ success: true as const, data: { package: toAdminPackageDto(row) } }, 201)
  })
  .openapi(adminUpdatePackageRoute, async (c) => {
    const row = await updatePackage(c.env, c.var.db, c.var.user.id, c.req.valid('param').id, c.req.valid('json'))
    return c.json({ success: true as const, data: { package: toAdminPackageDto(row) } }, 200)
  })
  .openapi(adminDeletePackageRoute, async (c) => {
    const result = await deletePackage(c.env, c.var.db, c.var.user.id, c.req.valid('param').id)
    return c.json({ success: true as const, data: result, message: result.deleted ? 'Package deleted' : 'Package has orders: deactivated, not deleted' }, 200)
  })
  .openapi(adminListOrdersRoute, async (c) => {
    const query = c.req.valid('query')
    const { items, total } = await adminOrders(c.var.db, query)
    return c.json({ success: true as const, data: paginate(items, total, query.page, query.limit) }, 200)
  })
