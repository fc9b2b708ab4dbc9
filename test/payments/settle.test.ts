import { env } from 'cloudflare:test'
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest'
import { expireOrders } from '../../src/features/payments/orders'
import { handleScheduled } from '../../src/jobs/scheduled'
import { devPayRoute, rechargeRoute, stripeWebhookRoute } from '../../src/features/payments/routes'
import { settleOrder } from '../../src/features/payments/settle'
import { dataOf, dbFirst, dbRun, expectError, newUser, type TestUser } from '../helpers'
import { creditsOf, expectLedgerMatchesBalance, mockFetch } from '../support/generation'
import { closeAll, connect } from '../support/ws-client'
import { rsaPair, type RsaPair, wechatSignedHeaders } from '../support/payments'
import {
  appCall, insertPackage, WECHAT, orderRow, purchaseRows, stripeCompleted, stripeSessionAnswer, wechatNotification, wechatPrepayAnswer, type WechatWorld, wechatWorld,
} from '../support/store'

// These tests play WeChat Pay and Stripe against the real routes: every payment reaches the one
// settle function, and whatever arrives (twice, in parallel, late, forged, for another amount)
// the user is credited exactly once or not at all.

afterEach(async () => {
  vi.restoreAllMocks()
  await closeAll()
})

let world: WechatWorld
let stranger: RsaPair
beforeAll(async () => {
  ;[world, stranger] = await Promise.all([wechatWorld(), rsaPair()])
})

async function wechatOrder(user: TestUser, pkg: { id: string }) {
  await dbRun('UPDATE users SET wechat_open_id = ?2 WHERE id = ?1', user.id, `o_${user.id}`)
  const { seen } = mockFetch(() => wechatPrepayAnswer(world))
  const { order } = dataOf(await appCall(world.env, 'POST', '/api/credits/recharge', { packageId: pkg.id, provider: 'wechat' }, { token: user.accessToken }), rechargeRoute, 201)
  vi.restoreAllMocks()
  expect(seen).toHaveLength(1)
  return order
}

async function stripeOrder(user: TestUser, pkg: { id: string }) {
  mockFetch((req) => stripeSessionAnswer(new URLSearchParams(req.body).get('client_reference_id')!))
  const { order } = dataOf(await appCall({}, 'POST', '/api/credits/recharge', { packageId: pkg.id, provider: 'stripe' }, { token: user.accessToken }), rechargeRoute, 201)
  vi.restoreAllMocks()
  return order
}

const notifyWechat = (body: string, headers: Record<string, string>) => appCall(world.env, 'POST', '/api/payments/wechat/notify', body, { headers })
const notifyStripe = (body: string, headers: Record<string, string>) => appCall({}, 'POST', '/api/payments/stripe/webhook', body, { headers })

describe('WeChat Pay recharge', () => {
  it('sends the payer openid and our notify URL, and answers the signed requestPayment parameters', async () => {
    const user = await newUser('wxpre')
    await dbRun('UPDATE users SET wechat_open_id = ?2 WHERE id = ?1', user.id, `o_${user.id}`)
    const { seen } = mockFetch(() => wechatPrepayAnswer(world, 'wx201410272009395522657a690389285100'))
    const { order } = dataOf(await appCall(world.env, 'POST', '/api/credits/recharge', { packageId: (await insertPackage({ priceCents: 600 })).id, provider: 'wechat' }, { token: user.accessToken }), rechargeRoute, 201)
    const sent = JSON.parse(seen[0]!.body) as Record<string, unknown>
    expect(sent).toMatchObject({ out_trade_no: order.id, notify_url: 'https://darkroom.test/api/payments/wechat/notify', amount: { total: 600, currency: 'CNY' }, payer: { openid: `o_${user.id}` } })
    expect(order.payment).toMatchObject({ provider: 'wechat', prepayId: 'wx201410272009395522657a690389285100', requestPayment: { package: 'prepay_id=wx201410272009395522657a690389285100', signType: 'RSA' } })
  })

  it('needs the account\'s WeChat openid (400 naming it), and keeps a refused order as failed (502)', async () => {
    const user = await newUser('wxnoid')
    const pkg = await insertPackage()
    const noId = expectError(await appCall(world.env, 'POST', '/api/credits/recharge', { packageId: pkg.id, provider: 'wechat' }, { token: user.accessToken }), 400, 'VALIDATION_ERROR')
    expect(noId.error).toMatch(/wechat_open_id/)
    await dbRun('UPDATE users SET wechat_open_id = ?2 WHERE id = ?1', user.id, `o_${user.id}`)
    mockFetch(() => new Response(JSON.stringify({ code: 'PARAM_ERROR', message: 'bad openid' }), { status: 400 }))
    const refused = expectError(await appCall(world.env, 'POST', '/api/credits/recharge', { packageId: pkg.id, provider: 'wechat' }, { token: user.accessToken }), 502, 'UPSTREAM_ERROR')
    // WeChat's own words stay in the log; the payer and the order get a plain account.
    expect(refused.error).toMatch(/wechat payment service did not accept the order; nothing was charged/)
    const row = await dbFirst<{ status: string; failure_reason: string }>('SELECT status, failure_reason FROM orders WHERE user_id = ?1', user.id)
    expect(row).toMatchObject({ status: 'failed', failure_reason: refused.error })
  })
})

describe('WeChat Pay notifications', () => {
  it('20 identical notifications in parallel plus the dev pay link credit the order exactly once', async () => {
    const user = await newUser('wxpar')
    const pkg = await insertPackage({ credits: 60, bonusCredits: 6, priceCents: 600 })
    const before = await creditsOf(user.id)
    const order = await wechatOrder(user, pkg)
    expect(order.payment).toMatchObject({ provider: 'wechat' })
    const [body, headers] = await wechatNotification(world, { orderId: order.id, total: 600 })
    const answers = await Promise.all([
      ...Array.from({ length: 20 }, () => notifyWechat(body, headers)),
      // The dev link only settles dev orders: for this one it is a 404, never a second credit.
      appCall(world.env, 'POST', `/api/payments/dev/${order.id}/pay`, undefined, { token: user.accessToken }),
    ])
    // WeChat's protocol: every handled delivery (the first and the 19 replays) is an empty 204.
    for (const answer of answers.slice(0, 20)) {
      expect(answer.status).toBe(204)
      expect(answer.text).toBe('')
    }
    expectError(answers[20]!, 404, 'NOT_FOUND')
    expect(await purchaseRows(order.id)).toBe(1)
    expect(await creditsOf(user.id)).toBe(before + 66)
    expect((await orderRow(order.id))?.status).toBe('paid')
    await expectLedgerMatchesBalance(user.id)
  })

  it('forged, stale, unknown-order, replayed, wrong-amount and wrong-currency notifications credit nothing', async () => {
    const user = await newUser('wxbad')
    const pkg = await insertPackage({ priceCents: 600 })
    const before = await creditsOf(user.id)
    const order = await wechatOrder(user, pkg)

    // Forged (signed by a key that is not WeChat's): 401 FAIL, WeChat retries.
    const forged = await notifyWechat(...(await wechatNotification(world, { orderId: order.id, total: 600 }, { key: stranger.privateKey })))
    expect(forged.status).toBe(401)
    expect(forged.body).toMatchObject({ code: 'FAIL' })
    // Stale: signed 10 minutes ago (replay of a captured delivery).
    const stale = await notifyWechat(...(await wechatNotification(world, { orderId: order.id, total: 600 }, { timestamp: Math.floor(Date.now() / 1000) - 600 })))
    expect(stale.status).toBe(401)
    expect(stale.body).toMatchObject({ code: 'FAIL' })
    // Unknown order: handled (WeChat must stop), nothing credited.
    const unknown = await notifyWechat(...(await wechatNotification(world, { orderId: 'ord_doesnotexist00000000000000', total: 600 })))
    expect(unknown.status).toBe(204)
    // A good signature over another body does not verify (the signature covers the exact bytes).
    const swapped = await notifyWechat('{"event_type":"TRANSACTION.SUCCESS"}', (await wechatNotification(world, { orderId: order.id, total: 600 }))[1])
    expect(swapped.status).toBe(401)
    // Well signed but not JSON: malformed, 400 FAIL.
    const malformed = await notifyWechat('not json', await wechatSignedHeaders(world.platform.privateKey, 'not json', { serial: WECHAT.platformSerial }))
    expect(malformed.status).toBe(400)
    expect(malformed.body).toMatchObject({ code: 'FAIL' })
    expect(await creditsOf(user.id)).toBe(before)
    expect((await orderRow(order.id))?.status).toBe('pending')

    // Wrong amount: acknowledged, nothing credited, the order is failed with the reason.
    const cheap = await notifyWechat(...(await wechatNotification(world, { orderId: order.id, total: 1 })))
    expect(cheap.status).toBe(204)
    const failed = await orderRow(order.id)
    expect(failed?.status).toBe('failed')
    expect(failed?.failure_reason).toMatch(/1 CNY does not match.*600 CNY/)
    // The right payment arriving after the mismatch does not revive a failed order.
    const late = await notifyWechat(...(await wechatNotification(world, { orderId: order.id, total: 600 })))
    expect(late.status).toBe(204)
    expect(await purchaseRows(order.id)).toBe(0)
    expect(await creditsOf(user.id)).toBe(before)

    // Wrong currency on a second order.
    const second = await wechatOrder(user, pkg)
    expect((await notifyWechat(...(await wechatNotification(world, { orderId: second.id, total: 600, currency: 'USD' })))).status).toBe(204)
    expect((await orderRow(second.id))?.status).toBe('failed')
    expect((await orderRow(second.id))?.failure_reason).toMatch(/USD/)
    expect(await creditsOf(user.id)).toBe(before)

    // A replay of a good notification after it was paid is acknowledged and credits nothing more.
    const third = await wechatOrder(user, pkg)
    const good = await wechatNotification(world, { orderId: third.id, total: 600 })
    expect((await notifyWechat(...good)).status).toBe(204)
    expect((await notifyWechat(...good)).status).toBe(204)
    expect(await purchaseRows(third.id)).toBe(1)
    expect(await creditsOf(user.id)).toBe(before + pkg.credits + pkg.bonusCredits)
    await expectLedgerMatchesBalance(user.id)
  })

  it('other events are acknowledged and credit nothing; an unconfigured WeChat Pay answers 503 FAIL', async () => {
    const user = await newUser('wxevt')
    const order = await wechatOrder(user, await insertPackage())
    const refund = await notifyWechat(...(await wechatNotification(world, { orderId: order.id, total: 600 }, { event: 'REFUND.SUCCESS' })))
    expect(refund.status).toBe(204)
    expect((await orderRow(order.id))?.status).toBe('pending')
    const [body, headers] = await wechatNotification(world, { orderId: order.id, total: 600 })
    const off = await appCall({}, 'POST', '/api/payments/wechat/notify', body, { headers })
    expect(off.status).toBe(503)
    expect(off.body).toMatchObject({ code: 'FAIL' })
    expect((await orderRow(order.id))?.status).toBe('pending')
  })

  it('refuses bodies over 64 KB with 413 FAIL before verifying anything', async () => {
    const answer = await notifyWechat('x'.repeat(64 * 1024 + 1), { 'content-type': 'application/json' })
    expect(answer.status).toBe(413)
    expect(answer.body).toMatchObject({ code: 'FAIL' })
  })

  it('a payment arriving after the order expired is still credited (it was paid)', async () => {
    const user = await newUser('wxlate')
    const before = await creditsOf(user.id)
    const order = await wechatOrder(user, await insertPackage({ credits: 10, bonusCredits: 0, priceCents: 100 }))
    const fresh = await wechatOrder(user, await insertPackage())
    await dbRun('UPDATE orders SET expires_at = ?2 WHERE id = ?1', order.id, Date.now() - 1000)
    // The cron sweep expires it (and leaves an order that is still payable alone).
    await handleScheduled({} as ScheduledController, env)
    expect((await orderRow(order.id))?.status).toBe('expired')
    expect((await orderRow(fresh.id))?.status).toBe('pending')
    expect(await expireOrders(env)).toBe(0)
    expect((await notifyWechat(...(await wechatNotification(world, { orderId: order.id, total: 100 })))).status).toBe(204)
    expect((await orderRow(order.id))?.status).toBe('paid')
    expect(await creditsOf(user.id)).toBe(before + 10)
  })
})

describe('Stripe webhooks', () => {
  it('credits a completed session once, however often and concurrently it arrives', async () => {
    const user = await newUser('stpar')
    const pkg = await insertPackage({ credits: 100, bonusCredits: 20, priceCents: 999, currency: 'USD' })
    const before = await creditsOf(user.id)
    const order = await stripeOrder(user, pkg)
    expect(order.payment).toMatchObject({ provider: 'stripe', url: expect.stringContaining('checkout.stripe.com') })
    const event = await stripeCompleted({ orderId: order.id, amount: 999, currency: 'usd' })
    const answers = await Promise.all(Array.from({ length: 20 }, () => notifyStripe(...event)))
    const results = answers.map((a) => dataOf(a, stripeWebhookRoute, 200).result)
    expect(results.filter((r) => r === 'credited')).toHaveLength(1)
    expect(results.filter((r) => r === 'already_paid')).toHaveLength(19)
    expect(await creditsOf(user.id)).toBe(before + 120)
    expect((await orderRow(order.id))?.provider_ref).toBe(`cs_test_${order.id}`)
    await expectLedgerMatchesBalance(user.id)
  })

  it('forged, stale, unknown-order, wrong-amount and wrong-currency events credit nothing', async () => {
    const user = await newUser('stbad')
    const pkg = await insertPackage({ priceCents: 500, currency: 'USD' })
    const before = await creditsOf(user.id)
    const order = await stripeOrder(user, pkg)
    expectError(await notifyStripe(...(await stripeCompleted({ orderId: order.id, amount: 500, currency: 'usd' }, { secret: 'whsec_someone_else' }))), 401, 'INVALID_SIGNATURE')
    expectError(await notifyStripe(...(await stripeCompleted({ orderId: order.id, amount: 500, currency: 'usd' }, { timestamp: Math.floor(Date.now() / 1000) - 301 }))), 401, 'INVALID_SIGNATURE')
    expectError(await notifyStripe('{}', { 'content-type': 'application/json' }), 401, 'INVALID_SIGNATURE')
    const unknown = await notifyStripe(...(await stripeCompleted({ orderId: 'ord_unknown', amount: 500, currency: 'usd' })))
    expect(dataOf(unknown, stripeWebhookRoute, 200).result).toBe('unknown')
    const unpaid = await notifyStripe(...(await stripeCompleted({ orderId: order.id, amount: 500, currency: 'usd', paymentStatus: 'unpaid' })))
    expect(dataOf(unpaid, stripeWebhookRoute, 200).result).toBe('ignored')
    expect((await orderRow(order.id))?.status).toBe('pending')

    const wrongCurrency = await notifyStripe(...(await stripeCompleted({ orderId: order.id, amount: 500, currency: 'eur' })))
    expect(dataOf(wrongCurrency, stripeWebhookRoute, 200).result).toBe('mismatch')
    expect((await orderRow(order.id))?.status).toBe('failed')
    const second = await stripeOrder(user, pkg)
    const wrongAmount = await notifyStripe(...(await stripeCompleted({ orderId: second.id, amount: 499, currency: 'usd' })))
    expect(dataOf(wrongAmount, stripeWebhookRoute, 200).result).toBe('mismatch')
    const retry = await notifyStripe(...(await stripeCompleted({ orderId: second.id, amount: 500, currency: 'usd' })))
    expect(dataOf(retry, stripeWebhookRoute, 200).result).toBe('not_payable')
    // That money is real: the order keeps the payment's reference for an admin to refund it.
    expect((await orderRow(second.id))?.failure_reason).toContain(`paid later: 500 USD (cs_test_${second.id})`)
    expect(await purchaseRows(order.id) + (await purchaseRows(second.id))).toBe(0)
    expect(await creditsOf(user.id)).toBe(before)

    // A paid session that is not the one created for the order (a Payment Link carrying the
    // order id as client_reference_id) neither pays nor fails it.
    const third = await stripeOrder(user, pkg)
    const foreign = await notifyStripe(...(await stripeCompleted({ orderId: third.id, amount: 499, currency: 'usd', sessionId: 'cs_live_foreign' })))
    expect(dataOf(foreign, stripeWebhookRoute, 200).result).toBe('not_payable')
    const foreignExact = await notifyStripe(...(await stripeCompleted({ orderId: third.id, amount: 500, currency: 'usd', sessionId: 'cs_live_foreign' })))
    expect(dataOf(foreignExact, stripeWebhookRoute, 200).result).toBe('not_payable')
    expect((await orderRow(third.id))?.status).toBe('pending')
    expect(await purchaseRows(third.id)).toBe(0)
    expect(await creditsOf(user.id)).toBe(before)
  })
})

describe('settleOrder', () => {
  it('a payment reported by another provider than the order’s is an unknown order', async () => {
    const user = await newUser('stxprov')
    const order = await stripeOrder(user, await insertPackage({ priceCents: 300 }))
    expect(await settleOrder(env, { orderId: order.id, provider: 'wechat', amountCents: 300, currency: 'CNY', providerRef: 'x' })).toBe('unknown')
    expect((await orderRow(order.id))?.status).toBe('pending')
  })

  it('the dev pay link settles a dev order once, for its owner only', async () => {
    const [owner, other] = await Promise.all([newUser('devown'), newUser('devoth')])
    const before = await creditsOf(owner.id)
    const { order } = dataOf(await appCall({}, 'POST', '/api/credits/recharge', { packageId: (await insertPackage({ credits: 5, bonusCredits: 1 })).id, provider: 'dev' }, { token: owner.accessToken }), rechargeRoute, 201)
    expect(order.payment).toEqual({ provider: 'dev', payUrl: `/api/payments/dev/${order.id}/pay`, method: 'POST' })
    expectError(await appCall({}, 'POST', `/api/payments/dev/${order.id}/pay`, undefined, { token: other.accessToken }), 404, 'NOT_FOUND')
    expectError(await appCall({}, 'POST', `/api/payments/dev/${order.id}/pay`), 401, 'UNAUTHORIZED')
    const socket = await connect(owner.accessToken)
    const answers = await Promise.all(Array.from({ length: 5 }, () => appCall({}, 'POST', `/api/payments/dev/${order.id}/pay`, undefined, { token: owner.accessToken })))
    const results = answers.map((a) => dataOf(a, devPayRoute, 200).result).sort()
    expect(results).toEqual(['already_paid', 'already_paid', 'already_paid', 'already_paid', 'credited'])
    expect(await creditsOf(owner.id)).toBe(before + 6)
    // The owner's devices hear about the new balance.
    expect(await socket.waitFor((f) => f.type === 'credits.changed')).toMatchObject({ data: { balance: before + 6 } })
    // Outside development the route does not exist, even for the owner.
    expectError(await appCall({ ENVIRONMENT: 'production' }, 'POST', `/api/payments/dev/${order.id}/pay`, undefined, { token: owner.accessToken }), 404, 'NOT_FOUND')
  })
})
