import { afterEach, describe, expect, it, vi } from 'vitest'
import { errorText, log, loggablePath, redact, withRequestId } from '../../src/lib/logger'

afterEach(() => vi.restoreAllMocks())

describe('structured logger', () => {
  it('strips ?token= and other credential parameters from logged paths', () => {
    expect(loggablePath('https://x.test/api/ws?token=eyJabc.def&after=3')).toBe('/api/ws?token=[redacted]&after=3')
    expect(loggablePath('/api/images/im_1/original?exp=9&sig=abcdef')).toBe('/api/images/im_1/original?exp=9&sig=[redacted]')
  })

  it('removes bearer tokens and JWTs from free text, e.g. an upstream error message', () => {
    const jwt = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ1c3JfMSJ9.c2lnbmF0dXJlMTIz'
    expect(redact(`fetch failed: Authorization: Bearer r8_secretvalue ${jwt}`)).toBe('fetch failed: Authorization: Bearer [redacted] [jwt]')
    expect(errorText(new TypeError('bad https://h.test/a?code=081xyz'))).toBe('TypeError: bad https://h.test/a?code=[redacted]')
  })

  it('writes one JSON line with level, msg, the request id and redacted fields', () => {
    const lines: string[] = []
    vi.spyOn(console, 'warn').mockImplementation((line: string) => void lines.push(line))
    withRequestId('req-42', () => log.warn('upstream slow', { password: 'hunter2', nested: { refreshToken: 'r' }, url: '/x?token=abc' }))
    expect(lines).toHaveLength(1)
    expect(JSON.parse(lines[0]!)).toEqual({
      level: 'warn',
      msg: 'upstream slow',
      requestId: 'req-42',
      password: '[redacted]',
      nested: { refreshToken: '[redacted]' },
      url: '/x?token=[redacted]',
    })
  })
})

describe('redaction covers the secrets this app handles', () => {
  it('hides fields by the ending of their name, known token shapes in text, and WeChat codes in URLs', () => {
    const lines: string[] = []
    vi.spyOn(console, 'error').mockImplementation((line: string) => void lines.push(line))
    log.error('x', {
      appSecret: 's',
      'x-api-key': 'k',
      'set-cookie': 'c',
      webhookSignature: 'v1,abc',
      note: 'refresh rt_abcdefgh12345 whsec_c2VjcmV0c2VjcmV0 r8_ABCDEFGH1234',
      url: 'https://api.weixin.qq.com/sns/jscode2session?appid=wx1&secret=zzz&js_code=081abc',
      deep: { a: { b: { c: { d: { e: 'far' } } } } },
    })
    const line = JSON.parse(lines[0]!)
    expect(line).toMatchObject({ appSecret: '[redacted]', 'x-api-key': '[redacted]', 'set-cookie': '[redacted]', webhookSignature: '[redacted]' })
    expect(line.note).toBe('refresh rt_[redacted] whsec_[redacted] r8_[redacted]')
    expect(line.url).toBe('https://api.weixin.qq.com/sns/jscode2session?appid=wx1&secret=[redacted]&js_code=[redacted]')
    expect(line.deep).toEqual({ a: { b: { c: '[truncated]' } } })
  })
})
