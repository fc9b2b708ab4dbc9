import { beforeAll, describe, expect, it } from 'vitest'
import {
  decryptWechatResource,
  readWechatNotification,
  verifyWechatSignature,
  type WechatPayConfig,
  wechatProvider,
} from '../../src/features/payments/providers/wechat-pay'
import { expectApiError, type RsaPair, rsaPair, wechatResource, wechatSignedHeaders } from '../support/payments'

// These tests play WeChat Pay: they hold the "platform" private key, sign notifications with it
// and encrypt resources under the APIv3 key, as WeChat's servers do.

const API_V3_KEY = '0123456789abcdefghijABCDEFGHIJ01' // 32 bytes, as WeChat issues them
const PLATFORM_SERIAL = '5157F09EFDC096DE15EBE81A47057A7232F1B8E1'
const NOW = Date.UTC(2026, 10, 22, 5, 0, 0)
const NOW_S = NOW / 1000

let merchant: RsaPair
let platform: RsaPair
let stranger: RsaPair
let config: WechatPayConfig

beforeAll(async () => {
  ;[merchant, platform, stranger] = await Promise.all([rsaPair(), rsaPair(), rsaPair()])
  config = {
    appId: 'wx-test-app',
    mchId: '1900009191',
    serialNo: '3775B6A45ACD588826D15E583A95F5DD12345678',
    privateKeyPem: merchant.privateKeyPem,
    platformPublicKeyPem: platform.publicKeyPem,
    platformSerial: PLATFORM_SERIAL,
    apiV3Key: API_V3_KEY,
    apiBase: 'https://wechatpay.test',
    notifyUrl: 'https://darkroom.test/api/payments/wechat/notify',
  }
})

const transaction = (overrides: Record<string, unknown> = {}) => ({
  appid: 'wx-test-app',
  mchid: '1900009191',
  out_trade_no: 'ord_01jd0000000000000000000000',
  transaction_id: '4200001234202611220000000001',
  trade_type: 'JSAPI',
  trade_state: 'SUCCESS',
  trade_state_desc: '支付成功',
  success_time: '2026-11-22T13:00:00+08:00',
  payer: { openid: 'oUpF8uMuAJO_M2pxb1Q9zNjWeS6o' },
  amount: { total: 600, payer_total: 600, currency: 'CNY', payer_currency: 'CNY' },
  ...overrides,
})

async function notificationBody(event = 'TRANSACTION.SUCCESS', tx: Record<string, unknown> = transaction(), resourceOpts = {}) {
  return JSON.stringify({
    id: 'EV-2018022511223320873',
    create_time: '2026-11-22T13:00:01+08:00',
    resource_type: 'encrypt-resource',
    event_type: event,
    summary: '支付成功',
    resource: await wechatResource(API_V3_KEY, JSON.stringify(tx), resourceOpts),
  })
}

async function deliver(body: string, opts: { key?: CryptoKey; serial?: string; timestamp?: number; headers?: Record<string, string | null> } = {}) {
  const headers = new Headers(
    await wechatSignedHeaders(opts.key ?? platform.privateKey, body, { serial: opts.serial ?? PLATFORM_SERIAL, timestamp: opts.timestamp ?? NOW_S }),
  )
  for (const [name, value] of Object.entries(opts.headers ?? {})) {
    if (value === null) headers.delete(name)
    else headers.set(name, value)
  }
  return wechatProvider.verify(config, { headers, body, now: NOW })
}

describe('WeChat Pay notifications', () => {
  it('a signed TRANSACTION.SUCCESS with a SUCCESS transaction is paid, with what WeChat reports', async () => {
    const verdict = await deliver(await notificationBody())
    expect(verdict).toEqual({
      kind: 'paid',
      orderId: 'ord_01jd0000000000000000000000',
      amountCents: 600,
      currency: 'CNY',
      providerRef: '4200001234202611220000000001',
    })
  })

  it('also verifies when the body arrives as raw bytes (what the route will pass)', async () => {
    const body = await notificationBody()
    const headers = new Headers(await wechatSignedHeaders(platform.privateKey, body, { serial: PLATFORM_SERIAL, timestamp: NOW_S }))
    const verdict = await wechatProvider.verify(config, { headers, body: new TextEncoder().encode(body), now: NOW })
    expect(verdict.kind).toBe('paid')
  })

  it('refuses a notification signed by any key but the platform key', async () => {
    const error = await expectApiError(deliver(await notificationBody(), { key: stranger.privateKey }), 'INVALID_SIGNATURE')
    expect(error.message).toMatch(/does not match/)
  })

  it('refuses a body changed after signing (the amount raised in transit)', async () => {
    const body = await notificationBody()
    const headers = new Headers(await wechatSignedHeaders(platform.privateKey, body, { serial: PLATFORM_SERIAL, timestamp: NOW_S }))
    const tampered = body.replace('"summary":"支付成功"', '"summary":"支付成功 "')
    expect(tampered).not.toBe(body)
    await expectApiError(wechatProvider.verify(config, { headers, body: tampered, now: NOW }), 'INVALID_SIGNATURE')
  })

  it('refuses another platform serial, even when the signature itself is good', async () => {
    const error = await expectApiError(deliver(await notificationBody(), { serial: 'PUB_KEY_ID_0000000000000000' }), 'INVALID_SIGNATURE')
    expect(error.message).toMatch(/Wechatpay-Serial/)
  })

  it('accepts the serial in another letter case (hex serials are case-insensitive)', async () => {
    expect((await deliver(await notificationBody(), { serial: PLATFORM_SERIAL.toLowerCase() })).kind).toBe('paid')
  })

  it('accepts timestamps up to 5 minutes away either way and refuses 301 seconds', async () => {
    const body = await notificationBody()
    expect((await deliver(body, { timestamp: NOW_S - 300 })).kind).toBe('paid')
    expect((await deliver(body, { timestamp: NOW_S + 300 })).kind).toBe('paid')
    const stale = await expectApiError(deliver(body, { timestamp: NOW_S - 301 }), 'INVALID_SIGNATURE')
    expect(stale.message).toMatch(/tolerance/)
    await expectApiError(deliver(body, { timestamp: NOW_S + 301 }), 'INVALID_SIGNATURE')
  })

  it('answers every malformed header with INVALID_SIGNATURE and a reason, never a raw exception', async () => {
    const body = await notificationBody()
    for (const name of ['wechatpay-timestamp', 'wechatpay-nonce', 'wechatpay-signature', 'wechatpay-serial']) {
      const error = await expectApiError(deliver(body, { headers: { [name]: null } }), 'INVALID_SIGNATURE')
      expect(error.message).toMatch(/Missing/)
    }
    expect((await expectApiError(deliver(body, { headers: { 'wechatpay-timestamp': '17e8' } }), 'INVALID_SIGNATURE')).message).toMatch(/Unix time/)
    expect((await expectApiError(deliver(body, { headers: { 'wechatpay-signature': 'not base64!' } }), 'INVALID_SIGNATURE')).message).toMatch(/base64/)
    await expectApiError(deliver(body, { headers: { 'wechatpay-signature': 'AAAA' } }), 'INVALID_SIGNATURE')
    // WeChat's own probe: a deliberately wrong signature the merchant must refuse.
    const probe = await expectApiError(deliver(body, { headers: { 'wechatpay-signature': 'WECHATPAY/SIGNTEST/abc' } }), 'INVALID_SIGNATURE')
    expect(probe.message).toMatch(/probe/)
  })

  it('refuses a tampered ciphertext, a tampered tag, other associated data and another APIv3 key', async () => {
    const resource = await wechatResource(API_V3_KEY, JSON.stringify(transaction()))
    const sealed = Uint8Array.from(atob(resource.ciphertext), (c) => c.charCodeAt(0))
    const flip = (index: number) => {
      const copy = sealed.slice()
      copy[index]! ^= 0x01
      return btoa(String.fromCharCode(...copy))
    }
    expect(await decryptWechatResource(API_V3_KEY, resource)).toContain('"trade_state":"SUCCESS"')
    await expectApiError(decryptWechatResource(API_V3_KEY, { ...resource, ciphertext: flip(0) }), 'INVALID_SIGNATURE')
    await expectApiError(decryptWechatResource(API_V3_KEY, { ...resource, ciphertext: flip(sealed.length - 1) }), 'INVALID_SIGNATURE')
    await expectApiError(decryptWechatResource(API_V3_KEY, { ...resource, associated_data: 'certificate' }), 'INVALID_SIGNATURE')
    await expectApiError(decryptWechatResource(API_V3_KEY, { ...resource, nonce: 'fdasflkja485' }), 'INVALID_SIGNATURE')
    await expectApiError(decryptWechatResource('Z123456789abcdefghijABCDEFGHIJ01', resource), 'INVALID_SIGNATURE')
  })

  it('reads an empty or absent associated_data as the empty string, as WeChat does', async () => {
    const resource = await wechatResource(API_V3_KEY, '{"ok":true}', { associatedData: '' })
    expect(await decryptWechatResource(API_V3_KEY, resource)).toBe('{"ok":true}')
    const { associated_data: _dropped, ...withoutAd } = resource
    expect(await decryptWechatResource(API_V3_KEY, withoutAd)).toBe('{"ok":true}')
  })

  it('answers a malformed resource with VALIDATION_ERROR and a short key with CONFIGURATION_ERROR', async () => {
    const resource = await wechatResource(API_V3_KEY, '{}')
    await expectApiError(decryptWechatResource(API_V3_KEY, undefined), 'VALIDATION_ERROR')
    await expectApiError(decryptWechatResource(API_V3_KEY, { ...resource, algorithm: 'AEAD_AES_128_GCM' }), 'VALIDATION_ERROR')
    await expectApiError(decryptWechatResource(API_V3_KEY, { ...resource, ciphertext: '%%%' }), 'VALIDATION_ERROR')
    await expectApiError(decryptWechatResource(API_V3_KEY, { ...resource, ciphertext: btoa('short') }), 'VALIDATION_ERROR')
    await expectApiError(decryptWechatResource(API_V3_KEY, { ...resource, nonce: '' }), 'VALIDATION_ERROR')
    await expectApiError(decryptWechatResource('too-short', resource), 'CONFIGURATION_ERROR')
  })

  it('ignores (acknowledges, credits nothing) other events, unpaid trades and other merchants', async () => {
    expect(await deliver(await notificationBody('REFUND.SUCCESS'))).toMatchObject({ kind: 'ignored', reason: expect.stringContaining('REFUND.SUCCESS') })
    expect(await deliver(await notificationBody('TRANSACTION.SUCCESS', transaction({ trade_state: 'NOTPAY' })))).toMatchObject({ kind: 'ignored' })
    expect(await deliver(await notificationBody('TRANSACTION.SUCCESS', transaction({ mchid: '1900000000' })))).toMatchObject({ kind: 'ignored' })
    expect(await deliver(await notificationBody('TRANSACTION.SUCCESS', transaction({ appid: 'wx-other' })))).toMatchObject({ kind: 'ignored' })
  })

  it('reports the amount and currency as paid, so the settle step can compare them with the order', async () => {
    const usd = transaction({ amount: { total: 599, currency: 'usd' } })
    expect(await deliver(await notificationBody('TRANSACTION.SUCCESS', usd))).toMatchObject({ kind: 'paid', amountCents: 599, currency: 'USD' })
  })

  it('answers signed but unusable content with VALIDATION_ERROR', async () => {
    await expectApiError(readWechatNotification(config, 'not json'), 'VALIDATION_ERROR')
    await expectApiError(readWechatNotification(config, '[]'), 'VALIDATION_ERROR')
    await expectApiError(deliver(await notificationBody('TRANSACTION.SUCCESS', transaction({ out_trade_no: undefined }))), 'VALIDATION_ERROR')
    await expectApiError(deliver(await notificationBody('TRANSACTION.SUCCESS', transaction({ amount: { total: '600' } }))), 'VALIDATION_ERROR')
  })

  it('a platform key that is not SPKI PEM is a CONFIGURATION_ERROR naming the variable, not a refusal', async () => {
    const body = await notificationBody()
    const headers = new Headers(await wechatSignedHeaders(platform.privateKey, body, { serial: PLATFORM_SERIAL, timestamp: NOW_S }))
    const error = await expectApiError(
      verifyWechatSignature({ platformPublicKeyPem: '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----', platformSerial: PLATFORM_SERIAL }, headers, body, NOW),
      'CONFIGURATION_ERROR',
    )
    expect(error.message).toContain('WECHAT_PAY_PLATFORM_PUBLIC_KEY')
  })
})
