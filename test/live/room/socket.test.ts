import { afterEach, describe, expect, it } from 'vitest'
import { callJson, dataOf, expectError, newUser } from '../../helpers'
import { acceptLive, closeAllSockets, connectLive, createSession, distinctPngs, type LiveSocket, nth, ofType, type SocketEvent, seqOf, upgradeLive, uploadPhotos, viewerToken } from '../../support/live'
import type { LiveFrame } from '../../../src/features/live/room/schemas'
import { deleteLivePhotoRoute, moderateLivePhotosRoute, updateLivePhotoRoute } from '../../../src/features/live/photos/routes'
import { deleteLiveSessionRoute, updateLiveSessionRoute } from '../../../src/features/live/sessions/routes'

afterEach(closeAllSockets)

const seqsOf = (events: SocketEvent[]) =>
  events.flatMap((e) => {
    const seq = seqOf(e)
    return e.type !== 'connected' && seq !== undefined ? [seq] : []
  })

/** Publishes a `session.updated` to everyone; waiting for it on a socket proves all earlier events arrived. */
async function barrier(ownerToken: string, sessionId: string, sockets: LiveSocket[]) {
  const title = `t${Math.random()}`
  dataOf(await callJson('PUT', `/api/live/sessions/${sessionId}`, { title }, { token: ownerToken }), updateLiveSessionRoute, 200)
  for (const s of sockets) await s.waitForType('session.updated', (e) => e.data.session.title === title, 'the barrier event')
}

describe('connecting', () => {
  it('owner (access token) and guest (viewer token) connect with ?token=; connected {seq} comes first; ping → pong', async () => {
    const owner = await newUser('lvown')
    const s = await createSession(owner.accessToken)
    const o = await connectLive(s.id, owner.accessToken)
    expect(o.frames[0]).toMatchObject({ type: 'connected', seq: 0, data: { seq: 0, role: 'owner' } })
    await uploadPhotos(owner.accessToken, s.id, await distinctPngs(1))
    const g = await connectLive(s.id, await viewerToken(s.id, s.accessCode))
    // Two events were stored (the owner's and the guests' photo.added): the guest starts from there.
    expect(g.frames[0]).toMatchObject({ type: 'connected', seq: 2, data: { seq: 2, role: 'guest' } })
    g.ws.send('{"type":"ping"}')
    await g.waitFor((e) => e.type === 'pong', 'pong')
  })

  it('first-frame auth {"type":"auth","token"} works for guests and the owner', async () => {
    const owner = await newUser('lvown')
    const s = await createSession(owner.accessToken)
    for (const [token, role] of [[await viewerToken(s.id, s.accessCode), 'guest'], [owner.accessToken, 'owner']]) {
      const res = await upgradeLive(s.id)
      expect(res.status).toBe(101)
      const socket = acceptLive(res)
      socket.ws.send(JSON.stringify({ type: 'auth', token }))
      const hello = await socket.waitForType('connected', 'connected')
      expect(hello.data.role).toBe(role)
    }
  })

  it('a bad ?token= is 401 before any upgrade; unknown sessions 404; no Upgrade header 426', async () => {
    const owner = await newUser('lvown')
    const stranger = await newUser('lvstr')
    const s = await createSession(owner.accessToken)
    for (const token of ['garbage', `${owner.accessToken}x`, stranger.accessToken]) {
      const res = await upgradeLive(s.id, { token })
      expect(res.status).toBe(401)
      expect(res.webSocket).toBeNull()
      expectError({ status: res.status, body: await res.json(), res }, 401, 'UNAUTHORIZED')
    }
    expect((await upgradeLive('lvs_nope', { token: owner.accessToken })).status).toBe(404)
    expect((await upgradeLive(s.id, { token: owner.accessToken }, {})).status).toBe(426)
  })

  /** Sends `frame` as the first frame of a socket without ?token= and returns how it was closed, and when. */
  async function firstFrame(sessionId: string, frame: string | Uint8Array) {
    const socket = acceptLive(await upgradeLive(sessionId))
    const sentAt = Date.now()
    socket.ws.send(frame)
    const { code } = await socket.closed
    return { code, ms: Date.now() - sentAt, connected: ofType(socket, 'connected').length }
  }

  it('a first frame that is not a valid auth frame closes the socket with 4401 at once; silence after 5 s', async () => {
    const owner = await newUser('lvown')
    const s = await createSession(owner.accessToken)
    const silent = acceptLive(await upgradeLive(s.id))
    const started = Date.now()
    for (const frame of ['{"type":"hello"}', '[1,2]', JSON.stringify({ type: 'auth', token: 'forged.token.here' }), JSON.stringify({ type: 'auth' })]) {
      const closed = await firstFrame(s.id, frame)
      // Well before the 5 s auth deadline: the server answered the frame itself.
      expect(closed, frame).toEqual({ code: 4401, ms: expect.any(Number), connected: 0 })
      expect(closed.ms, frame).toBeLessThan(2500)
    }
    expect((await silent.closed).code).toBe(4401)
    expect(Date.now() - started).toBeGreaterThanOrEqual(4000)
    expect(ofType(silent, 'connected')).toEqual([])
  }, 15_000)

  it('a first frame that is not even JSON (text or binary) is refused at once with 4401 too', async () => {
    const owner = await newUser('lvown')
    const s = await createSession(owner.accessToken)
    for (const frame of ['hello', new Uint8Array([0x7b, 0x7d, 0xff])]) {
      const closed = await firstFrame(s.id, frame)
      expect(closed.code, String(frame)).toBe(4401)
      // Not left open until the 5 s auth deadline: garbage is as much "not an auth frame" as JSON is.
      expect(closed.ms, String(frame)).toBeLessThan(2500)
    }
  }, 15_000)
})

describe('events', () => {
  it('every stored event gets the next seq of the session; owner and guests get their own copies', async () => {
    const owner = await newUser('lvown')
    const s = await createSession(owner.accessToken)
    const o = await connectLive(s.id, owner.accessToken)
    const g = await connectLive(s.id, await viewerToken(s.id, s.accessCode))
    const photos = await uploadPhotos(owner.accessToken, s.id, await distinctPngs(3))
    await g.waitForType('photo.added', (e) => e.data.photo.id === nth(photos, 2).id, 'third photo')
    dataOf(await callJson('PUT', `/api/live/photos/${nth(photos, 0).id}`, { caption: 'hi' }, { token: owner.accessToken }), updateLivePhotoRoute, 200)
    await barrier(owner.accessToken, s.id, [o, g])
    // Three photos arrived together: one array frame each.
    expect(o.frames.filter(Array.isArray).map((f) => f.length)).toEqual([3])
    expect(g.frames.filter(Array.isArray).map((f) => f.length)).toEqual([3])
    expect(ofType(o, 'photo.added').map((e) => e.data.photo.imageId)).toEqual(photos.map((p) => p.imageId))
    expect(ofType(g, 'photo.added').every((e) => !('imageId' in e.data.photo))).toBe(true)
    expect(ofType(g, 'photo.updated').map((e) => e.data.photo.caption)).toEqual(['hi'])
    const guestSession = ofType(g, 'session.updated')[0]!.data.session
    expect(guestSession).not.toHaveProperty('accessCode')
    // Each socket sees increasing seqs; together they cover 1..n without gaps or repeats.
    for (const socket of [o, g]) {
      const seqs = seqsOf(socket.events)
      expect(seqs).toEqual([...seqs].sort((a, b) => a - b))
    }
    const all = [...new Set([...seqsOf(o.events), ...seqsOf(g.events)])].sort((a, b) => a - b)
    expect(all).toEqual(Array.from({ length: all.length }, (_, i) => i + 1))
    expect(all.length).toBe(3 * 2 + 2 + 1)
    expect(ofType(o, 'presence').every((e) => e.seq === undefined)).toBe(true)
  })

  it('reconnecting with after=<last seq> replays exactly the missed events in order, then live ones', async () => {
    const owner = await newUser('lvown')
    const s = await createSession(owner.accessToken)
    const token = await viewerToken(s.id, s.accessCode)
    const first = await connectLive(s.id, token, 0)
    const p1 = nth(await uploadPhotos(owner.accessToken, s.id, await distinctPngs(1)), 0)
    await first.waitForType('photo.added', 'p1')
    const last = Math.max(...seqsOf(first.events))
    first.close()
    await first.closed
    const missed = await uploadPhotos(owner.accessToken, s.id, await distinctPngs(2))
    const p4 = nth(await uploadPhotos(owner.accessToken, s.id, await distinctPngs(1)), 0)
    dataOf(await callJson('DELETE', `/api/live/photos/${p1.id}`, undefined, { token: owner.accessToken }), deleteLivePhotoRoute, 200)

    const again = await connectLive(s.id, token, last)
    expect(again.events[0]?.type).toBe('connected')
    const live = await uploadPhotos(owner.accessToken, s.id, await distinctPngs(1))
    await again.waitForType('photo.added', (e) => e.data.photo.id === nth(live, 0).id, 'the live photo')
    const replayed = again.events.filter((e) => seqOf(e) !== undefined && e.type !== 'connected')
    expect(replayed.map((e) => [e.type, e.type === 'photo.added' ? e.data.photo.id : e.type === 'photo.removed' ? e.data.id : null])).toEqual([
      ['photo.added', nth(missed, 0).id],
      ['photo.added', nth(missed, 1).id],
      ['photo.added', p4.id],
      ['photo.removed', p1.id],
      ['photo.added', nth(live, 0).id],
    ])
    const seqs = seqsOf(replayed)
    expect(seqs[0]).toBeGreaterThan(last)
    expect(seqs).toEqual([...new Set(seqs)].sort((a, b) => a - b))
  })
})

describe('moderation and guests', () => {
  it('guests never receive pending photos: approve → photo.added, hide → photo.removed', async () => {
    const owner = await newUser('lvown')
    const s = await createSession(owner.accessToken, { moderation: 'manual' })
    const token = await viewerToken(s.id, s.accessCode)
    const o = await connectLive(s.id, owner.accessToken)
    const g = await connectLive(s.id, token)
    const photo = nth(await uploadPhotos(owner.accessToken, s.id, await distinctPngs(1)), 0)
    const added = await o.waitForType('photo.added', 'owner photo.added')
    expect(added.data.photo).toMatchObject({ id: photo.id, status: 'pending' })
    await barrier(owner.accessToken, s.id, [g])
    expect(g.events.filter((e) => e.type.startsWith('photo.'))).toEqual([])

    dataOf(await callJson('PUT', `/api/live/photos/${photo.id}`, { status: 'approved' }, { token: owner.accessToken }), updateLivePhotoRoute, 200)
    const shown = await g.waitForType('photo.added', 'guest photo.added')
    expect(shown.data.photo).toMatchObject({ id: photo.id, status: 'approved' })
    expect(shown.data.photo).not.toHaveProperty('imageId')
    await o.waitForType('photo.updated', (e) => e.data.photo.status === 'approved', 'owner photo.updated')

    dataOf(await callJson('PUT', `/api/live/photos/${photo.id}`, { status: 'hidden' }, { token: owner.accessToken }), updateLivePhotoRoute, 200)
    const removed = await g.waitForType('photo.removed', 'guest photo.removed')
    expect(removed.data).toEqual({ id: photo.id })
    await barrier(owner.accessToken, s.id, [g, o])
    expect(g.events.filter((e) => e.type.startsWith('photo.')).map((e) => e.type)).toEqual(['photo.added', 'photo.removed'])
    // A replay from the start shows the guest the same story, nothing pending.
    const replay = await connectLive(s.id, token, 0)
    await replay.waitForType('session.updated', 'replayed events')
    expect(replay.events.filter((e) => e.type.startsWith('photo.')).map((e) => e.type)).toEqual(['photo.added', 'photo.removed'])
  })

  it('a batch approve reaches each guest as one array frame', async () => {
    const owner = await newUser('lvown')
    const s = await createSession(owner.accessToken, { moderation: 'manual' })
    const photos = await uploadPhotos(owner.accessToken, s.id, await distinctPngs(12))
    const g = await connectLive(s.id, await viewerToken(s.id, s.accessCode))
    const ids = photos.map((p) => p.id)
    dataOf(await callJson('POST', '/api/live/photos/batch', { ids, action: 'approve' }, { token: owner.accessToken }), moderateLivePhotosRoute, 200)
    await g.waitForType('photo.added', 'approved photos')
    const photoFrames = g.frames.filter((f) => Array.isArray(f) || f.type.startsWith('photo.'))
    expect(photoFrames).toHaveLength(1)
    const frame = photoFrames[0]
    expect(Array.isArray(frame)).toBe(true)
    expect((frame as LiveFrame[]).map((e) => [e.type, e.type === 'photo.added' ? e.data.photo.id : null])).toEqual(ids.map((id) => ['photo.added', id]))
  })
})

describe('presence', () => {
  it('is coalesced: 5 quick joins give one or two presence frames, the last saying 5; closed sockets are forgotten', async () => {
    const owner = await newUser('lvown')
    const s = await createSession(owner.accessToken)
    const o = await connectLive(s.id, owner.accessToken)
    const tokens = await Promise.all(Array.from({ length: 5 }, () => viewerToken(s.id, s.accessCode)))
    const guests = await Promise.all(tokens.map((t) => connectLive(s.id, t)))
    await o.waitForType('presence', (e) => e.data.viewers === 5, 'presence 5')
    // Presence goes out from an alarm about a second after a change: give a late one time to show.
    await new Promise((resolve) => setTimeout(resolve, 1500))
    const frames = ofType(o, 'presence')
    expect(frames.length).toBeLessThanOrEqual(2)
    expect(frames.at(-1)!.data).toEqual({ viewers: 5 })
    expect(ofType(guests[0]!, 'presence').at(-1)?.data).toEqual({ viewers: 5 })

    guests[0]!.close()
    guests[1]!.close()
    await o.waitForType('presence', (e) => e.data.viewers === 3, 'presence 3')
  })

  it('deleting the session closes its sockets', async () => {
    const owner = await newUser('lvown')
    const s = await createSession(owner.accessToken)
    const g = await connectLive(s.id, await viewerToken(s.id, s.accessCode))
    dataOf(await callJson('DELETE', `/api/live/sessions/${s.id}`, undefined, { token: owner.accessToken }), deleteLiveSessionRoute, 200)
    expect((await g.closed).code).toBe(4404)
  })
})
