import { afterEach, describe, expect, it, vi } from 'vitest'
import {
  adminCreatePackageRoute, adminDeletePackageRoute, adminListOrdersRoute, adminListPackagesRoute, adminUpdatePackageRoute,
} from '../../src/features/payments/admin-routes'
import { getOrderRoute, listOrdersRoute, listPackagesRoute, rechargeRoute } from '../../src/features/payments/routes'
import { callJson, dataOf, dbFirst, dbRun, expectError, newUser } from '../helpers'
import { makeAdmin, mockFetch } from '../support/generation'
import { appCall, insertPackage, orderRow, stripeSessionAnswer } from '../support/store'

// Packages, recharge and orders through the real routes. Stripe is configured in the test
// bindings (against a mocked API); WeChat Pay is not, so its recharge answers 503.

afterEach(() => vi.restoreAllMocks())

async function admin() {
  const user = await newUser('adm')
  await makeAdmin(user.id)
  return user
}

const devRecharge = (token: string, packageId: string, headers: Record<string, string> = {}) =>
  appCall({}, 'POST', '/api/credits/recharge', { packageId, provider: 'dev' }, { token, headers })

describe('packages', () => {
  it('the public list holds active packages by sort order then price, and names the available providers', async () => {
    const a = await insertPackage({ sortOrder: -900, priceCents: 900 })
    const b = await insertPackage({ sortOrder: -900, priceCents: 100 })
    const c = await insertPackage({ sortOrder: -901, priceCents: 5000 })
    const hidden = await insertPackage({ sortOrder: -902, active: false })
    const list = dataOf(await callJson('GET', '/api/credits/packages'), listPackagesRoute, 200)
    const ids = list.items.map((p) => p.id)
    expect(ids).not.toContain(hidden.id)
    expect(ids.indexOf(c.id)).toBeLessThan(ids.indexOf(b.id))
    expect(ids.indexOf(b.id)).toBeLessThan(ids.indexOf(a.id))
    expect(list.items.find((p) => p.id === a.id)).toEqual({ id: a.id, name: a.name, credits: 60, bonusCredits: 6, priceCents: 900, currency: 'CNY', badge: null })
    // Stripe is configured in the test bindings, dev exists in ENVIRONMENT=test, WeChat Pay has no keys.
    expect(list.providers).toEqual(['stripe', 'dev'])
    const prod = dataOf(await appCall({ ENVIRONMENT: 'production', STRIPE_SECRET_KEY: '' }, 'GET', '/api/credits/packages'), listPackagesRoute, 200)
    expect(prod.providers).toEqual([])
  })

  it('admins create, change and list packages; each change writes an audit row', async () => {
    const boss = await admin()
    const created = dataOf(
      await callJson('POST', '/api/admin/packages', { name: 'Value', credits: 300, bonusCredits: 30, priceCents: 2800, currency: 'CNY', badge: 'Popular' }, { token: boss.accessToken }),
      adminCreatePackageRoute, 201,
    ).package
    expect(created).toMatchObject({ name: 'Value', credits: 300, bonusCredits: 30, active: true, sortOrder: 0, badge: 'Popular' })
    const updated = dataOf(await callJson('PUT', `/api/admin/packages/${created.id}`, { priceCents: 2600, badge: null }, { token: boss.accessToken }), adminUpdatePackageRoute, 200).package
    expect(updated).toMatchObject({ priceCents: 2600, badge: null, credits: 300 })
    const audit = await dbFirst<{ n: number }>("SELECT COUNT(*) AS n FROM audit_log WHERE target_type = 'package' AND target_id = ?1 AND actor_id = ?2", created.id, boss.id)
    expect(audit?.n).toBe(2)
    const row = await dbFirst<{ before: string; after: string }>("SELECT before, after FROM audit_log WHERE action = 'packages.update' AND target_id = ?1", created.id)
    expect(JSON.parse(row!.before)).toEqual({ priceCents: 2800, badge: 'Popular' })
    expect(JSON.parse(row!.after)).toEqual({ priceCents: 2600, badge: null })
    const all = dataOf(await callJson('GET', '/api/admin/packages', undefined, { token: boss.accessToken }), adminListPackagesRoute, 200)
    expect(all.items.some((p) => p.id === created.id)).toBe(true)
  })

  it('refuses bad packages with 400 naming the field', async () => {
    const boss = await admin()
    const good = { name: 'X', credits: 10, priceCents: 100, currency: 'CNY' }
    for (const [field, value] of [['credits', 0], ['priceCents', 0], ['currency', 'cny'], ['currency', 'YUAN'], ['name', ''], ['bonusCredits', -1]] as const) {
      const body = expectError(await callJson('POST', '/api/admin/packages', { ...good, [field]: value }, { token: boss.accessToken }), 400, 'VALIDATION_ERROR')
      expect(JSON.stringify(body.details)).toContain(field)
    }
    expectError(await callJson('POST', '/api/admin/packages', { ...good, extra: 1 }, { token: boss.accessToken }), 400, 'VALIDATION_ERROR')
    const pkg = await insertPackage()
    expectError(await callJson('PUT', `/api/admin/packages/${pkg.id}`, {}, { token: boss.accessToken }), 400, 'VALIDATION_ERROR')
    expectError(await callJson('PUT', '/api/admin/packages/pkg_missing', { name: 'Y' }, { token: boss.accessToken }), 404, 'NOT_FOUND')
  })

  it('deletes a package without orders, deactivates one with orders', async () => {
    const boss = await admin()
    const buyer = await newUser('buyer')
    const unused = await insertPackage()
    const sold = await insertPackage()
    dataOf(await devRecharge(buyer.accessToken, sold.id), rechargeRoute, 201)
    const gone = await callJson('DELETE', `/api/admin/packages/${unused.id}`, undefined, { token: boss.accessToken })
    expect(dataOf(gone, adminDeletePackageRoute, 200)).toEqual({ id: unused.id, deleted: true, deactivated: false })
    expect(await dbFirst('SELECT id FROM credit_packages WHERE id = ?1', unused.id)).toBeNull()
    const kept = await callJson('DELETE', `/api/admin/packages/${sold.id}`, undefined, { token: boss.accessToken })
    expect(dataOf(kept, adminDeletePackageRoute, 200)).toEqual({ id: sold.id, deleted: false, deactivated: true })
    expect((kept.body as { message: string }).message).toMatch(/deactivated/)
    expect(await dbFirst('SELECT active FROM credit_packages WHERE id = ?1', sold.id)).toEqual({ active: 0 })
    // An inactive package can no longer be bought.
    expectError(await devRecharge(buyer.accessToken, sold.id), 404, 'NOT_FOUND')
    expectError(await callJson('DELETE', `/api/admin/packages/${unused.id}`, undefined, { token: boss.accessToken }), 404, 'NOT_FOUND')
    const actions = await dbFirst<{ n: number }>("SELECT COUNT(*) AS n FROM audit_log WHERE action IN ('packages.delete', 'packages.deactivate') AND target_id IN (?1, ?2)", unused.id, sold.id)
    expect(actions?.n).toBe(2)
  })

  it('every admin store route refuses anonymous callers (401) and non-admins (403)', async () => {
    const user = await newUser('plain')
    const routes: Array<[string, string, unknown?]> = [
      ['GET', '/api/admin/packages'], ['POST', '/api/admin/packages', { name: 'X', credits: 1, priceCents: 1, currency: 'CNY' }],
      ['PUT', '/api/admin/packages/pkg_x', { name: 'Y' }], ['DELETE', '/api/admin/packages/pkg_x'], ['GET', '/api/admin/orders'],
    ]
    for (const [method, path, body] of routes) {
      expectError(await callJson(method, path, body), 401, 'UNAUTHORIZED')
      expectError(await callJson(method, path, body, { token: user.accessToken }), 403, 'FORBIDDEN')
    }
  })
})

describe('recharge and orders', () => {
  it('creates a pending order with the package terms, payable for 30 minutes', async () => {
    const user = await newUser('rch')
    const pkg = await insertPackage({ credits: 100, bonusCredits: 10, priceCents: 1000, currency: 'USD' })
    const started = Date.now()
    const { order } = dataOf(await devRecharge(user.accessToken, pkg.id), rechargeRoute, 201)
    expect(order).toMatchObject({ status: 'pending', provider: 'dev', packageId: pkg.id, amountCents: 1000, currency: 'USD', credits: 100, bonusCredits: 10, paidAt: null })
    const lifetime = Date.parse(order.expiresAt) - started
    expect(lifetime).toBeGreaterThan(29 * 60_000)
    expect(lifetime).toBeLessThanOrEqual(30 * 60_000 + 5_000)
    // A later price change does not touch the order: its terms were copied.
    await dbRun('UPDATE credit_packages SET price_cents = 1 WHERE id = ?1', pkg.id)
    expect(dataOf(await callJson('GET', `/api/credits/orders/${order.id}`, undefined, { token: user.accessToken }), getOrderRoute, 200).order.amountCents).toBe(1000)
  })

  it('Idempotency-Key replays the same order; the same key with another body is 409', async () => {
    const user = await newUser('idem')
    const [p1, p2] = await Promise.all([insertPackage(), insertPackage()])
    const headers = { 'Idempotency-Key': 'buy-once-1' }
    const answers = await Promise.all([devRecharge(user.accessToken, p1.id, headers), devRecharge(user.accessToken, p1.id, headers), devRecharge(user.accessToken, p1.id, headers)])
    const ids = answers.map((a) => (a.body as { data: { order: { id: string } } }).data.order.id)
    expect(new Set(ids).size).toBe(1)
    expect(answers.map((a) => a.status).sort()).toEqual([200, 200, 201])
    const replay = answers.find((a) => a.status === 200)!
    expect(replay.res.headers.get('Idempotent-Replayed')).toBe('true')
    expect((await dbFirst<{ n: number }>('SELECT COUNT(*) AS n FROM orders WHERE user_id = ?1', user.id))?.n).toBe(1)
    expectError(await devRecharge(user.accessToken, p2.id, headers), 409, 'CONFLICT')
    // Keys are per user: another user's same key is a new order.
    const other = await newUser('idem2')
    expect((await devRecharge(other.accessToken, p1.id, headers)).status).toBe(201)
  })

  it('answers 404 for unknown packages, 503 for unconfigured providers, 400 for unknown providers', async () => {
    const user = await newUser('rchbad')
    const pkg = await insertPackage()
    expectError(await devRecharge(user.accessToken, 'pkg_missing'), 404, 'NOT_FOUND')
    const wechat = expectError(await appCall({}, 'POST', '/api/credits/recharge', { packageId: pkg.id, provider: 'wechat' }, { token: user.accessToken }), 503, 'NOT_CONFIGURED')
    expect(wechat.error).toMatch(/WECHAT_PAY_MCH_ID/)
    expectError(await appCall({ STRIPE_WEBHOOK_SECRET: '' }, 'POST', '/api/credits/recharge', { packageId: pkg.id, provider: 'stripe' }, { token: user.accessToken }), 503, 'NOT_CONFIGURED')
    expectError(await appCall({ ENVIRONMENT: 'production' }, 'POST', '/api/credits/recharge', { packageId: pkg.id, provider: 'dev' }, { token: user.accessToken }), 503, 'NOT_CONFIGURED')
    expectError(await appCall({}, 'POST', '/api/credits/recharge', { packageId: pkg.id, provider: 'paypal' }, { token: user.accessToken }), 400, 'VALIDATION_ERROR')
    expectError(await appCall({}, 'POST', '/api/credits/recharge', { packageId: pkg.id, provider: 'dev' }), 401, 'UNAUTHORIZED')
    // Nothing was written for any of them.
    expect((await dbFirst<{ n: number }>('SELECT COUNT(*) AS n FROM orders WHERE user_id = ?1', user.id))?.n).toBe(0)
  })

  it('a Stripe recharge returns the Checkout url; a refusal keeps the order as failed and answers 502', async () => {
    const user = await newUser('stripe')
    const pkg = await insertPackage({ priceCents: 999, currency: 'USD' })
    const { seen } = mockFetch((req) => stripeSessionAnswer(new URLSearchParams(req.body).get('client_reference_id')!))
    const { order } = dataOf(await appCall({}, 'POST', '/api/credits/recharge', { packageId: pkg.id, provider: 'stripe' }, { token: user.accessToken }), rechargeRoute, 201)
    expect(order.payment).toEqual({ provider: 'stripe', sessionId: `cs_test_${order.id}`, url: `https://checkout.stripe.com/c/pay/cs_test_${order.id}` })
    expect(seen[0]!.url).toBe('https://stripe.test/v1/checkout/sessions')
    expect(new URLSearchParams(seen[0]!.body).get('line_items[0][price_data][unit_amount]')).toBe('999')
    vi.restoreAllMocks()

    mockFetch(() => new Response(JSON.stringify({ error: { message: 'Invalid API Key provided' } }), { status: 401 }))
    const refused = expectError(await appCall({}, 'POST', '/api/credits/recharge', { packageId: pkg.id, provider: 'stripe' }, { token: user.accessToken }), 502, 'UPSTREAM_ERROR')
    // Stripe's own words may name the key: they go to the log, never to the payer or the order.
    expect(refused.error).toMatch(/stripe payment service did not accept the order; nothing was charged/)
    expect(JSON.stringify(refused)).not.toMatch(/API Key/i)
    const failed = await dbFirst<{ id: string }>("SELECT id FROM orders WHERE user_id = ?1 AND status = 'failed'", user.id)
    expect((await orderRow(failed!.id))?.failure_reason).toBe(refused.error)
  })

  it('limits recharges per user (each one calls a provider)', async () => {
    const user = await newUser('flood')
    const pkg = await insertPackage()
    for (let i = 0; i < 10; i++) expect((await devRecharge(user.accessToken, pkg.id)).status).toBe(201)
    const limited = expectError(await devRecharge(user.accessToken, pkg.id), 429, 'RATE_LIMITED')
    expect(limited).toBeTruthy()
  })

  it('lists my orders newest first with a status filter; another user’s order is 404', async () => {
    const [me, other] = await Promise.all([newUser('ordme'), newUser('ordoth')])
    const pkg = await insertPackage()
    const first = dataOf(await devRecharge(me.accessToken, pkg.id), rechargeRoute, 201).order
    const second = dataOf(await devRecharge(me.accessToken, pkg.id), rechargeRoute, 201).order
    await appCall({}, 'POST', `/api/payments/dev/${first.id}/pay`, undefined, { token: me.accessToken })
    const all = dataOf(await callJson('GET', '/api/credits/orders', undefined, { token: me.accessToken }), listOrdersRoute, 200)
    expect(all.items.map((o) => o.id)).toEqual([second.id, first.id])
    const paid = dataOf(await callJson('GET', '/api/credits/orders?status=paid', undefined, { token: me.accessToken }), listOrdersRoute, 200)
    expect(paid.items.map((o) => o.id)).toEqual([first.id])
    expect(paid.items[0]!.paidAt).not.toBeNull()
    expectError(await callJson('GET', `/api/credits/orders/${first.id}`, undefined, { token: other.accessToken }), 404, 'NOT_FOUND')
    expectError(await callJson('GET', '/api/credits/orders?status=lost', undefined, { token: me.accessToken }), 400, 'VALIDATION_ERROR')
    expect(dataOf(await callJson('GET', '/api/credits/orders', undefined, { token: other.accessToken }), listOrdersRoute, 200).items).toEqual([])
  })

  it('admins list every order with filters', async () => {
    const boss = await admin()
    const buyer = await newUser('adord')
    const pkg = await insertPackage()
    const order = dataOf(await devRecharge(buyer.accessToken, pkg.id), rechargeRoute, 201).order
    const page = dataOf(await callJson('GET', `/api/admin/orders?userId=${buyer.id}&provider=dev&status=pending`, undefined, { token: boss.accessToken }), adminListOrdersRoute, 200)
    expect(page.items).toHaveLength(1)
    expect(page.items[0]).toMatchObject({ id: order.id, userId: buyer.id, username: buyer.username })
    const none = dataOf(await callJson('GET', `/api/admin/orders?userId=${buyer.id}&status=paid`, undefined, { token: boss.accessToken }), adminListOrdersRoute, 200)
    expect(none.pagination.total).toBe(0)
    const future = dataOf(await callJson('GET', `/api/admin/orders?userId=${buyer.id}&from=2999-01-01T00:00:00Z`, undefined, { token: boss.accessToken }), adminListOrdersRoute, 200)
    expect(future.items).toEqual([])
    expectError(await callJson('GET', '/api/admin/orders?from=2026-02-01T00:00:00Z&to=2026-01-01T00:00:00Z', undefined, { token: boss.accessToken }), 400, 'VALIDATION_ERROR')
  })
})
