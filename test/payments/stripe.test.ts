import { afterEach, describe, expect, it, vi } from 'vitest'
import {
  createCheckoutSession,
  requireStripeConfig,
  type StripeConfig,
  stripeProvider,
  verifyStripeSignature,
} from '../../src/features/payments/providers/stripe'
import type { PaymentOrder } from '../../src/features/payments/providers/types'
import { mockFetch } from '../support/generation'
import { expectApiError, stripeV1 } from '../support/payments'

// These tests play Stripe: they sign events with the endpoint secret (stripeV1, written from
// Stripe's "verify manually" description, not from src) and answer the REST API.

afterEach(() => vi.restoreAllMocks())

const SECRET = 'whsec_test_5WbX5kEWLlfzsGNjH64I8lOOqUB6e8FH'
const NOW = Date.UTC(2026, 10, 22, 5, 0, 0)
const NOW_S = NOW / 1000

const config: StripeConfig = {
  secretKey: 'sk_test_51Darkroom000000000000000000',
  webhookSecret: SECRET,
  apiBase: 'https://stripe.test',
  successUrl: 'https://app.example.com/credits?paid={CHECKOUT_SESSION_ID}',
  cancelUrl: 'https://app.example.com/credits?canceled=1',
}

const order: PaymentOrder = { id: 'ord_01jd0000000000000000000000', amountCents: 999, currency: 'USD', description: 'Darkroom 100 credits + 20 bonus', expiresAt: new Date('2026-11-22T08:30:00.400Z') }
const fetcher = (input: string, init: RequestInit) => fetch(input, init)

const completed = (session: Record<string, unknown> = {}, type = 'checkout.session.completed') =>
  JSON.stringify({
    id: 'evt_1QxYz',
    object: 'event',
    type,
    data: {
      object: {
        id: 'cs_test_a1b2c3',
        object: 'checkout.session',
        client_reference_id: order.id,
        metadata: { orderId: order.id },
        amount_total: 999,
        currency: 'usd',
        payment_status: 'paid',
        status: 'complete',
        ...session,
      },
    },
  })

describe('verifyStripeSignature', () => {
  it('accepts a valid v1 and returns the signed timestamp', async () => {
    const body = completed()
    const header = `t=${NOW_S},v1=${await stripeV1(SECRET, NOW_S, body)}`
    expect(await verifyStripeSignature(body, header, SECRET, NOW)).toBe(NOW_S)
  })

  it('accepts any of several v1 values (secret rotation) and ignores v0 and unknown schemes', async () => {
    const body = completed()
    const good = await stripeV1(SECRET, NOW_S, body)
    const old = await stripeV1('whsec_previous_secret', NOW_S, body)
    expect(await verifyStripeSignature(body, `t=${NOW_S},v1=${old},v1=${good},v0=deadbeef,x9=1`, SECRET, NOW)).toBe(NOW_S)
    expect(await verifyStripeSignature(body, `t=${NOW_S},v1=${good},v1=${old}`, SECRET, NOW)).toBe(NOW_S)
    // Only the old secret's signature: refused.
    await expectApiError(verifyStripeSignature(body, `t=${NOW_S},v1=${old}`, SECRET, NOW), 'INVALID_SIGNATURE')
    // A matching value under v0 is not a v1.
    await expectApiError(verifyStripeSignature(body, `t=${NOW_S},v0=${good}`, SECRET, NOW), 'INVALID_SIGNATURE')
  })

  it('refuses a forged signature, another body and another timestamp than the one signed', async () => {
    const body = completed()
    const good = await stripeV1(SECRET, NOW_S, body)
    const forged = await expectApiError(verifyStripeSignature(body, `t=${NOW_S},v1=${'0'.repeat(64)}`, SECRET, NOW), 'INVALID_SIGNATURE')
    expect(forged.message).toMatch(/matches/)
    await expectApiError(verifyStripeSignature(completed({ amount_total: 1 }), `t=${NOW_S},v1=${good}`, SECRET, NOW), 'INVALID_SIGNATURE')
    await expectApiError(verifyStripeSignature(body, `t=${NOW_S - 1},v1=${good}`, SECRET, NOW), 'INVALID_SIGNATURE')
  })

  it('accepts exactly the tolerance either way and refuses one second more', async () => {
    const body = completed()
    for (const t of [NOW_S - 300, NOW_S + 300]) {
      expect(await verifyStripeSignature(body, `t=${t},v1=${await stripeV1(SECRET, t, body)}`, SECRET, NOW)).toBe(t)
    }
    for (const t of [NOW_S - 301, NOW_S + 301]) {
      const error = await expectApiError(verifyStripeSignature(body, `t=${t},v1=${await stripeV1(SECRET, t, body)}`, SECRET, NOW), 'INVALID_SIGNATURE')
      expect(error.message).toMatch(/tolerance/)
    }
    // A custom tolerance is honoured.
    const t = NOW_S - 20
    await expectApiError(verifyStripeSignature(body, `t=${t},v1=${await stripeV1(SECRET, t, body)}`, SECRET, NOW, 10), 'INVALID_SIGNATURE')
  })

  it('answers malformed headers with INVALID_SIGNATURE and a reason, never a raw exception', async () => {
    const body = completed()
    const good = await stripeV1(SECRET, NOW_S, body)
    const cases: Array<[string | null, RegExp]> = [
      [null, /Missing/],
      ['', /Missing/],
      ['garbage', /t=/],
      [`v1=${good}`, /t=/],
      [`t=${NOW_S}`, /no v1/],
      [`t=${NOW_S},t=${NOW_S},v1=${good}`, /exactly one/],
      [`t=abc,v1=${good}`, /t=/],
      [`t=${NOW_S},v1=zz${good.slice(2)}`, /matches/],
      [`t=${NOW_S},v1=${good.slice(0, 10)}`, /matches/],
      [`t=${NOW_S},v1=`, /matches/],
    ]
    for (const [header, reason] of cases) {
      const error = await expectApiError(verifyStripeSignature(body, header, SECRET, NOW), 'INVALID_SIGNATURE')
      expect(error.message, String(header)).toMatch(reason)
    }
  })

  it('verifies over the raw bytes: the same text as bytes verifies, a re-serialised body does not', async () => {
    const body = completed()
    const header = `t=${NOW_S},v1=${await stripeV1(SECRET, NOW_S, body)}`
    expect(await verifyStripeSignature(new TextEncoder().encode(body), header, SECRET, NOW)).toBe(NOW_S)
    await expectApiError(verifyStripeSignature(JSON.stringify(JSON.parse(body), null, 2), header, SECRET, NOW), 'INVALID_SIGNATURE')
  })
})

describe('stripeProvider.verify', () => {
  const deliver = async (body: string, t = NOW_S) =>
    stripeProvider.verify(config, { headers: new Headers({ 'stripe-signature': `t=${t},v1=${await stripeV1(SECRET, t, body)}` }), body, now: NOW })

  it('a paid checkout.session.completed pays the order named by client_reference_id', async () => {
    expect(await deliver(completed())).toEqual({ kind: 'paid', orderId: order.id, amountCents: 999, currency: 'USD', providerRef: 'cs_test_a1b2c3' })
    expect(await deliver(completed({}, 'checkout.session.async_payment_succeeded'))).toMatchObject({ kind: 'paid' })
    expect(await deliver(completed({ client_reference_id: null }))).toMatchObject({ kind: 'paid', orderId: order.id })
  })

  it('ignores other events, unpaid sessions and sessions without an order', async () => {
    expect(await deliver(completed({}, 'payment_intent.succeeded'))).toMatchObject({ kind: 'ignored' })
    expect(await deliver(completed({ payment_status: 'unpaid' }))).toMatchObject({ kind: 'ignored', reason: 'payment_status unpaid' })
    expect(await deliver(completed({ client_reference_id: null, metadata: {} }))).toMatchObject({ kind: 'ignored' })
  })

  it('refuses an unsigned or stale delivery, and answers signed nonsense with VALIDATION_ERROR', async () => {
    await expectApiError(stripeProvider.verify(config, { headers: new Headers(), body: completed(), now: NOW }), 'INVALID_SIGNATURE')
    await expectApiError(deliver(completed(), NOW_S - 301), 'INVALID_SIGNATURE')
    await expectApiError(deliver('not json'), 'VALIDATION_ERROR')
    await expectApiError(deliver(completed({ amount_total: '999' })), 'VALIDATION_ERROR')
  })
})

describe('createCheckoutSession', () => {
  it('POSTs a form-encoded one-item payment session with the secret key and the order id as Idempotency-Key', async () => {
    const { seen } = mockFetch(() => Response.json({ id: 'cs_test_a1b2c3', object: 'checkout.session', url: 'https://checkout.stripe.com/c/pay/cs_test_a1b2c3' }))
    const session = await createCheckoutSession(fetcher, config, order)
    expect(session).toEqual({ id: 'cs_test_a1b2c3', url: 'https://checkout.stripe.com/c/pay/cs_test_a1b2c3' })
    expect(seen).toHaveLength(1)
    const req = seen[0]!
    expect(req.method).toBe('POST')
    expect(req.url).toBe('https://stripe.test/v1/checkout/sessions')
    expect(req.headers.get('authorization')).toBe('Bearer sk_test_51Darkroom000000000000000000')
    expect(req.headers.get('content-type')).toBe('application/x-www-form-urlencoded')
    expect(req.headers.get('idempotency-key')).toBe(order.id)
    // The exact wire encoding: brackets and braces percent-encoded, spaces as '+', lower-case currency.
    expect(req.body).toBe(
      [
        'mode=payment',
        `client_reference_id=${order.id}`,
        `metadata%5BorderId%5D=${order.id}`,
        'line_items%5B0%5D%5Bprice_data%5D%5Bcurrency%5D=usd',
        'line_items%5B0%5D%5Bprice_data%5D%5Bunit_amount%5D=999',
        'line_items%5B0%5D%5Bprice_data%5D%5Bproduct_data%5D%5Bname%5D=Darkroom+100+credits+%2B+20+bonus',
        'line_items%5B0%5D%5Bquantity%5D=1',
        'success_url=https%3A%2F%2Fapp.example.com%2Fcredits%3Fpaid%3D%7BCHECKOUT_SESSION_ID%7D',
        'cancel_url=https%3A%2F%2Fapp.example.com%2Fcredits%3Fcanceled%3D1',
        // The session closes two minutes after the order expires (Stripe's minimum is 30 minutes).
        `expires_at=${Math.ceil(Date.parse('2026-11-22T08:30:00.400Z') / 1000) + 120}`,
      ].join('&'),
    )
    const form = new URLSearchParams(req.body)
    expect(form.get('line_items[0][price_data][product_data][name]')).toBe('Darkroom 100 credits + 20 bonus')
  })

  it('stripeProvider.create returns the session id and Checkout url', async () => {
    mockFetch(() => Response.json({ id: 'cs_1', url: 'https://checkout.stripe.com/c/pay/cs_1' }))
    expect(await stripeProvider.create(fetcher, config, order)).toEqual({ provider: 'stripe', sessionId: 'cs_1', url: 'https://checkout.stripe.com/c/pay/cs_1' })
  })

  it('maps Stripe errors, unreachable servers and odd answers to UPSTREAM_ERROR', async () => {
    mockFetch(() => Response.json({ error: { type: 'invalid_request_error', message: 'Invalid currency: xyz' } }, { status: 400 }))
    expect((await expectApiError(createCheckoutSession(fetcher, config, order), 'UPSTREAM_ERROR')).message).toContain('Invalid currency: xyz')
    vi.restoreAllMocks()

    mockFetch(() => new Response('upstream connect error', { status: 503 }))
    expect((await expectApiError(createCheckoutSession(fetcher, config, order), 'UPSTREAM_ERROR')).message).toContain('HTTP 503')
    vi.restoreAllMocks()

    mockFetch(() => {
      throw new TypeError('network down')
    })
    expect((await expectApiError(createCheckoutSession(fetcher, config, order), 'UPSTREAM_ERROR')).message).toMatch(/reached/)
    vi.restoreAllMocks()

    mockFetch(() => Response.json({ id: 'cs_1' }))
    await expectApiError(createCheckoutSession(fetcher, config, order), 'UPSTREAM_ERROR')
  })
})

describe('Stripe configuration', () => {
  it('names the missing variables in NOT_CONFIGURED and defaults the API origin', () => {
    expect(() => requireStripeConfig({ STRIPE_SECRET_KEY: 'sk_test_x' })).toThrow(/STRIPE_WEBHOOK_SECRET, STRIPE_SUCCESS_URL, STRIPE_CANCEL_URL/)
    const full = { STRIPE_SECRET_KEY: 'sk', STRIPE_WEBHOOK_SECRET: 'wh', STRIPE_SUCCESS_URL: 'https://a/s', STRIPE_CANCEL_URL: 'https://a/c' }
    expect(requireStripeConfig(full).apiBase).toBe('https://api.stripe.com')
    expect(requireStripeConfig({ ...full, STRIPE_API_BASE: 'https://stripe.test/' }).apiBase).toBe('https://stripe.test')
  })
})
