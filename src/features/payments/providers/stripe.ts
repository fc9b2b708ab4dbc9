import { badRequest, invalidSignature, notConfigured, upstreamError } from '../../../lib/errors'
import { timingSafeEqual, toHex } from '../../../lib/ids'
import { bytesOf, concatBytes, decodeHex, utf8 } from './encoding'
import { type ClientPayment, type ConfigValues, type Fetcher, missingKeys, type PaymentOrder, type PaymentProvider, type PaymentVerdict } from './types'

/** Stripe: Checkout Sessions through the REST API (form-encoded) and `Stripe-Signature` webhooks. */

export const STRIPE_KEYS = ['STRIPE_SECRET_KEY', 'STRIPE_WEBHOOK_SECRET', 'STRIPE_SUCCESS_URL', 'STRIPE_CANCEL_URL'] as const
export type StripeKey = (typeof STRIPE_KEYS)[number] | 'STRIPE_API_BASE'
export const STRIPE_DEFAULT_API_BASE = 'https://api.stripe.com'
export const STRIPE_TOLERANCE_SECONDS = 300

export interface StripeConfig {
  /** `sk_live_…`/`sk_test_…` (or a restricted `rk_…` key allowed to create Checkout Sessions). */
  secretKey: string
  /** The endpoint's signing secret, `whsec_…`, used as the HMAC key exactly as given. */
  webhookSecret: string
  apiBase: string
  successUrl: string
  cancelUrl: string
}

/** The Stripe configuration from its variables, or 503 NOT_CONFIGURED naming the missing ones. */
export function requireStripeConfig(values: ConfigValues<StripeKey>): StripeConfig {
  const missing = missingKeys(values, STRIPE_KEYS)
  if (missing.length > 0) throw notConfigured(`Stripe is not configured: ${missing.join(', ')} not set`)
  return {
    secretKey: values.STRIPE_SECRET_KEY!.trim(),
    webhookSecret: values.STRIPE_WEBHOOK_SECRET!.trim(),
    apiBase: (values.STRIPE_API_BASE?.trim() || STRIPE_DEFAULT_API_BASE).replace(/\/+$/, ''),
    successUrl: values.STRIPE_SUCCESS_URL!.trim(),
    cancelUrl: values.STRIPE_CANCEL_URL!.trim(),
  }
}

async function hmacSha256(secret: string, message: Uint8Array): Promise<Uint8Array> {
  const key = await crypto.subtle.importKey('raw', utf8(secret), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign'])
  return new Uint8Array(await crypto.subtle.sign('HMAC', key, message))
}

/** The `v1` signature Stripe would send: hex HMAC-SHA256 of `${t}.${body}` keyed with the secret. */
export async function stripeSignature(secret: string, timestamp: number, body: string | Uint8Array): Promise<string> {
  return toHex(await hmacSha256(secret, concatBytes(utf8(`${timestamp}.`), bytesOf(body))))
}

/**
 * Verifies a `Stripe-Signature` header (`t=…,v1=…[,v1=…][,v0=…]`) over the RAW body: exactly one
 * `t`, at least one `v1`, `t` within `toleranceSeconds` of `now` (milliseconds) either way, and one
 * `v1` equal (constant-time) to the HMAC-SHA256 of `${t}.${body}`. Other schemes are ignored.
 * Returns the signed timestamp; throws INVALID_SIGNATURE with the reason.
 */
export async function verifyStripeSignature(
  rawBody: string | Uint8Array,
  header: string | null | undefined,
  secret: string,
  now: number,
  toleranceSeconds = STRIPE_TOLERANCE_SECONDS,
): Promise<number> {
  if (!header) throw invalidSignature('Missing Stripe-Signature header')
  const timestamps: string[] = []
  const signatures: string[] = []
  for (const element of header.split(',')) {
    const at = element.indexOf('=')
    if (at <= 0) continue
    const name = element.slice(0, at).trim()
    const value = element.slice(at + 1).trim()
    if (name === 't') timestamps.push(value)
    else if (name === 'v1') signatures.push(value)
  }
  if (timestamps.length !== 1 || !/^\d{1,12}$/.test(timestamps[0]!)) throw invalidSignature('Stripe-Signature needs exactly one t=<unix seconds>')
  if (signatures.length === 0) throw invalidSignature('Stripe-Signature has no v1 signature')
  const timestamp = Number(timestamps[0])
  if (Math.abs(Math.floor(now / 1000) - timestamp) > toleranceSeconds) {
    throw invalidSignature(`Stripe-Signature timestamp is outside the ${toleranceSeconds} second tolerance`)
  }
  const expected = await hmacSha256(secret, concatBytes(utf8(`${timestamps[0]}.`), bytesOf(rawBody)))
  let matched = false
  for (const candidate of signatures) {
    const bytes = decodeHex(candidate)
    // Every candidate is compared (no early exit), each in constant time.
    if (bytes && timingSafeEqual(expected, bytes)) matched = true
  }
  if (!matched) throw invalidSignature('No Stripe-Signature v1 signature matches')
  return timestamp
}

/** The form body of a one-item Checkout Session paying `order`. */
export function checkoutSessionForm(config: StripeConfig, order: PaymentOrder): URLSearchParams {
  const form = new URLSearchParams([
    ['mode', 'payment'],
    ['client_reference_id', order.id],
    ['metadata[orderId]', order.id],
    ['line_items[0][price_data][currency]', order.currency.toLowerCase()],
    ['line_items[0][price_data][unit_amount]', String(order.amountCents)],
    ['line_items[0][price_data][product_data][name]', order.description],
    ['line_items[0][quantity]', '1'],
    ['success_url', config.successUrl],
    ['cancel_url', config.cancelUrl],
  ])
  // Stripe's shortest session is 30 minutes from its creation, a moment after the order's; two
  // minutes more keeps it valid, and a payment after the order expired is still credited.
  if (order.expiresAt) form.set('expires_at', String(Math.ceil(order.expiresAt.getTime() / 1000) + STRIPE_EXPIRY_SLACK_SECONDS))
  return form
}

export const STRIPE_EXPIRY_SLACK_SECONDS = 120

const clip = (text: unknown) => (typeof text === 'string' ? text.slice(0, 200) : '')
const record = (value: unknown): Record<string, unknown> | null =>
  typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : null

/**
 * Creates a Checkout Session: form-encoded POST `/v1/checkout/sessions` with the secret key and
 * `Idempotency-Key` = order id (a retried recharge gets the same session). Returns `{id, url}`;
 * refusals and network failures are 502 UPSTREAM_ERROR with Stripe's message.
 */
export async function createCheckoutSession(fetcher: Fetcher, config: StripeConfig, order: PaymentOrder): Promise<{ id: string; url: string }> {
  let res: Response
  let json: Record<string, unknown> | null = null
  try {
    res = await fetcher(`${config.apiBase}/v1/checkout/sessions`, {
      method: 'POST',
      headers: {
        Authorization: `Bearer ${config.secretKey}`,
        'Content-Type': 'application/x-www-form-urlencoded',
        'Idempotency-Key': order.id,
      },
      body: checkoutSessionForm(config, order).toString(),
      signal: AbortSignal.timeout(10_000),
    })
    const text = await res.text()
    try {
      json = record(JSON.parse(text))
    } catch {
      json = null
    }
  } catch {
    throw upstreamError('Stripe could not be reached')
  }
  if (!res.ok) {
    const error = record(json?.error)
    const detail = clip(error?.message) || clip(error?.code) || clip(error?.type)
    throw upstreamError(`Stripe refused the checkout session (HTTP ${res.status})${detail ? `: ${detail}` : ''}`)
  }
  const id = json?.id
  const url = json?.url
  if (typeof id !== 'string' || !id || typeof url !== 'string' || !url) throw upstreamError('Stripe answered without a session id and url')
  return { id, url }
}

const PAID_EVENTS = new Set(['checkout.session.completed', 'checkout.session.async_payment_succeeded'])

/**
 * Reads a verified event: a completed Checkout Session with `payment_status: paid` is `paid`
 * (`client_reference_id`, else `metadata.orderId`, is the order); everything else is `ignored`.
 */
export function readStripeEvent(bodyText: string): PaymentVerdict {
  let event: Record<string, unknown> | null = null
  try {
    event = record(JSON.parse(bodyText))
  } catch {
    // reported below
  }
  if (!event) throw badRequest('Stripe event is not a JSON object')
  const type = clip(event.type)
  if (!PAID_EVENTS.has(type)) return { kind: 'ignored', reason: `event ${type || '(none)'} does not pay an order` }
  const session = record(record(event.data)?.object)
  if (!session) throw badRequest('Stripe event lacks data.object')
  if (session.payment_status !== 'paid') return { kind: 'ignored', reason: `payment_status ${clip(session.payment_status)}` }
  const orderId = session.client_reference_id ?? record(session.metadata)?.orderId
  const amount = session.amount_total
  if (typeof orderId !== 'string' || !orderId) return { kind: 'ignored', reason: 'session has no client_reference_id' }
  if (typeof session.id !== 'string' || typeof session.currency !== 'string' || typeof amount !== 'number' || !Number.isSafeInteger(amount) || amount < 0) {
    throw badRequest('Stripe session lacks id, currency or amount_total')
  }
  return { kind: 'paid', orderId, amountCents: amount, currency: session.currency.toUpperCase(), providerRef: session.id }
}

export const stripeProvider: PaymentProvider<StripeConfig, Extract<ClientPayment, { provider: 'stripe' }>> = {
  name: 'stripe',
  async create(fetcher, config, order) {
    const session = await createCheckoutSession(fetcher, config, order)
    return { provider: 'stripe', sessionId: session.id, url: session.url }
  },
  async verify(config, notification) {
    await verifyStripeSignature(notification.body, notification.headers.get('stripe-signature'), config.webhookSecret, notification.now)
    const text = typeof notification.body === 'string' ? notification.body : new TextDecoder().decode(notification.body)
    return readStripeEvent(text)
  },
}
