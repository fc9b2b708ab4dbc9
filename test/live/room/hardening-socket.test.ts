import { env, runInDurableObject } from 'cloudflare:test'
import { afterEach, describe, expect, it } from 'vitest'
import { signViewerToken } from '../../../src/features/live/shared/viewer-tokens'
import { loginRoute, logoutRoute } from '../../../src/features/auth/routes'
import { listLivePhotosRoute } from '../../../src/features/live/photos/routes'
import { updateLiveSessionRoute, verifyLiveAccessCodeRoute } from '../../../src/features/live/sessions/routes'
import { call, callApp, callJson, dataOf, expectError, newUser } from '../../helpers'
import { acceptLive, closeAllSockets, connectLive, createSession, distinctPngs, eventually, nth, ofType, seqOf, sleep, upgradeLive, uploadPhotos, viewerToken } from '../../support/live'

afterEach(closeAllSockets)

const room = (sessionId: string) => env.LIVE_ROOM.get(env.LIVE_ROOM.idFromName(sessionId))

/** Writes `n` events straight into the room's log (a long-running event without the uploads). */
async function fillLog(sessionId: string, n: number) {
  await runInDurableObject(room(sessionId), async (_instance, state) => {
    for (let i = 0; i < n; i++) {
      state.storage.sql.exec("INSERT INTO events (type, data, audience, ts) VALUES ('photo.removed', ?, 'all', ?)", JSON.stringify({ id: `lph_fake${i}` }), new Date().toISOString())
    }
  })
}

describe('resuming a live socket', () => {
  it('the photo list hands out the event seq; resuming from it replays nothing old and gets what follows', async () => {
    const owner = await newUser('lvown')
    const s = await createSession(owner.accessToken)
    await uploadPhotos(owner.accessToken, s.id, await distinctPngs(2))
    const guest = await viewerToken(s.id, s.accessCode)
    const list = dataOf(await callJson('GET', `/api/live/sessions/${s.id}/photos`, undefined, { token: guest }), listLivePhotosRoute, 200)
    expect(list.seq).toBeGreaterThanOrEqual(2)
    const socket = await connectLive(s.id, guest, list.seq)
    const next = nth(await uploadPhotos(owner.accessToken, s.id, await distinctPngs(1)), 0)
    const added = await socket.waitForType('photo.added', 'photo.added')
    expect(added.data.photo.id).toBe(next.id)
    expect(ofType(socket, 'photo.added')).toHaveLength(1)
    expect(added.seq).toBeGreaterThan(list.seq)
  })

  it('replayed photos carry URLs signed at delivery: after a code change they still load', async () => {
    const owner = await newUser('lvown')
    const s = await createSession(owner.accessToken)
    const photo = nth(await uploadPhotos(owner.accessToken, s.id, await distinctPngs(1)), 0)
    const put = dataOf(await callJson('PUT', `/api/live/sessions/${s.id}`, { regenerateCode: true }, { token: owner.accessToken }), updateLiveSessionRoute, 200)
    const guest = await viewerToken(s.id, put.session.accessCode)
    const socket = await connectLive(s.id, guest, 0)
    const replayed = await socket.waitForType('photo.added', (e) => e.data.photo.id === photo.id, 'the replayed photo')
    // Loaded without the viewer token, as an <img src> does: the signature alone must be current.
    const thumb = await call('GET', replayed.data.photo.thumbUrl)
    expect(thumb.status).toBe(200)
    expect(thumb.headers.get('Content-Type')).toMatch(/^image\//)
    const ownerSocket = await connectLive(s.id, owner.accessToken, 0)
    const ownerCopy = await ownerSocket.waitForType('photo.added', (e) => e.data.photo.id === photo.id, 'the owner copy')
    expect((await call('GET', ownerCopy.data.photo.previewUrl)).status).toBe(200)
  })

  it('replays in frames of at most 200 events, and asks for a resync beyond 1,000', async () => {
    const owner = await newUser('lvown')
    const s = await createSession(owner.accessToken)
    await fillLog(s.id, 450)
    const socket = await connectLive(s.id, owner.accessToken, 0)
    await eventually(() => socket.events.length >= 451, 'the replay')
    const sizes = socket.frames.slice(1).map((f) => (Array.isArray(f) ? f.length : 1))
    expect(sizes).toEqual([200, 200, 50])
    expect(socket.events.slice(1).map(seqOf)).toEqual(Array.from({ length: 450 }, (_, i) => i + 1))

    await fillLog(s.id, 600)
    const late = await connectLive(s.id, owner.accessToken, 0)
    const resync = await late.waitForType('resync', 'resync')
    expect(resync.data.seq).toBe(1050)
    expect(late.events.filter((e) => e.type === 'photo.removed')).toHaveLength(0)
  })

  it('an `after` older than the kept log gets resync; one inside it gets the replay', async () => {
    const owner = await newUser('lvown')
    const s = await createSession(owner.accessToken)
    await fillLog(s.id, 5)
    await runInDurableObject(room(s.id), async (_i, state) => {
      state.storage.sql.exec('DELETE FROM events WHERE seq <= 3')
      state.storage.sql.exec("INSERT INTO log_meta (key, value) VALUES ('pruned_through', 3)")
    })
    const old = await connectLive(s.id, owner.accessToken, 1)
    expect((await old.waitForType('resync')).data.seq).toBe(5)
    const fine = await connectLive(s.id, owner.accessToken, 3)
    await eventually(() => fine.events.length >= 3, 'the replay')
    expect(fine.events.slice(1).map(seqOf)).toEqual([4, 5])
  })
})

describe('room floods', () => {
  it('a guest may hold 4 sockets; the 5th is 429', async () => {
    const owner = await newUser('lvown')
    const s = await createSession(owner.accessToken)
    const guest = await viewerToken(s.id, s.accessCode)
    for (let i = 0; i < 4; i++) await connectLive(s.id, guest)
    const fifth = await upgradeLive(s.id, { token: guest })
    expect(fifth.status).toBe(429)
    expect((await fifth.json() as { code: string }).code).toBe('RATE_LIMITED')
    // Another guest is not affected.
    await connectLive(s.id, await viewerToken(s.id, s.accessCode))
  })

  it('a pending socket gets one auth frame: two valid ones in a row admit it once', async () => {
    const owner = await newUser('lvown')
    const s = await createSession(owner.accessToken)
    const guest = await viewerToken(s.id, s.accessCode)
    const socket = acceptLive(await upgradeLive(s.id))
    socket.ws.send(JSON.stringify({ type: 'auth', token: guest }))
    socket.ws.send(JSON.stringify({ type: 'auth', token: guest }))
    await socket.waitForType('connected', 'connected')
    await sleep(300)
    expect(ofType(socket, 'connected')).toHaveLength(1)
  })

  it('a guest that floods frames is closed with 1008; pings are free', async () => {
    const owner = await newUser('lvown')
    const s = await createSession(owner.accessToken)
    const socket = await connectLive(s.id, await viewerToken(s.id, s.accessCode))
    for (let i = 0; i < 30; i++) socket.ws.send('{"type":"ping"}')
    await socket.waitFor((e) => e.type === 'pong', 'pong')
    for (let i = 0; i < 25; i++) socket.ws.send(JSON.stringify({ type: 'hello', i }))
    expect((await socket.closed).code).toBe(1008)
  })

  it('upgrades go through the IP shield', async () => {
    const owner = await newUser('lvown')
    const s = await createSession(owner.accessToken, { accessCode: null })
    const refusing = { limit: async () => ({ success: false }) } as unknown as RateLimit
    const res = await callApp({ API_RATE_LIMITER: refusing }, 'GET', `/api/live/sessions/${s.id}/ws`, undefined, { headers: { Upgrade: 'websocket' } })
    expectError(res, 429, 'RATE_LIMITED')
  })
})

describe('sockets end with what opened them', () => {
  it('guests are closed with 4401 when endsAt passes', async () => {
    const owner = await newUser('lvown')
    const s = await createSession(owner.accessToken, { endsAt: new Date(Date.now() + 2500).toISOString() })
    const guest = await connectLive(s.id, await viewerToken(s.id, s.accessCode))
    const ownerSocket = await connectLive(s.id, owner.accessToken)
    const closed = await guest.closed
    expect(closed.code).toBe(4401)
    expect(closed.reason).toMatch(/ended/)
    await sleep(100)
    expect(ownerSocket.ws.readyState).toBe(WebSocket.OPEN)
  })

  it('a socket closes with 4401 when its viewer token expires, unless it authenticates again', async () => {
    const owner = await newUser('lvown')
    const s = await createSession(owner.accessToken)
    const verified = dataOf(await callJson('POST', `/api/live/sessions/${s.id}/verify`, { accessCode: s.accessCode, deviceId: 'expiring-device-0001' }), verifyLiveAccessCodeRoute, 200)
    const claims = { sessionId: s.id, guestId: verified.guestId, codeVersion: 1 }
    const short = (await signViewerToken(env, claims, 2)).token
    const expiring = await connectLive(s.id, short)
    const renewed = await connectLive(s.id, (await signViewerToken(env, claims, 2)).token)
    renewed.ws.send(JSON.stringify({ type: 'auth', token: verified.viewerToken }))
    const closed = await expiring.closed
    expect(closed).toMatchObject({ code: 4401 })
    expect(closed.reason).toMatch(/expired/)
    await sleep(1500)
    expect(renewed.ws.readyState).toBe(WebSocket.OPEN)
    // Re-authenticating as someone else is refused.
    const stranger = await viewerToken(s.id, s.accessCode)
    renewed.ws.send(JSON.stringify({ type: 'auth', token: stranger }))
    expect((await renewed.closed).code).toBe(4401)
  })
})

describe("the owner's live sockets end with the sign-in that opened them", () => {
  it('logout closes the owner socket of that session with 4401; guests and the owner on another device stay', async () => {
    const owner = await newUser('lvown')
    const s = await createSession(owner.accessToken)
    const other = dataOf(await callJson('POST', '/api/auth/login', { login: owner.username, password: owner.password }), loginRoute, 200)
    const console1 = await connectLive(s.id, owner.accessToken)
    const console2 = await connectLive(s.id, other.accessToken)
    const guest = await connectLive(s.id, await viewerToken(s.id, s.accessCode))
    dataOf(await callJson('POST', '/api/auth/logout', undefined, { token: owner.accessToken }), logoutRoute, 200)
    expect((await console1.closed).code).toBe(4401)
    await sleep(200)
    expect(console2.ws.readyState).toBe(WebSocket.OPEN)
    expect(guest.ws.readyState).toBe(WebSocket.OPEN)
  })

  it('an owner socket closes when its access token expires, unless re-authenticated', async () => {
    const owner = await newUser('lvown')
    const s = await createSession(owner.accessToken)
    const socket = await connectLive(s.id, owner.accessToken)
    // Moving the expiry into the past stands in for 15 minutes passing; the alarm does the rest.
    await runInDurableObject(room(s.id), async (instance, state) => {
      for (const ws of state.getWebSockets('owner')) ws.serializeAttachment({ ...ws.deserializeAttachment(), expiresAt: Date.now() - 1 })
      await (instance as unknown as { alarm(): Promise<void> }).alarm()
    })
    const closed = await socket.closed
    expect(closed.code).toBe(4401)
    expect(closed.reason).toMatch(/expired/)
  })
})
