import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest'
import type { PaymentOrder } from '../../src/features/payments/providers/types'
import {
  createJsapiPrepay,
  requireWechatConfig,
  type WechatPayConfig,
  wechatAuthorization,
  wechatProvider,
  wechatRequestPayment,
  wechatTime,
} from '../../src/features/payments/providers/wechat-pay'
import { mockFetch } from '../support/generation'
import { expectApiError, type RsaPair, rsaPair, rsaVerifyBase64, wechatSignedHeaders } from '../support/payments'

// The merchant side: what Darkroom sends to WeChat Pay. The mocked WeChat checks nothing itself;
// each test reads the recorded request and verifies the signatures with the merchant PUBLIC key,
// exactly as WeChat would.

afterEach(() => vi.restoreAllMocks())

const PLATFORM_SERIAL = 'PUB_KEY_ID_0114232134912410000000000000'
let merchant: RsaPair
let platform: RsaPair
let config: WechatPayConfig

beforeAll(async () => {
  ;[merchant, platform] = await Promise.all([rsaPair(), rsaPair()])
  config = {
    appId: 'wx-test-app',
    mchId: '1900009191',
    serialNo: '3775B6A45ACD588826D15E583A95F5DD12345678',
    privateKeyPem: merchant.privateKeyPem,
    platformPublicKeyPem: platform.publicKeyPem,
    platformSerial: PLATFORM_SERIAL,
    apiV3Key: '0123456789abcdefghijABCDEFGHIJ01',
    apiBase: 'https://wechatpay.test',
    notifyUrl: 'https://darkroom.test/api/payments/wechat/notify',
  }
})

const order: PaymentOrder = {
  id: 'ord_01jd0000000000000000000000',
  amountCents: 600,
  currency: 'cny',
  description: 'Darkroom 60 credits',
  expiresAt: new Date(Date.UTC(2026, 10, 22, 5, 30, 0)),
  payerOpenId: 'oUpF8uMuAJO_M2pxb1Q9zNjWeS6o',
}

const fetcher = (input: string, init: RequestInit) => fetch(input, init)

/** Splits `SCHEME k="v",k="v"` into its scheme and fields, in the order they appear. */
function parseAuthorization(header: string) {
  const match = /^(\S+) (.*)$/.exec(header)
  if (!match) throw new Error(`not an Authorization header: ${header}`)
  const fields = [...match[2]!.matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1]!, m[2]!] as const)
  expect(fields.map(([k, v]) => `${k}="${v}"`).join(',')).toBe(match[2])
  return { scheme: match[1], fields, get: (name: string) => Object.fromEntries(fields)[name] }
}

/** WeChat answering the prepay call: JSON signed with the platform key, as the real API does. */
async function signedAnswer(json: unknown, status = 200, opts: { timestamp?: number } = {}) {
  const body = JSON.stringify(json)
  const headers = await wechatSignedHeaders(platform.privateKey, body, { serial: PLATFORM_SERIAL, timestamp: opts.timestamp })
  return new Response(body, { status, headers })
}

describe('WeChat Pay request signing', () => {
  it('builds the WECHATPAY2-SHA256-RSA2048 header over METHOD, path with query, timestamp, nonce and body', async () => {
    const body = ''
    const header = await wechatAuthorization(config, { method: 'get', pathWithQuery: '/v3/certificates?x=1', body }, { timestamp: 1554208460, nonce: '593BEC0C930BF1AFEB40B4A08C8FB242' })
    const auth = parseAuthorization(header)
    expect(auth.scheme).toBe('WECHATPAY2-SHA256-RSA2048')
    expect(auth.fields.map(([k]) => k)).toEqual(['mchid', 'nonce_str', 'signature', 'timestamp', 'serial_no'])
    expect(auth.get('mchid')).toBe('1900009191')
    expect(auth.get('serial_no')).toBe('3775B6A45ACD588826D15E583A95F5DD12345678')
    expect(auth.get('timestamp')).toBe('1554208460')
    expect(auth.get('nonce_str')).toBe('593BEC0C930BF1AFEB40B4A08C8FB242')
    const message = 'GET\n/v3/certificates?x=1\n1554208460\n593BEC0C930BF1AFEB40B4A08C8FB242\n\n'
    expect(await rsaVerifyBase64(merchant.publicKey, message, auth.get('signature')!)).toBe(true)
    // The same signature does not cover another path: the test would notice a signer ignoring it.
    expect(await rsaVerifyBase64(merchant.publicKey, message.replace('x=1', 'x=2'), auth.get('signature')!)).toBe(false)
  })

  it('makes a fresh 32-character nonce and the current time when none is given', async () => {
    const before = Math.floor(Date.now() / 1000)
    const a = parseAuthorization(await wechatAuthorization(config, { method: 'POST', pathWithQuery: '/v3/x', body: '{}' }))
    const b = parseAuthorization(await wechatAuthorization(config, { method: 'POST', pathWithQuery: '/v3/x', body: '{}' }))
    expect(a.get('nonce_str')).toMatch(/^[A-Z0-9]{32}$/)
    expect(a.get('nonce_str')).not.toBe(b.get('nonce_str'))
    expect(Number(a.get('timestamp'))).toBeGreaterThanOrEqual(before)
    expect(Number(a.get('timestamp'))).toBeLessThanOrEqual(Math.floor(Date.now() / 1000))
  })

  it('signs wx.requestPayment: paySign over appId, timeStamp, nonceStr and package, each line ending in \\n', async () => {
    const params = await wechatRequestPayment(config, 'wx201410272009395522657a690389285100', { timestamp: 1414561699, nonce: '5K8264ILTKCH16CQ2502SI8ZNMTM67VS' })
    expect(params).toMatchObject({ timeStamp: '1414561699', nonceStr: '5K8264ILTKCH16CQ2502SI8ZNMTM67VS', package: 'prepay_id=wx201410272009395522657a690389285100', signType: 'RSA' })
    expect(Object.keys(params).sort()).toEqual(['nonceStr', 'package', 'paySign', 'signType', 'timeStamp'])
    const signed = 'wx-test-app\n1414561699\n5K8264ILTKCH16CQ2502SI8ZNMTM67VS\nprepay_id=wx201410272009395522657a690389285100\n'
    expect(await rsaVerifyBase64(merchant.publicKey, signed, params.paySign)).toBe(true)
    expect(await rsaVerifyBase64(merchant.publicKey, signed.replace('wx-test-app', 'wx-other-app'), params.paySign)).toBe(false)
  })

  it('a private key that is not PKCS#8 PEM is a CONFIGURATION_ERROR naming the variable (never its value)', async () => {
    const pkcs1 = merchant.privateKeyPem.replace(/PRIVATE KEY/g, 'RSA PRIVATE KEY')
    const error = await expectApiError(wechatRequestPayment({ appId: 'wx', privateKeyPem: pkcs1 }, 'p'), 'CONFIGURATION_ERROR')
    expect(error.message).toContain('WECHAT_PAY_PRIVATE_KEY')
    expect(error.message).not.toContain('MII')
  })

  it('accepts a PEM whose newlines arrived escaped as \\n (one-line secrets)', async () => {
    const oneLine = merchant.privateKeyPem.trim().replace(/\n/g, '\\n')
    const params = await wechatRequestPayment({ appId: 'wx-test-app', privateKeyPem: oneLine }, 'p1', { timestamp: 1, nonce: 'N' })
    expect(await rsaVerifyBase64(merchant.publicKey, 'wx-test-app\n1\nN\nprepay_id=p1\n', params.paySign)).toBe(true)
  })
})

describe('createJsapiPrepay', () => {
  it('POSTs the JSAPI order with the signed header and exact JSON body, and returns prepay_id', async () => {
    const { seen } = mockFetch(() => signedAnswer({ prepay_id: 'wx26112221580621e9b071c00d9e093b0000' }))
    const prepayId = await createJsapiPrepay(fetcher, config, order)
    expect(prepayId).toBe('wx26112221580621e9b071c00d9e093b0000')
    expect(seen).toHaveLength(1)
    const req = seen[0]!
    expect(req.method).toBe('POST')
    expect(req.url).toBe('https://wechatpay.test/v3/pay/transactions/jsapi')
    expect(req.headers.get('content-type')).toBe('application/json')
    expect(req.headers.get('accept')).toBe('application/json')
    expect(req.headers.get('user-agent')).toBeTruthy()
    expect(JSON.parse(req.body)).toEqual({
      appid: 'wx-test-app',
      mchid: '1900009191',
      description: 'Darkroom 60 credits',
      out_trade_no: 'ord_01jd0000000000000000000000',
      time_expire: '2026-11-22T13:30:00+08:00',
      notify_url: 'https://darkroom.test/api/payments/wechat/notify',
      amount: { total: 600, currency: 'CNY' },
      payer: { openid: 'oUpF8uMuAJO_M2pxb1Q9zNjWeS6o' },
    })
    // WeChat verifies the signature over the bytes it received: check it the same way.
    const auth = parseAuthorization(req.headers.get('authorization')!)
    expect(auth.scheme).toBe('WECHATPAY2-SHA256-RSA2048')
    const message = `POST\n/v3/pay/transactions/jsapi\n${auth.get('timestamp')}\n${auth.get('nonce_str')}\n${req.body}\n`
    expect(await rsaVerifyBase64(merchant.publicKey, message, auth.get('signature')!)).toBe(true)
  })

  it('maps WeChat refusals, unreachable servers and unsigned or odd answers to UPSTREAM_ERROR', async () => {
    mockFetch(() => signedAnswer({ code: 'PARAM_ERROR', message: '参数错误: out_trade_no' }, 400))
    const refused = await expectApiError(createJsapiPrepay(fetcher, config, order), 'UPSTREAM_ERROR')
    expect(refused.message).toContain('PARAM_ERROR')
    vi.restoreAllMocks()

    mockFetch(() => new Response('<html>bad gateway</html>', { status: 502 }))
    expect((await expectApiError(createJsapiPrepay(fetcher, config, order), 'UPSTREAM_ERROR')).message).toContain('HTTP 502')
    vi.restoreAllMocks()

    mockFetch(() => {
      throw new TypeError('connection reset')
    })
    expect((await expectApiError(createJsapiPrepay(fetcher, config, order), 'UPSTREAM_ERROR')).message).toMatch(/reached/)
    vi.restoreAllMocks()

    // A 2xx without WeChat's signature is treated as forged (WeChat's own rule).
    mockFetch(() => Response.json({ prepay_id: 'wx-forged' }))
    expect((await expectApiError(createJsapiPrepay(fetcher, config, order), 'UPSTREAM_ERROR')).message).toMatch(/signature/)
    vi.restoreAllMocks()

    mockFetch(() => signedAnswer({ something: 'else' }))
    expect((await expectApiError(createJsapiPrepay(fetcher, config, order), 'UPSTREAM_ERROR')).message).toMatch(/prepay_id/)
  })

  it('refuses an order without the payer openid before calling WeChat', async () => {
    const { seen } = mockFetch(() => undefined)
    await expectApiError(createJsapiPrepay(fetcher, config, { ...order, payerOpenId: undefined }), 'VALIDATION_ERROR')
    expect(seen).toHaveLength(0)
  })

  it('wechatProvider.create returns the prepay id and requestPayment parameters signed for it', async () => {
    mockFetch(() => signedAnswer({ prepay_id: 'wx-prepay-1' }))
    const payment = await wechatProvider.create(fetcher, config, order)
    expect(payment.provider).toBe('wechat')
    expect(payment.prepayId).toBe('wx-prepay-1')
    const p = payment.requestPayment
    expect(p.package).toBe('prepay_id=wx-prepay-1')
    expect(await rsaVerifyBase64(merchant.publicKey, `wx-test-app\n${p.timeStamp}\n${p.nonceStr}\n${p.package}\n`, p.paySign)).toBe(true)
  })
})

describe('WeChat Pay configuration', () => {
  it('names every missing variable (and never a value) in NOT_CONFIGURED', () => {
    let caught: unknown
    try {
      requireWechatConfig({ WECHAT_APP_ID: 'wx', WECHAT_PAY_MCH_ID: ' ', WECHAT_PAY_API_V3_KEY: 'secret-value' }, undefined)
    } catch (error) {
      caught = error
    }
    expect(caught).toMatchObject({ code: 'NOT_CONFIGURED', status: 503 })
    const message = (caught as Error).message
    for (const name of ['WECHAT_PAY_MCH_ID', 'WECHAT_PAY_SERIAL_NO', 'WECHAT_PAY_PRIVATE_KEY', 'WECHAT_PAY_PLATFORM_PUBLIC_KEY', 'WECHAT_PAY_PLATFORM_SERIAL', 'PUBLIC_BASE_URL']) {
      expect(message).toContain(name)
    }
    expect(message).not.toContain('WECHAT_APP_ID')
    expect(message).not.toContain('secret-value')
  })

  it('builds the config with the default API origin when WECHAT_PAY_API_BASE is unset', () => {
    const values = {
      WECHAT_APP_ID: 'wx', WECHAT_PAY_MCH_ID: '1', WECHAT_PAY_SERIAL_NO: 'S', WECHAT_PAY_PRIVATE_KEY: 'k',
      WECHAT_PAY_PLATFORM_PUBLIC_KEY: 'p', WECHAT_PAY_PLATFORM_SERIAL: 'PS', WECHAT_PAY_API_V3_KEY: 'v3',
    }
    expect(requireWechatConfig(values, 'https://d.test/n').apiBase).toBe('https://api.mch.weixin.qq.com')
    expect(requireWechatConfig({ ...values, WECHAT_PAY_API_BASE: 'https://mock.test/' }, 'https://d.test/n').apiBase).toBe('https://mock.test')
  })

  it('formats time_expire in China Standard Time with seconds precision', () => {
    expect(wechatTime(new Date(Date.UTC(2026, 11, 31, 20, 0, 0, 999)))).toBe('2027-01-01T04:00:00+08:00')
  })
})
