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
