import { badRequest, notConfigured, upstreamError } from '../../../lib/errors'
import { decryptWechatResource, verifyWechatSignature, wechatAuthorization, wechatRequestPayment } from './wechat-crypto'
import type { WechatPlatformKey, WechatSigningKey } from './wechat-crypto'
import { type ClientPayment, type ConfigValues, type Fetcher, missingKeys, type PaymentOrder, type PaymentProvider, type PaymentVerdict } from './types'

export {
  decryptWechatResource,
  requestSignatureMessage,
  verifyWechatSignature,
  WECHAT_AUTH_SCHEME,
  WECHAT_TOLERANCE_SECONDS,
  wechatAuthorization,
  wechatRequestPayment,
} from './wechat-crypto'

/** WeChat Pay API v3 for mini-programs (JSAPI): prepay, `wx.requestPayment`, notifications. */

export const WECHAT_PAY_KEYS = [
  'WECHAT_APP_ID',
  'WECHAT_PAY_MCH_ID',
  'WECHAT_PAY_SERIAL_NO',
  'WECHAT_PAY_PRIVATE_KEY',
  'WECHAT_PAY_PLATFORM_PUBLIC_KEY',
  'WECHAT_PAY_PLATFORM_SERIAL',
  'WECHAT_PAY_API_V3_KEY',
] as const
export type WechatPayKey = (typeof WECHAT_PAY_KEYS)[number] | 'WECHAT_PAY_API_BASE' | 'WECHAT_PAY_NOTIFY_URL'

export const WECHAT_PAY_DEFAULT_API_BASE = 'https://api.mch.weixin.qq.com'
export const WECHAT_JSAPI_PATH = '/v3/pay/transactions/jsapi'

export interface WechatPayConfig extends WechatSigningKey, WechatPlatformKey {
  /** The mini-program's appid (WECHAT_APP_ID, already used by WeChat login). */
  appId: string
  /** 32-character APIv3 key. */
  apiV3Key: string
  /** Origin of the API, no trailing slash (tests point it at a mock). */
  apiBase: string
  /** Where WeChat posts the payment notification (`…/api/payments/wechat/notify`). */
  notifyUrl: string
}

/**
 * The WeChat Pay configuration from its variables, or 503 NOT_CONFIGURED naming the missing
 * ones (names only, never values). `notifyUrl` comes from PUBLIC_BASE_URL in the caller.
 */
export function requireWechatConfig(values: ConfigValues<WechatPayKey>, notifyUrl: string | undefined): WechatPayConfig {
  const missing: string[] = missingKeys(values, WECHAT_PAY_KEYS)
  if (!notifyUrl) missing.push('PUBLIC_BASE_URL')
  if (missing.length > 0) throw notConfigured(`WeChat Pay is not configured: ${missing.join(', ')} not set`)
  const get = (key: WechatPayKey) => values[key]!.trim()
  return {
    appId: get('WECHAT_APP_ID'),
    mchId: get('WECHAT_PAY_MCH_ID'),
    serialNo: get('WECHAT_PAY_SERIAL_NO'),
    privateKeyPem: get('WECHAT_PAY_PRIVATE_KEY'),
    platformPublicKeyPem: get('WECHAT_PAY_PLATFORM_PUBLIC_KEY'),
    platformSerial: get('WECHAT_PAY_PLATFORM_SERIAL'),
    apiV3Key: get('WECHAT_PAY_API_V3_KEY'),
    apiBase: (values.WECHAT_PAY_API_BASE?.trim() || WECHAT_PAY_DEFAULT_API_BASE).replace(/\/+$/, ''),
    notifyUrl: notifyUrl!,
  }
}

/** RFC 3339 in China Standard Time, seconds precision (`2026-11-22T13:30:00+08:00`), as WeChat documents it. */
export function wechatTime(date: Date): string {
  const shifted = new Date(date.getTime() + 8 * 3600_000)
  return `${shifted.toISOString().slice(0, 19)}+08:00`
}

const clip = (text: unknown) => (typeof text === 'string' ? text.slice(0, 200) : '')

/**
 * Creates the JSAPI prepay order: POST `/v3/pay/transactions/jsapi` signed with the merchant
 * key, and checks the answer's WeChat signature (an unsigned 2xx is treated as forged, as
 * WeChat's documentation asks). Returns the `prepay_id`. Refusals, network failures and
 * unsigned or malformed answers are 502 UPSTREAM_ERROR with WeChat's code and message.
 */
export async function createJsapiPrepay(fetcher: Fetcher, config: WechatPayConfig, order: PaymentOrder, now = Date.now()): Promise<string> {
  if (!order.payerOpenId) throw badRequest('WeChat Pay needs the payer\'s openid: sign in with WeChat first', { field: 'provider' })
  const body = JSON.stringify({
    appid: config.appId,
    mchid: config.mchId,
    description: order.description.slice(0, 127),
    out_trade_no: order.id,
    ...(order.expiresAt ? { time_expire: wechatTime(order.expiresAt) } : {}),
    notify_url: config.notifyUrl,
    amount: { total: order.amountCents, currency: order.currency.toUpperCase() },
    payer: { openid: order.payerOpenId },
  })
  const authorization = await wechatAuthorization(config, { method: 'POST', pathWithQuery: WECHAT_JSAPI_PATH, body }, { now })
  let res: Response
  let text: string
  try {
    res = await fetcher(`${config.apiBase}${WECHAT_JSAPI_PATH}`, {
      method: 'POST',
      headers: {
        Authorization: authorization,
        Accept: 'application/json',
        'Content-Type': 'application/json',
        'User-Agent': 'Darkroom (Cloudflare Workers)',
      },
      body,
      signal: AbortSignal.timeout(10_000),
    })
    text = await res.text()
  } catch {
    throw upstreamError('WeChat Pay could not be reached')
  }
  let parsed: Record<string, unknown> = {}
  try {
    const json: unknown = JSON.parse(text)
    if (typeof json === 'object' && json !== null) parsed = json as Record<string, unknown>
  } catch {
    // not JSON: reported below
  }
  if (!res.ok) {
    const code = clip(parsed.code) || `HTTP ${res.status}`
    throw upstreamError(`WeChat Pay refused the order: ${code}${parsed.message ? ` ${clip(parsed.message)}` : ''}`)
  }
  try {
    await verifyWechatSignature(config, res.headers, text, now)
  } catch {
    throw upstreamError('WeChat Pay\'s answer failed signature verification')
  }
  if (typeof parsed.prepay_id !== 'string' || parsed.prepay_id.length === 0) throw upstreamError('WeChat Pay answered without a prepay_id')
  return parsed.prepay_id
}

const record = (value: unknown): Record<string, unknown> | null =>
  typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : null

function parseJson(text: string, what: string): Record<string, unknown> {
  try {
    const value = record(JSON.parse(text))
    if (value) return value
  } catch {
    // reported below
  }
  throw badRequest(`${what} is not a JSON object`)
}

/**
 * Reads a verified notification: `TRANSACTION.SUCCESS` with a decrypted transaction whose
 * `trade_state` is SUCCESS, for this merchant and app, is `paid`; every other event is `ignored`
 * (acknowledged so WeChat stops retrying, nothing credited).
 */
export async function readWechatNotification(config: WechatPayConfig, bodyText: string): Promise<PaymentVerdict> {
  const notification = parseJson(bodyText, 'WeChat Pay notification')
  if (notification.event_type !== 'TRANSACTION.SUCCESS') {
    return { kind: 'ignored', reason: `event ${clip(notification.event_type) || '(none)'} is not TRANSACTION.SUCCESS` }
  }
  const transaction = parseJson(await decryptWechatResource(config.apiV3Key, notification.resource), 'Decrypted transaction')
  if (transaction.mchid !== config.mchId || transaction.appid !== config.appId) {
    return { kind: 'ignored', reason: 'transaction is for another merchant or app' }
  }
  if (transaction.trade_state !== 'SUCCESS') return { kind: 'ignored', reason: `trade_state ${clip(transaction.trade_state)}` }
  const amount = record(transaction.amount)
  const total = amount?.total
  const orderId = transaction.out_trade_no
  const providerRef = transaction.transaction_id
  if (typeof orderId !== 'string' || !orderId || typeof providerRef !== 'string' || !providerRef) {
    throw badRequest('Decrypted transaction lacks out_trade_no or transaction_id')
  }
  if (typeof total !== 'number' || !Number.isSafeInteger(total) || total < 0) throw badRequest('Decrypted transaction lacks amount.total')
  const currency = typeof amount?.currency === 'string' && amount.currency ? amount.currency.toUpperCase() : 'CNY'
  return { kind: 'paid', orderId, amountCents: total, currency, providerRef }
}

export const wechatProvider: PaymentProvider<WechatPayConfig, Extract<ClientPayment, { provider: 'wechat' }>> = {
  name: 'wechat',
  async create(fetcher, config, order) {
    const prepayId = await createJsapiPrepay(fetcher, config, order)
    return { provider: 'wechat', prepayId, requestPayment: await wechatRequestPayment(config, prepayId) }
  },
  async verify(config, notification) {
    await verifyWechatSignature(config, notification.headers, notification.body, notification.now)
    const text = typeof notification.body === 'string' ? notification.body : new TextDecoder().decode(notification.body)
    return readWechatNotification(config, text)
  },
}
