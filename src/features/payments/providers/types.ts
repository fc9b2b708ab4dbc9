/**
 * The one small interface every payment provider follows (DESIGN.md "Payments"): `create` turns
 * a pending order into what the client pays with; `verify` turns a provider notification into a
 * settled payment (`paid`), something to acknowledge and drop (`ignored`), or throws
 * INVALID_SIGNATURE (401) when it cannot be trusted. Providers never touch D1: the settle
 * function (credits feature) compares `amountCents`/`currency` with the order and credits it once.
 */

/** `fetch`, or a stand-in with the same shape (tests, a service binding). */
export type Fetcher = (input: string, init: RequestInit) => Promise<Response>

export type PaymentProviderName = 'wechat' | 'stripe'

/** What a provider needs to know about a pending order. Amounts are minor units (fen, cents). */
export interface PaymentOrder {
  /** The order id: WeChat `out_trade_no` (6–32 of `[A-Za-z0-9_\-|*]`), Stripe `client_reference_id`. */
  id: string
  amountCents: number
  /** ISO 4217, any case (WeChat wants `CNY`, Stripe lower case; both are normalised here). */
  currency: string
  /** Shown to the payer (WeChat `description`, at most 127 characters; Stripe product name). */
  description: string
  /** When the order stops being payable; WeChat gets it as `time_expire`. */
  expiresAt?: Date
  /** The payer's openid for this mini-program (WeChat JSAPI only). */
  payerOpenId?: string
}

/** The `wx.requestPayment` parameters a mini-program passes through unchanged. */
export interface WechatRequestPayment {
  timeStamp: string
  nonceStr: string
  package: string
  signType: 'RSA'
  paySign: string
}

/** What the client pays with. */
export type ClientPayment =
  | { provider: 'wechat'; prepayId: string; requestPayment: WechatRequestPayment }
  | { provider: 'stripe'; sessionId: string; url: string }

/** A notification as it arrived: headers, the RAW body bytes (never re-serialised JSON), and when. */
export interface IncomingNotification {
  headers: Headers
  body: string | Uint8Array
  /** Milliseconds since the epoch (Date.now()); the freshness checks compare with it. */
  now: number
}

export type PaymentVerdict =
  | {
      kind: 'paid'
      orderId: string
      /** What was paid, in minor units, as the provider reports it. */
      amountCents: number
      /** Upper-case ISO 4217. */
      currency: string
      /** The provider's id of the payment (WeChat `transaction_id`, Stripe Checkout Session id). */
      providerRef: string
    }
  | { kind: 'ignored'; reason: string }

export interface PaymentProvider<Config, Payment extends ClientPayment = ClientPayment> {
  readonly name: PaymentProviderName
  /** Registers the order with the provider; UPSTREAM_ERROR (502) when it refuses or cannot be reached. */
  create(fetcher: Fetcher, config: Config, order: PaymentOrder): Promise<Payment>
  /** Authenticates and reads a notification; throws INVALID_SIGNATURE or VALIDATION_ERROR, never a raw exception. */
  verify(config: Config, notification: IncomingNotification): Promise<PaymentVerdict>
}

/** A provider's configuration values by variable name, as read from `config(env)`; absent or '' = not set. */
export type ConfigValues<Key extends string> = Partial<Record<Key, string | undefined>>

/** The names in `keys` whose value is missing or blank. */
export function missingKeys<Key extends string>(values: ConfigValues<Key>, keys: readonly Key[]): Key[] {
  return keys.filter((key) => !values[key]?.trim())
}
