import { env, runInDurableObject } from 'cloudflare:test'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { revokeAllSessions } from '../../src/features/auth/sessions'
import { authenticateToken } from '../../src/lib/auth'
import { sessionHeaders } from '../../src/realtime/socket-session'
import type { UserHub } from '../../src/features/hub/user-hub'
import { loginRoute, refreshTokensRoute } from '../../src/features/auth/routes'
import { changePasswordRoute } from '../../src/features/users/routes'
import { callJson, dataOf, expectError, login, newUser } from '../helpers'
import { type Client, client, closeAll, closeCode, connect, connectFirstFrame, expectAlive } from '../support/ws-client'

afterEach(() => {
  vi.useRealTimers()
  closeAll()
})

const hub = (userId: string) => env.USER_HUB.get(env.USER_HUB.idFromName(userId))
const refresh = (refreshToken: string) => callJson('POST', '/api/auth/refresh', { refreshToken })

/** Moves every socket of the hub to expire `inMs` from now (negative: already expired). */
function setExpiry(userId: string, inMs: number) {
  return runInDurableObject(hub(userId), async (_instance: UserHub, state) => {
    for (const socket of state.getWebSockets()) {
      socket.serializeAttachment({ ...(socket.deserializeAttachment() as object), expiresAt: Date.now() + inMs })
    }
  })
}

const runAlarm = (userId: string) => runInDurableObject(hub(userId), (instance: UserHub) => instance.alarm())
const alarmAt = (userId: string) => runInDurableObject(hub(userId), (_i: UserHub, state) => state.storage.getAlarm())

const both = [
  ['?token=', connect],
  ['first-frame auth', connectFirstFrame],
] as const

describe('sockets end with their session', () => {
  it.each(both)('logout closes the session socket with 4401 (%s), other sessions stay', async (_name, open) => {
    const user = await newUser('wsend')
    const other = dataOf(await login(user.username, user.password), loginRoute, 200)
    const socket = await open(user.accessToken)
    const otherSocket = await open(other.accessToken)
    expect((await callJson('POST', '/api/auth/logout', undefined, { token: user.accessToken })).status).toBe(200)
    expect(await closeCode(socket)).toBe(4401)
    await expectAlive(otherSocket)
  })

  it.each(both)('a password change closes the other device and keeps the current one (%s)', async (_name, open) => {
    const user = await newUser('wspw')
    const laptop = dataOf(await login(user.username, user.password), loginRoute, 200)
    const phoneSocket = await open(user.accessToken)
    const laptopSocket = await open(laptop.accessToken)
    const changed = await callJson('PUT', '/api/users/password', { currentPassword: user.password, newPassword: 'new-secret-2' }, { token: user.accessToken })
    dataOf(changed, changePasswordRoute, 200)
    expect(await closeCode(laptopSocket)).toBe(4401)
    await expectAlive(phoneSocket)
  })

  it.each(both)('refresh-token reuse closes the socket of that session (%s)', async (_name, open) => {
    const user = await newUser('wsreuse')
    const socket = await open(user.accessToken)
    const rotated = dataOf(await refresh(user.refreshToken), refreshTokensRoute, 200)
    await refresh(rotated.refreshToken)
    expectError(await refresh(user.refreshToken), 401, 'UNAUTHORIZED')
    expect(await closeCode(socket)).toBe(4401)
  })

  it('revokeAllSessions (account disabled) ends every session and closes every socket', async () => {
    const user = await newUser('wsall')
    const second = dataOf(await login(user.username, user.password), loginRoute, 200)
    const sockets: Client[] = [await connect(user.accessToken), await connectFirstFrame(second.accessToken)]
    expect(await revokeAllSessions(env, user.id, 'account_disabled')).toBe(2)
    for (const s of sockets) expect(await closeCode(s)).toBe(4401)
    for (const token of [user.accessToken, second.accessToken]) expectError(await callJson('GET', '/api/auth/me', undefined, { token }), 401, 'UNAUTHORIZED')
    expectError(await refresh(second.refreshToken), 401, 'UNAUTHORIZED')
    // Nothing left: a second call revokes nothing and does not throw.
    expect(await revokeAllSessions(env, user.id, 'account_disabled')).toBe(0)
  })
})

describe('sockets end with their access token unless re-authenticated', () => {
  it('the hub alarm is set to the token expiry', async () => {
    const user = await newUser('wsexp')
    await connect(user.accessToken)
    const exp = JSON.parse(atob(user.accessToken.split('.')[1]!.replace(/-/g, '+').replace(/_/g, '/'))).exp as number
    expect(await alarmAt(user.id)).toBe(exp * 1000)
  })

  it.each(both)('an expired token closes at its expiry with 4401 (%s)', async (_name, open) => {
    const user = await newUser('wsexp')
    const socket = await open(user.accessToken)
    // Not yet expired: the alarm keeps it.
    await setExpiry(user.id, 60_000)
    await runAlarm(user.id)
    await expectAlive(socket)
    await setExpiry(user.id, -1)
    await runAlarm(user.id)
    expect(await closeCode(socket)).toBe(4401)
  })

  it.each(both)('a re-auth frame with a fresh token extends the socket (%s)', async (_name, open) => {
    const user = await newUser('wsreauth')
    const socket = await open(user.accessToken)
    await setExpiry(user.id, 1_000)
    const fresh = dataOf(await refresh(user.refreshToken), refreshTokensRoute, 200)
    socket.ws.send(JSON.stringify({ type: 'auth', token: fresh.accessToken }))
    const ok = await socket.waitForType('auth.ok')
    expect(Date.parse(ok.data.expiresAt)).toBeGreaterThan(Date.now() + 800_000)
    expect(await alarmAt(user.id)).toBe(Date.parse(ok.data.expiresAt))
    // Five seconds later the old token would have expired; the alarm leaves the socket open.
    vi.useFakeTimers({ toFake: ['Date'] })
    vi.setSystemTime(Date.now() + 5_000)
    await runAlarm(user.id)
    vi.useRealTimers()
    await expectAlive(socket)
  })

  it.each(both)('a bad re-auth token, or another user\'s, closes the socket with 4401 (%s)', async (_name, open) => {
    const user = await newUser('wsbad')
    const stranger = await newUser('wsbad')
    for (const token of ['forged.token.here', stranger.accessToken]) {
      const socket = await open(user.accessToken)
      socket.ws.send(JSON.stringify({ type: 'auth', token }))
      expect(await closeCode(socket)).toBe(4401)
      expect(socket.frames.some((f) => f.type === 'error' && f.data.code === 'UNAUTHORIZED')).toBe(true)
    }
  })
})

describe('a revocation racing the connect', () => {
  it('a socket handed to the hub after its session was revoked closes with 4401 at once', async () => {
    const user = await newUser('wsrace')
    const { user: authUser, expiresAt } = await authenticateToken(env, user.accessToken)
    // The Worker checked the token; the session is revoked before the hub registers the socket.
    await env.DB.prepare("UPDATE sessions SET revoked_at = ?1, revoked_reason = 'logout' WHERE id = ?2").bind(Date.now(), authUser.sessionId).run()
    const res = await hub(user.id).fetch(new Request('http://localhost/api/ws', { headers: { Upgrade: 'websocket', ...sessionHeaders(authUser, expiresAt, true) } }))
    const socket = client(res)
    expect(await closeCode(socket)).toBe(4401)
    expect(socket.frames.map((f) => f.type)).not.toContain('connected')
  })
})
