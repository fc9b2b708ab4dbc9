import { env } from 'cloudflare:test'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { getMeRoute, wechatLoginRoute } from '../../src/features/auth/routes'
import { putSetting } from '../../src/features/settings/service'
import { callApp, callJson, countRows, dataOf, dbFirst, expectError } from '../helpers'

// The Worker runs in this isolate, so spying on globalThis.fetch intercepts its call to
// https://wechat.test/sns/jscode2session (WECHAT_API_BASE in vitest.config.ts). Any other
// outgoing request fails the test loudly instead of reaching the network.
type Upstream = (url: URL) => Response | Promise<Response>

function mockWechat(answer: Upstream) {
  const urls: URL[] = []
  const spy = vi.spyOn(globalThis, 'fetch').mockImplementation(async (input) => {
    const url = new URL(input instanceof Request ? input.url : String(input))
    if (url.origin !== 'https://wechat.test' || url.pathname !== '/sns/jscode2session') {
      throw new Error(`unexpected outgoing request to ${url}`)
    }
    urls.push(url)
    return answer(url)
  })
  return { spy, urls }
}

const json = (body: unknown, status = 200) =>
  new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'text/plain' } })

const wechatLogin = (code: unknown) => callJson('POST', '/api/auth/wechat/login', { code })

async function counts() {
  return { users: await countRows('users'), sessions: await countRows('sessions') }
}

afterEach(() => vi.restoreAllMocks())

describe('POST /api/auth/wechat/login', () => {
  it('exchanges the code server-side, creates the user, and finds the same user next time', async () => {
    const { urls } = mockWechat(() => json({ openid: 'openid-alpha', session_key: 'sk' }))
    const first = await wechatLogin('code-1')
    const data = dataOf(first, wechatLoginRoute, 200)
    expect(data.isNewUser).toBe(true)
    expect(data.user.username).toMatch(/^wx_[a-z0-9]+$/)
    expect(data.user.email).toBeNull()
    expect(data.accessToken).toBeTruthy()
    expect(data.refreshToken).toMatch(/^rt_/)

    // The exchange carried the app credentials and the code, as WeChat requires.
    expect(urls).toHaveLength(1)
    expect(Object.fromEntries(urls[0]!.searchParams)).toEqual({
      appid: 'wx-test-app',
      secret: 'wx-test-secret',
      js_code: 'code-1',
      grant_type: 'authorization_code',
    })
    const row = await dbFirst<{ wechat_open_id: string; password_hash: string | null }>(
      'SELECT wechat_open_id, password_hash FROM users WHERE id = ?', data.user.id)
    expect(row).toEqual({ wechat_open_id: 'openid-alpha', password_hash: null })
    // The openid stays server-side.
    expect(JSON.stringify(first.body)).not.toContain('openid-alpha')

    const me = await callJson('GET', '/api/auth/me', undefined, { token: data.accessToken })
    expect(dataOf(me, getMeRoute, 200).user.id).toBe(data.user.id)

    const before = await countRows('users')
    const second = dataOf(await wechatLogin('code-2'), wechatLoginRoute, 200)
    expect(second.isNewUser).toBe(false)
    expect(second.user.id).toBe(data.user.id)
    expect(await countRows('users')).toBe(before)
  })

  it('creates one user when the same new openid signs in twice at once', async () => {
    mockWechat(() => json({ openid: 'openid-concurrent', session_key: 'sk' }))
    const [resA, resB] = await Promise.all([wechatLogin('code-x'), wechatLogin('code-y')])
    expect([resA.status, resB.status]).toEqual([200, 200])
    const a = dataOf(resA, wechatLoginRoute, 200)
    const b = dataOf(resB, wechatLoginRoute, 200)
    expect(a.user.id).toBe(b.user.id)
    expect([a.isNewUser, b.isNewUser].sort()).toEqual([false, true])
    expect((await dbFirst<{ n: number }>("SELECT count(*) AS n FROM users WHERE wechat_open_id = 'openid-concurrent'"))?.n).toBe(1)
  })

  it('creates different users for different openids', async () => {
    let n = 0
    mockWechat(() => json({ openid: `openid-distinct-${++n}`, session_key: 'sk' }))
    const a = dataOf(await wechatLogin('code-a'), wechatLoginRoute, 200)
    const b = dataOf(await wechatLogin('code-b'), wechatLoginRoute, 200)
    expect(a.isNewUser).toBe(true)
    expect(b.isNewUser).toBe(true)
    expect(a.user.id).not.toBe(b.user.id)
    expect(a.user.username).not.toBe(b.user.username)
  })

  it.each([40029, 40163, 40226])('401 INVALID_CREDENTIALS for an invalid code (errcode %i), nothing created', async (errcode) => {
    mockWechat(() => json({ errcode, errmsg: 'invalid code' }))
    const before = await counts()
    const res = await wechatLogin('bad-code')
    expectError(res, 401, 'INVALID_CREDENTIALS')
    expect(await counts()).toEqual(before)
  })

  const outages: Array<[string, Upstream]> = [
    ['the request throws (network down)', () => { throw new TypeError('fetch failed') }],
    ['HTTP 500', () => new Response('upstream broke', { status: 500 })],
    ['HTTP 503 with JSON', () => json({ errcode: -1 }, 503)],
    ['a non-JSON body', () => new Response('<html>gateway</html>', { status: 200 })],
    ['errcode -1 (system busy)', () => json({ errcode: -1, errmsg: 'system error' })],
    ['no openid in the answer', () => json({ session_key: 'sk' })],
  ]
  it.each(outages)('502 UPSTREAM_ERROR when %s, nothing created', async (_name, answer) => {
    mockWechat(answer)
    const before = await counts()
    const res = await wechatLogin('good-code')
    expectError(res, 502, 'UPSTREAM_ERROR')
    // The app secret never leaks into an error.
    expect(JSON.stringify(res.body)).not.toContain('wx-test-secret')
    expect(await counts()).toEqual(before)
  })

  it('429 RATE_LIMITED with Retry-After when WeChat rate limits (errcode 45011)', async () => {
    mockWechat(() => json({ errcode: 45011, errmsg: 'api minute-quota reach limit' }))
    const before = await counts()
    const res = await wechatLogin('code')
    expectError(res, 429, 'RATE_LIMITED')
    expect(Number(res.res.headers.get('Retry-After'))).toBeGreaterThan(0)
    expect(await counts()).toEqual(before)
  })

  it('400 VALIDATION_ERROR without a code, and never calls WeChat', async () => {
    const { spy } = mockWechat(() => json({ openid: 'never' }))
    expectError(await callJson('POST', '/api/auth/wechat/login', {}), 400, 'VALIDATION_ERROR')
    expectError(await wechatLogin(''), 400, 'VALIDATION_ERROR')
    expectError(await wechatLogin(42), 400, 'VALIDATION_ERROR')
    expectError(await wechatLogin('x'.repeat(129)), 400, 'VALIDATION_ERROR')
    expect(spy).not.toHaveBeenCalled()
  })

  it('503 NOT_CONFIGURED without WeChat credentials, and never calls WeChat', async () => {
    const { spy } = mockWechat(() => json({ openid: 'never' }))
    const res = await callApp({ WECHAT_APP_ID: '', WECHAT_APP_SECRET: '' }, 'POST', '/api/auth/wechat/login', { code: 'abc' })
    expectError(res, 503, 'NOT_CONFIGURED')
    expect(spy).not.toHaveBeenCalled()
  })

  it('gives WeChat users no password: password change answers 400', async () => {
    mockWechat(() => json({ openid: 'openid-nopass', session_key: 'sk' }))
    const { accessToken } = dataOf(await wechatLogin('code'), wechatLoginRoute, 200)
    const res = await callJson('PUT', '/api/users/password', { currentPassword: 'anything-1', newPassword: 'new-pass-word-1' }, { token: accessToken })
    expectError(res, 400, 'VALIDATION_ERROR')
  })

  it('in maintenance an existing WeChat user signs in, but a first sign-in creates no account (503 MAINTENANCE)', async () => {
    mockWechat((url) => json({ openid: `openid-${url.searchParams.get('js_code')}`, session_key: 'sk' }))
    dataOf(await wechatLogin('mt-known'), wechatLoginRoute, 200)
    await putSetting(env, 'maintenance', true, null)
    try {
      const before = await counts()
      expectError(await wechatLogin('mt-new'), 503, 'MAINTENANCE')
      expect(await counts()).toEqual(before)
      expect(dataOf(await wechatLogin('mt-known'), wechatLoginRoute, 200).isNewUser).toBe(false)
    } finally {
      await putSetting(env, 'maintenance', false, null)
    }
  })
})
