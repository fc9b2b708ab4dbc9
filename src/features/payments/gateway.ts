import type { PAYMENT_PROVIDERS } from '../../db/schema'
import { config } from '../../lib/config'
import { badRequest, notConfigured } from '../../lib/errors'
import { isLocal } from '../../lib/locality'
import { requireStripeConfig, STRIPE_KEYS, stripeProvider } from './providers/stripe'
import { type IncomingNotification, missingKeys, type PaymentOrder, type PaymentVerdict } from './providers/types'
import { requireWechatConfig, WECHAT_PAY_KEYS, wechatProvider } from './providers/wechat-pay'

/**
 * The store's view of the providers: which are available, how an order is registered with one,
 * and how a notification is read. Only configuration decides availability; `dev` exists only
 * where ENVIRONMENT is development or test.
 */

export type ProviderName = (typeof PAYMENT_PROVIDERS)[number]

const fetcher = (input: string, init: RequestInit) => fetch(input, init)

export const WECHAT_NOTIFY_PATH = '/api/payments/wechat/notify'

function wechatNotifyUrl(env: Env): string | undefined {
  const base = config(env).PUBLIC_BASE_URL
  return base ? `${base}${WECHAT_NOTIFY_PATH}` : undefined
}

/** Providers a recharge may use now, in display order. */
export function availableProviders(env: Env): ProviderName[] {
  const c = config(env)
  const out: ProviderName[] = []
  if (missingKeys(c, WECHAT_PAY_KEYS).length === 0 && c.PUBLIC_BASE_URL) out.push('wechat')
  if (missingKeys(c, STRIPE_KEYS).length === 0) out.push('stripe')
  if (isLocal(env)) out.push('dev')
  return out
}

/** Throws 503 NOT_CONFIGURED (naming the missing variables) unless `provider` can take a payment. */
export function assertProviderAvailable(env: Env, provider: ProviderName): void {
  if (provider === 'wechat') requireWechatConfig(config(env), wechatNotifyUrl(env))
  else if (provider === 'stripe') requireStripeConfig(config(env))
  else if (!isLocal(env)) throw notConfigured('The dev payment provider exists only in development (ENVIRONMENT development or test)')
}

/** The dev provider's "payment": the link that settles the order (POST, the owner's bearer token). */
export function devPayment(orderId: string) {
  return { provider: 'dev', payUrl: `/api/payments/dev/${orderId}/pay`, method: 'POST' }
}

/**
 * Registers `order` with its provider and answers what the client pays with. WeChat needs the
 * payer's openid (400 naming `wechat_open_id` when the account has none). Upstream failures are
 * 502 UPSTREAM_ERROR, configuration problems 503/500, as the provider library throws them.
 */
export async function createPayment(env: Env, provider: ProviderName, order: PaymentOrder): Promise<Record<string, unknown>> {
  if (provider === 'wechat') {
    if (!order.payerOpenId) {
      throw badRequest('WeChat Pay needs the payer\'s WeChat openid (users.wechat_open_id): sign in with WeChat first', { field: 'provider' })
    }
    return { ...(await wechatProvider.create(fetcher, requireWechatConfig(config(env), wechatNotifyUrl(env)), order)) }
  }
  if (provider === 'stripe') return { ...(await stripeProvider.create(fetcher, requireStripeConfig(config(env)), order)) }
  return devPayment(order.id)
}

/** Authenticates and reads a WeChat Pay notification (throws INVALID_SIGNATURE, VALIDATION_ERROR, NOT_CONFIGURED). */
export function verifyWechat(env: Env, notification: IncomingNotification): Promise<PaymentVerdict> {
  // The notify URL is not needed to read a notification; any value satisfies the check.
  return wechatProvider.verify(requireWechatConfig(config(env), wechatNotifyUrl(env) ?? WECHAT_NOTIFY_PATH), notification)
}

/** Authenticates and reads a Stripe webhook event. */
export function verifyStripe(env: Env, notification: IncomingNotification): Promise<PaymentVerdict> {
  return stripeProvider.verify(requireStripeConfig(config(env)), notification)
}
