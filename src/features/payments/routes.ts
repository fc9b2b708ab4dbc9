import { createRoute, z } from '@hono/zod-openapi'
import { createMiddleware } from 'hono/factory'
import type { AppEnv } from '../../env'
import { requireAuth } from '../../lib/auth'
import { notFound } from '../../lib/errors'
import { isLocal } from '../../lib/locality'
import { bearerAuth, errors, jsonBody, noAuth, ok, stripeSignature, wechatPaySignature } from '../../lib/openapi'
import { IdempotencyHeaders } from '../tasks/schemas'
import {
  CreditStatsSchema, DevPayParam, OrderIdParam, OrderListQuery, OrderPageSchema, OrderSchema, PackageListSchema, RechargeBody, SettleResultSchema,
} from './schemas'

const tags = ['Store']
const auth = { security: bearerAuth, middleware: [requireAuth] }

export const listPackagesRoute = createRoute({
  method: 'get', path: '/packages', tags, security: noAuth, operationId: 'listCreditPackages', summary: 'Credit packages on sale',
  description: 'Active packages sorted by `sortOrder`, then price; `providers` lists the payment providers a recharge may use now.',
  responses: { 200: ok(PackageListSchema, 'Packages') },
})

export const rechargeRoute = createRoute({
  method: 'post', path: '/recharge', tags, ...auth, operationId: 'recharge', summary: 'Buy a credit package',
  description:
    'Creates a `pending` order (price, currency, credits and bonus copied from the package; payable for 30 minutes) and registers it ' +
    'with the provider; `payment` is what the client pays with. `wechat` needs an account signed in with WeChat (400 otherwise); a ' +
    'provider that is not configured answers 503 NOT_CONFIGURED; a provider that refuses or cannot be reached answers 502 ' +
    'UPSTREAM_ERROR and the order is kept as `failed` with the reason. With `Idempotency-Key` (≤ 100 chars) the same request ' +
    'answers the same order (`Idempotent-Replayed: true`, 200); the same key with another body is 409. At most 10 recharges a ' +
    'minute and 60 an hour per user (429).',
  request: { headers: IdempotencyHeaders, body: jsonBody(RechargeBody) },
  responses: {
    201: ok(z.object({ order: OrderSchema }), 'Order created'),
    200: ok(z.object({ order: OrderSchema }), 'Replayed (same Idempotency-Key and body)'),
    ...errors(400, 401, 404, 409, 429, 500, 502, 503),
  },
})

export const listOrdersRoute = createRoute({
  method: 'get', path: '/orders', tags, ...auth, operationId: 'listOrders', summary: 'My orders',
  description: 'Newest first, optionally of one status.',
  request: { query: OrderListQuery },
  responses: { 200: ok(OrderPageSchema, 'Orders'), ...errors(400, 401) },
})

export const getOrderRoute = createRoute({
  method: 'get', path: '/orders/{id}', tags, ...auth, operationId: 'getOrder', summary: 'One of my orders',
  request: { params: OrderIdParam },
  responses: { 200: ok(z.object({ order: OrderSchema }), 'Order'), ...errors(401, 404) },
})

export const creditStatsRoute = createRoute({
  method: 'get', path: '/stats', tags: ['Credits'], ...auth, operationId: 'getCreditStats', summary: 'My credit statistics',
  description: 'From the ledger: totals, net amount per reason, and earned/spent per UTC day for the last 30 days (today last).',
  responses: { 200: ok(CreditStatsSchema, 'Statistics'), ...errors(401) },
})

const payTags = ['Payments']
const RAW = 'Read as raw bytes (at most 64 KB) and verified before anything is parsed.'

const rawJson = (schema: Record<string, unknown>, example: unknown) => ({ required: true, content: { 'application/json': { schema, example } } })

const WechatFail = z
  .object({ code: z.literal('FAIL'), message: z.string() })
  .openapi('WechatPayFail', { example: { code: 'FAIL', message: 'Wechatpay-Signature does not verify' } })
const fail = (description: string) => ({ description, content: { 'application/json': { schema: WechatFail } } })

export const wechatNotifyRoute = createRoute({
  method: 'post', path: '/wechat/notify', tags: payTags, security: wechatPaySignature, operationId: 'wechatPayNotify', summary: 'WeChat Pay notification',
  description:
    `WeChat Pay API v3 calls this (the \`notify_url\` of every prepay order). ${RAW} The signature (platform key, serial, ±5 minutes) ` +
    'is checked, the AES-256-GCM resource decrypted; `TRANSACTION.SUCCESS` settles the order once. Answers WeChat\'s protocol, not the ' +
    'API envelope: **204 with no body when handled** (credited, already paid, mismatch recorded, unknown order, other events), which ' +
    'stops WeChat\'s retries; otherwise 4xx/5xx with `{"code":"FAIL","message"}` so WeChat retries (forged or stale: 401; malformed: ' +
    '400; not configured: 503).',
  request: {
    body: rawJson(
      { type: 'object', properties: { id: { type: 'string' }, create_time: { type: 'string' }, event_type: { type: 'string' }, resource_type: { type: 'string' }, summary: { type: 'string' }, resource: { type: 'object' } } },
      { id: 'EV-2018022511223320873', create_time: '2026-11-22T13:29:35+08:00', resource_type: 'encrypt-resource', event_type: 'TRANSACTION.SUCCESS', summary: '支付成功', resource: { original_type: 'transaction', algorithm: 'AEAD_AES_256_GCM', ciphertext: '…', associated_data: 'transaction', nonce: 'fdasflkja484' } },
    ),
  },
  responses: {
    204: { description: 'Handled: WeChat stops retrying' },
    400: fail('Malformed notification'),
    401: fail('Forged or stale signature'),
    413: fail('Body over 64 KB'),
    500: fail('Server problem: WeChat retries'),
    503: fail('WeChat Pay is not configured'),
  },
})

export const stripeWebhookRoute = createRoute({
  method: 'post', path: '/stripe/webhook', tags: payTags, security: stripeSignature, operationId: 'stripeWebhook', summary: 'Stripe webhook',
  description:
    `Stripe calls this. ${RAW} \`Stripe-Signature\` v1 is checked (5-minute tolerance). \`checkout.session.completed\` (or ` +
    '`async_payment_succeeded`) with `payment_status: paid` settles the order (`client_reference_id`) once; other events are ' +
    'acknowledged. 200 when handled (credited, already paid, mismatch recorded, unknown order, ignored); 400/401 otherwise so Stripe retries.',
  request: {
    body: rawJson(
      { type: 'object', properties: { id: { type: 'string' }, type: { type: 'string' }, data: { type: 'object' } } },
      { id: 'evt_1', type: 'checkout.session.completed', data: { object: { id: 'cs_test_a1b2', client_reference_id: 'ord_01jd2c5k', payment_status: 'paid', amount_total: 600, currency: 'cny' } } },
    ),
  },
  responses: {
    200: ok(z.object({ received: z.literal(true), result: z.string().openapi({ example: 'credited' }) }).openapi('PaymentAck'), 'Handled'),
    ...errors(400, 401, 413, 500, 503),
  },
})

/** The dev provider exists only in development and test: 404 elsewhere, before the token is checked. */
const devOnly = createMiddleware<AppEnv>(async (c, next) => {
  if (!isLocal(c.env)) throw notFound()
  await next()
})

export const devPayRoute = createRoute({
  method: 'post', path: '/dev/{orderId}/pay', tags: payTags, security: bearerAuth, middleware: [devOnly, requireAuth], operationId: 'devPay', summary: 'Pay an order (development only)',
  description:
    'Only where ENVIRONMENT is development or test (404 anywhere else, before anything is checked). Settles a `dev` order of the ' +
    'caller (bearer token of the order\'s owner: the link is not a bearer of value by itself) through the same settle function as ' +
    'the real providers. `result`: credited | already_paid | not_payable. Others\' orders and non-dev orders: 404.',
  request: { params: DevPayParam },
  responses: { 200: ok(SettleResultSchema, 'Settled'), ...errors(401, 404) },
})
