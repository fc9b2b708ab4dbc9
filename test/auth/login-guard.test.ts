import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { networkOf } from '../../src/features/auth/networks'
import { closeAll, connect } from '../support/ws-client'
import { freshIp, login, newUser } from '../helpers'

describe('networkOf', () => {
  it('keeps IPv4 addresses, cuts IPv6 to its /64, and maps IPv4-in-IPv6 back', () => {
    expect(networkOf('203.0.113.7')).toBe('203.0.113.7')
    expect(networkOf('2001:db8:1:2:3:4:5:6')).toBe('2001:db8:1:2::/64')
    expect(networkOf('2001:DB8:0001:0002::ffff')).toBe('2001:db8:1:2::/64')
    expect(networkOf('2001:db8::1')).toBe('2001:db8:0:0::/64')
    expect(networkOf('::1')).toBe('0:0:0:0::/64')
    expect(networkOf('fe80::1%eth0')).toBe('fe80:0:0:0::/64')
    expect(networkOf('::ffff:198.51.100.4')).toBe('198.51.100.4')
    expect(networkOf('local')).toBe('local')
  })
})

describe('security.login_failures event', () => {
  // Failures are counted in fixed 15-minute windows: start the test just after a window opens.
  // The fake clock runs ahead of the real one, so the hub's expiry alarm stays in the future.
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ['Date'] })
    vi.setSystemTime(Math.ceil(Date.now() / 900_000) * 900_000 + 1_000)
  })
  afterEach(() => {
    closeAll()
    vi.useRealTimers()
  })

  it('tells every device of the owner about a burst of failures, coalesced, and nobody else', async () => {
    const user = await newUser('alert')
    const stranger = await newUser('alert')
    const device = await connect(user.accessToken)
    const other = await connect(stranger.accessToken)
    const alerts = () => device.frames.filter((f) => f.type === 'security.login_failures')
    for (let i = 1; i <= 4; i++) await login(user.username, `wrong-pass-${i}`, {}, { ip: freshIp() })
    await login(user.username, 'wrong-pass-5', {}, { ip: freshIp() })
    const first = await device.waitForType('security.login_failures')
    expect(first.data).toEqual({ failedAttempts: 5, windowMinutes: 15, throttled: false })
    for (let i = 6; i <= 19; i++) await login(user.username, `wrong-pass-${i}`, {}, { ip: freshIp() })
    expect(alerts()).toHaveLength(1)
    await login(user.username, 'wrong-pass-20', {}, { ip: freshIp() })
    const second = await device.waitForType('security.login_failures', (f) => f.data.failedAttempts === 20)
    expect(second.data.throttled).toBe(true)
    expect(alerts()).toHaveLength(2)
    expect(other.frames.map((f) => f.type)).toEqual(['connected'])
  })
})
