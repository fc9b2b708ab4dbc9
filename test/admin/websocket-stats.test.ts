import { env } from 'cloudflare:test'
import { afterEach, beforeAll, describe, expect, it } from 'vitest'
import { pruneStaleSocketCounts, STALE_AFTER_MS } from '../../src/realtime/socket-counts'
import { adminUpdateUserRoute, websocketStatsRoute } from '../../src/features/admin/routes'
import { callJson, dataOf, newUser, type TestUser } from '../helpers'
import { makeAdmin } from '../support/generation'
import { closeAllSockets, connectLive, createSession, eventually, viewerToken } from '../support/live'
import { closeAll, closeCode, connect } from '../support/ws-client'

let admin: TestUser

beforeAll(async () => {
  admin = await newUser('wsadmin')
  await makeAdmin(admin.id)
})

afterEach(() => {
  closeAll()
  closeAllSockets()
})

const stats = async () => dataOf(await callJson('GET', '/api/websocket/stats', undefined, { token: admin.accessToken }), websocketStatsRoute, 200)

// Storage is isolated per test file, so the registry holds only this file's sockets.
describe('GET /api/websocket/stats', () => {
  it('counts user devices at once on connect and close', async () => {
    expect(await stats()).toMatchObject({ total: 0, userSockets: 0, usersConnected: 0, liveRooms: 0, topLiveSessions: [] })
    const user = await newUser('wsuser')
    const phone = await connect(user.accessToken)
    // The hub reports off the handshake, within REPORT_DELAY_MS.
    await eventually(async () => (await stats()).userSockets === 1, 'the first device to be counted')
    expect(await stats()).toMatchObject({ total: 1, userSockets: 1, usersConnected: 1 })
    const laptop = await connect(user.accessToken)
    await eventually(async () => (await stats()).userSockets === 2, 'the second device to be counted')
    expect(await stats()).toMatchObject({ userSockets: 2, usersConnected: 1 })
    laptop.ws.close(1000, 'bye')
    await eventually(async () => (await stats()).userSockets === 1, 'the closed device to be counted out')
    // Disabling the account closes the remaining socket, and the registry follows.
    dataOf(await callJson('PUT', `/api/admin/users/${user.id}`, { isActive: false }, { token: admin.accessToken }), adminUpdateUserRoute, 200)
    expect(await closeCode(phone)).toBe(4401)
    await eventually(async () => (await stats()).usersConnected === 0, 'the disabled user to be counted out')
  })

  it('counts live owners and guests (within about a second) and ranks sessions by viewers', async () => {
    const owner = await newUser('wsowner')
    const quiet = await createSession(owner.accessToken, { title: 'Quiet room' })
    const busy = await createSession(owner.accessToken, { title: 'Busy room' })
    await connectLive(busy.id, owner.accessToken)
    const guests = [await connectLive(busy.id, await viewerToken(busy.id, busy.accessCode)), await connectLive(busy.id, await viewerToken(busy.id, busy.accessCode))]
    await connectLive(quiet.id, await viewerToken(quiet.id, quiet.accessCode))
    await eventually(async () => {
      const s = await stats()
      return s.liveGuests === 3 && s.liveOwners === 1
    }, 'owners and guests to be reported')
    const s = await stats()
    expect(s).toMatchObject({ liveRooms: 2, total: 4 })
    expect(s.topLiveSessions).toEqual([
      { sessionId: busy.id, title: 'Busy room', viewers: 2, owners: 1 },
      { sessionId: quiet.id, title: 'Quiet room', viewers: 1, owners: 0 },
    ])
    guests[0]!.close()
    await eventually(async () => (await stats()).liveGuests === 2, 'the guest who left to be counted out')
  })
})

describe('pruneStaleSocketCounts (cron)', () => {
  it('deletes only rows older than STALE_AFTER_MS: an object reset without its close events stops being counted', async () => {
    const now = Date.now()
    const insert = (room: string, updatedAt: number) =>
      env.DB.prepare("INSERT INTO socket_counts (room, kind, target_id, devices, owners, guests, updated_at) VALUES (?1, 'user', ?1, 1, 0, 0, ?2)").bind(room, updatedAt).run()
    await insert('user:prune-old', now - STALE_AFTER_MS - 1)
    await insert('user:prune-fresh', now - STALE_AFTER_MS + 60_000)
    expect(await pruneStaleSocketCounts(env, now)).toBe(1)
    const left = await env.DB.prepare("SELECT room FROM socket_counts WHERE room LIKE 'user:prune-%'").all<{ room: string }>()
    expect(left.results.map((r) => r.room)).toEqual(['user:prune-fresh'])
    await env.DB.prepare("DELETE FROM socket_counts WHERE room LIKE 'user:prune-%'").run()
  })
})
