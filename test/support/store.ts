import { createExecutionContext, env, waitOnExecutionContext } from 'cloudflare:test'
import { createApp } from '../../src/app'
import { freshIp } from '../helpers'
import { type RsaPair, rsaPair, stripeV1, wechatResource, wechatSignedHeaders } from './payments'

/**
 * The store's test support: packages written straight into D1, a WeChat Pay configuration made of
 * fresh RSA keys (tests play WeChat with the platform private key), and a caller that keeps
 * non-JSON answers (WeChat's 204).
 */

export interface AppAnswer {
  res: Response
  status: number
  text: string
  body: unknown
}

/** Calls a fresh app with some bindings replaced; keeps the raw text (204s have none). */
export async function appCall(
  overrides: Partial<Env>,
  method: string,
  path: string,
  body?: unknown,
  opts: { token?: string; headers?: Record<string, string> } = {},
): Promise<AppAnswer> {
  const headers = new Headers(opts.headers)
  headers.set('CF-Connecting-IP', freshIp())
  if (opts.token) headers.set('Authorization', `Bearer ${opts.token}`)
  let payload: BodyInit | undefined
  if (typeof body === 'string') payload = body
  else if (body !== undefined) {
    headers.set('Content-Type', 'application/json')
    payload = JSON.stringify(body)
  }
  const ctx = createExecutionContext()
  const res = await createApp().fetch(new Request(`http://localhost${path}`, { method, headers, body: payload }), { ...env, ...overrides }, ctx)
  await waitOnExecutionContext(ctx)
  const text = await res.text()
  let parsed: unknown = null
  try {
    parsed = text ? JSON.parse(text) : null
  } catch {
    parsed = null
  }
  return { res, status: res.status, text, body: parsed }
}

let packageCounter = 0

/** A package written straight into D1 (the admin routes have their own tests). */
export async function insertPackage(seed: Partial<{ credits: number; bonusCredits: number; priceCents: number; currency: string; sortOrder: number; active: boolean; name: string }> = {}) {
  packageCounter += 1
  const id = `pkg_test_${packageCounter}_${crypto.randomUUID().slice(0, 8)}`
  const p = { credits: 60, bonusCredits: 6, priceCents: 600, currency: 'CNY', sortOrder: 0, active: true, name: `Pack ${packageCounter}`, ...seed }
  const now = Date.now()
  await env.DB.prepare(
    `INSERT INTO credit_packages (id, name, credits, bonus_credits, price_cents, currency, badge, sort_order, active, created_at, updated_at)
     VALUES (?1, ?2, ?3, ?4, ?5, ?6, NULL, ?7, ?8, ?9, ?9)`,
  ).bind(id, p.name, p.credits, p.bonusCredits, p.priceCents, p.currency, p.sortOrder, p.active ? 1 : 0, now).run()
  return { id, ...p }
}

export const WECHAT = {
  appId: 'wx-test-app',
  mchId: '1900009191',
  serialNo: '3775B6A45ACD588826D15E583A95F5DD12345678',
  platformSerial: 'PUB_KEY_ID_0114232134912410000000000000',
  apiV3Key: '0123456789abcdefghijABCDEFGHIJ01',
  apiBase: 'https://wechatpay.test',
}

export interface WechatWorld {
  merchant: RsaPair
  platform: RsaPair
  /** Bindings that make WeChat Pay available (plus PUBLIC_BASE_URL for the notify URL). */
  env: Partial<Env>
}

export async function wechatWorld(): Promise<WechatWorld> {
  const [merchant, platform] = await Promise.all([rsaPair(), rsaPair()])
  return {
    merchant,
    platform,
    env: {
      PUBLIC_BASE_URL: 'https://darkroom.test',
      WECHAT_PAY_MCH_ID: WECHAT.mchId,
      WECHAT_PAY_SERIAL_NO: WECHAT.serialNo,
      WECHAT_PAY_PRIVATE_KEY: merchant.privateKeyPem,
      WECHAT_PAY_PLATFORM_PUBLIC_KEY: platform.publicKeyPem,
      WECHAT_PAY_PLATFORM_SERIAL: WECHAT.platformSerial,
      WECHAT_PAY_API_V3_KEY: WECHAT.apiV3Key,
      WECHAT_PAY_API_BASE: WECHAT.apiBase,
    },
  }
}

/** WeChat's prepay answer, signed with the platform key as WeChat signs its answers. */
export async function wechatPrepayAnswer(world: WechatWorld, prepayId = `wx${crypto.randomUUID().replace(/-/g, '').slice(0, 28)}`) {
  const body = JSON.stringify({ prepay_id: prepayId })
  return new Response(body, { status: 200, headers: await wechatSignedHeaders(world.platform.privateKey, body, { serial: WECHAT.platformSerial }) })
}

/** A WeChat TRANSACTION.SUCCESS notification for `orderId`: [body, signed headers]. */
export async function wechatNotification(
  world: WechatWorld,
  tx: { orderId: string; total: number; currency?: string; transactionId?: string },
  opts: { key?: CryptoKey; timestamp?: number; event?: string } = {},
): Promise<[string, Record<string, string>]> {
  const transaction = {
    appid: WECHAT.appId, mchid: WECHAT.mchId, out_trade_no: tx.orderId, transaction_id: tx.transactionId ?? `4200${tx.orderId.slice(-20)}`,
    trade_type: 'JSAPI', trade_state: 'SUCCESS', trade_state_desc: '支付成功', success_time: '2026-11-22T13:00:00+08:00',
    payer: { openid: 'oUpF8uMuAJO_M2pxb1Q9zNjWeS6o' },
    amount: { total: tx.total, payer_total: tx.total, currency: tx.currency ?? 'CNY', payer_currency: tx.currency ?? 'CNY' },
  }
  const body = JSON.stringify({
    id: `EV-${crypto.randomUUID()}`, create_time: '2026-11-22T13:00:01+08:00', resource_type: 'encrypt-resource',
    event_type: opts.event ?? 'TRANSACTION.SUCCESS', summary: '支付成功',
    resource: await wechatResource(WECHAT.apiV3Key, JSON.stringify(transaction)),
  })
  const headers = await wechatSignedHeaders(opts.key ?? world.platform.privateKey, body, { serial: WECHAT.platformSerial, timestamp: opts.timestamp })
  return [body, headers]
}

/** The test Stripe endpoint secret (vitest.config.ts bindings). */
export const STRIPE_SECRET = 'whsec_test_darkroom_stripe_endpoint'

/** A signed `checkout.session.completed` for `orderId`: [body, headers]. */
export async function stripeCompleted(
  session: { orderId: string; amount: number; currency?: string; sessionId?: string; paymentStatus?: string },
  opts: { secret?: string; timestamp?: number; type?: string } = {},
): Promise<[string, Record<string, string>]> {
  const body = JSON.stringify({
    id: `evt_${crypto.randomUUID().replace(/-/g, '')}`,
    object: 'event',
    type: opts.type ?? 'checkout.session.completed',
    data: {
      object: {
        id: session.sessionId ?? `cs_test_${session.orderId}`, object: 'checkout.session', client_reference_id: session.orderId,
        metadata: { orderId: session.orderId }, payment_status: session.paymentStatus ?? 'paid', amount_total: session.amount,
        currency: (session.currency ?? 'cny').toLowerCase(),
      },
    },
  })
  const t = opts.timestamp ?? Math.floor(Date.now() / 1000)
  return [body, { 'content-type': 'application/json', 'stripe-signature': `t=${t},v1=${await stripeV1(opts.secret ?? STRIPE_SECRET, t, body)}` }]
}

/** Stripe's answer to a Checkout Session create. */
export function stripeSessionAnswer(orderId: string) {
  return new Response(JSON.stringify({ id: `cs_test_${orderId}`, object: 'checkout.session', url: `https://checkout.stripe.com/c/pay/cs_test_${orderId}` }), {
    status: 200, headers: { 'content-type': 'application/json' },
  })
}

/** The order row as stored. */
export function orderRow(id: string) {
  return env.DB.prepare('SELECT id, status, provider, provider_ref, failure_reason, paid_at FROM orders WHERE id = ?1').bind(id)
    .first<{ id: string; status: string; provider: string; provider_ref: string | null; failure_reason: string | null; paid_at: number | null }>()
}

/** Purchase ledger rows of an order. */
export async function purchaseRows(orderId: string): Promise<number> {
  const row = await env.DB.prepare("SELECT COUNT(*) AS n FROM credit_ledger WHERE order_id = ?1 AND reason = 'purchase'").bind(orderId).first<{ n: number }>()
  return row?.n ?? 0
}
