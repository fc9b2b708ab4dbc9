import { afterEach, describe, expect, it } from 'vitest'
import { likeLivePhotoRoute } from '../../../src/features/live/photos/routes'
import { updateLiveSessionRoute, verifyLiveAccessCodeRoute } from '../../../src/features/live/sessions/routes'
import type { ErrorCode } from '../../../src/lib/errors'
import { call, callJson, dataOf, dbRun, expectError, freshIp, newUser } from '../../helpers'
import { closeAllSockets, connectLive, createSession, distinctPngs, rawObject, sleep, upgradeLive, uploadPhotos, verify, viewerToken } from '../../support/live'

afterEach(closeAllSockets)

/** The guest-facing read routes of a session and one of its photos, as [name, request] pairs. */
function guestReads(sessionId: string, photoId: string, token?: string): Array<[string, () => Promise<{ status: number; body: unknown; res: Response }>]> {
  const opts = token ? { token } : {}
  return [
    ['session', () => callJson('GET', `/api/live/sessions/${sessionId}`, undefined, opts)],
    ['photos', () => callJson('GET', `/api/live/sessions/${sessionId}/photos`, undefined, opts)],
    ['photo', () => callJson('GET', `/api/live/photos/${photoId}`, undefined, opts)],
  ]
}

async function expectAll(reads: ReturnType<typeof guestReads>, status: number, code: ErrorCode) {
  for (const [name, read] of reads) {
    const res = await read()
    expect(res.status, `${name}: ${JSON.stringify(res.body)}`).toBe(status)
    expectError(res, status, code)
  }
}

/** The status of a socket upgrade; an accepted socket is closed again at once. */
async function wsStatus(sessionId: string, token?: string): Promise<number> {
  const res = await upgradeLive(sessionId, token ? { token } : {})
  if (res.webSocket) {
    res.webSocket.accept()
    res.webSocket.close(1000, 'probe')
  }
  return res.status
}

/** Wrong codes are counted in fixed 10-minute windows: start a burst well inside one. */
async function awayFromWindowEdge(needMs = 10_000) {
  const left = 600_000 - (Date.now() % 600_000)
  if (left < needMs) await sleep(left + 50)
}

describe('POST /api/live/sessions/:id/verify', () => {
  it('the right code gives a viewer token (12 h, or until endsAt) that opens the session', async () => {
    const owner = await newUser('lvown')
    const s = await createSession(owner.accessToken)
    const ok = await verify(s.id, s.accessCode)
    const welcome = dataOf(ok, verifyLiveAccessCodeRoute, 200)
    expect(welcome).toMatchObject({ viewerToken: expect.any(String), expiresIn: 12 * 3600 })
    expect(rawObject(ok.body, 'session')).not.toHaveProperty('accessCode')
    const photo = (await uploadPhotos(owner.accessToken, s.id, await distinctPngs(1)))[0]!
    for (const [name, read] of guestReads(s.id, photo.id, welcome.viewerToken)) expect((await read()).status, name).toBe(200)
    // A session ending in an hour gives tokens that end with it.
    const soon = await createSession(owner.accessToken, { endsAt: new Date(Date.now() + 3600_000).toISOString() })
    const short = dataOf(await verify(soon.id, soon.accessCode), verifyLiveAccessCodeRoute, 200)
    expect(short.expiresIn).toBeGreaterThan(3500)
    expect(short.expiresIn).toBeLessThanOrEqual(3600)
  })

  it('wrong or missing codes are 401 INVALID_CREDENTIALS; unknown sessions 404', async () => {
    const owner = await newUser('lvown')
    const s = await createSession(owner.accessToken, { accessCode: 'ABC123' })
    expectError(await verify(s.id, 'ABC124'), 401, 'INVALID_CREDENTIALS')
    expectError(await verify(s.id, 'abc123'), 401, 'INVALID_CREDENTIALS')
    expectError(await verify(s.id, undefined), 401, 'INVALID_CREDENTIALS')
    expectError(await verify('lvs_nope', 'ABC123'), 404, 'NOT_FOUND')
    expect((await verify(s.id, 'ABC123')).status).toBe(200)
  })

  it('after 20 wrong codes from one network the 21st try is 429 with Retry-After, even with the right code from a new device', async () => {
    await awayFromWindowEdge()
    const owner = await newUser('lvown')
    const s = await createSession(owner.accessToken)
    const other = await createSession(owner.accessToken)
    const wrong = s.accessCode === '000000' ? '111111' : '000000'
    const ip = freshIp()
    // Right codes and questions without a code are not guesses: they never count.
    for (let i = 0; i < 3; i++) expect((await verify(s.id, s.accessCode, ip)).status).toBe(200)
    for (let i = 0; i < 3; i++) expect((await verify(s.id, undefined, ip)).status).toBe(401)
    for (let i = 1; i <= 20; i++) expectError(await verify(s.id, wrong, ip), 401, 'INVALID_CREDENTIALS')
    const locked = await verify(s.id, s.accessCode, ip)
    expectError(locked, 429, 'RATE_LIMITED')
    const retryAfter = Number(locked.res.headers.get('Retry-After'))
    expect(retryAfter).toBeGreaterThanOrEqual(1)
    expect(retryAfter).toBeLessThanOrEqual(600)
    expectError(await verify(s.id, wrong, ip), 429, 'RATE_LIMITED')
    // Another guest at another address, and the same address on another session, are unaffected.
    expect((await verify(s.id, s.accessCode, freshIp())).status).toBe(200)
    expectError(await verify(other.id, wrong, ip), 401, 'INVALID_CREDENTIALS')
    expect((await verify(other.id, other.accessCode, ip)).status).toBe(200)
  })
})

describe('changing the code', () => {
  it('regenerateCode ends every old viewer token (HTTP and WebSocket); the new code works', async () => {
    const owner = await newUser('lvown')
    const s = await createSession(owner.accessToken)
    const photo = (await uploadPhotos(owner.accessToken, s.id, await distinctPngs(1)))[0]!
    const old = await viewerToken(s.id, s.accessCode)
    expect(await wsStatus(s.id, old)).toBe(101)
    const put = await callJson('PUT', `/api/live/sessions/${s.id}`, { regenerateCode: true }, { token: owner.accessToken })
    const code = dataOf(put, updateLiveSessionRoute, 200).session.accessCode
    expect(code).toMatch(/^\d{6}$/)
    expect(code).not.toBe(s.accessCode)
    await expectAll(guestReads(s.id, photo.id, old), 401, 'UNAUTHORIZED')
    expect(await wsStatus(s.id, old)).toBe(401)
    expectError(await verify(s.id, s.accessCode), 401, 'INVALID_CREDENTIALS')
    const fresh = await viewerToken(s.id, code)
    for (const [name, read] of guestReads(s.id, photo.id, fresh)) expect((await read()).status, name).toBe(200)
    expect(await wsStatus(s.id, fresh)).toBe(101)
  })

  it('a new accessCode ends old tokens too; re-sending the current code does not', async () => {
    const owner = await newUser('lvown')
    const s = await createSession(owner.accessToken, { accessCode: 'first1' })
    const photo = (await uploadPhotos(owner.accessToken, s.id, await distinctPngs(1)))[0]!
    const token = await viewerToken(s.id, 'first1')
    expect((await callJson('PUT', `/api/live/sessions/${s.id}`, { accessCode: 'first1', title: 'Same code' }, { token: owner.accessToken })).status).toBe(200)
    for (const [name, read] of guestReads(s.id, photo.id, token)) expect((await read()).status, name).toBe(200)
    expect((await callJson('PUT', `/api/live/sessions/${s.id}`, { accessCode: 'second2' }, { token: owner.accessToken })).status).toBe(200)
    await expectAll(guestReads(s.id, photo.id, token), 401, 'UNAUTHORIZED')
    expect((await verify(s.id, 'second2')).status).toBe(200)
  })
})

describe('viewer tokens are scoped to their session', () => {
  it("another session's viewer token is 401 on this session's routes and socket", async () => {
    const owner = await newUser('lvown')
    const s = await createSession(owner.accessToken)
    const elsewhere = await createSession(owner.accessToken)
    const photo = (await uploadPhotos(owner.accessToken, s.id, await distinctPngs(1)))[0]!
    const foreign = await viewerToken(elsewhere.id, elsewhere.accessCode)
    await expectAll(guestReads(s.id, photo.id, foreign), 401, 'UNAUTHORIZED')
    expectError(await callJson('POST', `/api/live/photos/${photo.id}/like`, undefined, { token: foreign }), 401, 'UNAUTHORIZED')
    expect((await call('GET', `/api/live/photos/${photo.id}/thumb`, undefined, { token: foreign })).status).toBe(401)
    expect(await wsStatus(s.id, foreign)).toBe(401)
    expect(await wsStatus(s.id, 'not-a-token')).toBe(401)
  })
})

describe('ended sessions', () => {
  it.each([
    ['status ended', { status: 'ended' }],
    ['endsAt in the past', { endsAt: new Date(Date.now() - 60_000).toISOString() }],
  ])('%s: guests get 410 SESSION_ENDED (verify, reads, socket); the owner keeps access', async (_name, change) => {
    const owner = await newUser('lvown')
    const s = await createSession(owner.accessToken)
    const photo = (await uploadPhotos(owner.accessToken, s.id, await distinctPngs(1)))[0]!
    const token = await viewerToken(s.id, s.accessCode)
    const put = await callJson('PUT', `/api/live/sessions/${s.id}`, change, { token: owner.accessToken })
    expect(dataOf(put, updateLiveSessionRoute, 200).session.ended).toBe(true)
    expectError(await verify(s.id, s.accessCode), 410, 'SESSION_ENDED')
    await expectAll(guestReads(s.id, photo.id, token), 410, 'SESSION_ENDED')
    // Signed image URLs handed out before the end stop working for guests too.
    expectError(await callJson('GET', photo.thumbUrl), 410, 'SESSION_ENDED')
    for (const [name, read] of guestReads(s.id, photo.id, owner.accessToken)) expect((await read()).status, name).toBe(200)
    const owned = await connectLive(s.id, owner.accessToken)
    expect(owned.events[0]).toMatchObject({ type: 'connected', data: { role: 'owner' } })
  })

  it.each([
    ['status ended', { status: 'ended' }],
    ['endsAt in the past', { endsAt: new Date(Date.now() - 60_000).toISOString() }],
  ])('%s: a guest socket with a token from before the end is refused 410 SESSION_ENDED, as over HTTP', async (_name, change) => {
    const owner = await newUser('lvown')
    const s = await createSession(owner.accessToken)
    const token = await viewerToken(s.id, s.accessCode)
    expect(await wsStatus(s.id, token)).toBe(101)
    expect((await callJson('PUT', `/api/live/sessions/${s.id}`, change, { token: owner.accessToken })).status).toBe(200)
    // The token itself is still valid (right session, current code): only the end of the session refuses it.
    const res = await upgradeLive(s.id, { token })
    expect(res.webSocket).toBeNull()
    expect(res.status).toBe(410)
    expectError({ status: res.status, body: await res.json(), res }, 410, 'SESSION_ENDED')
  })

  it('an ended open session answers 410 to everyone but its owner', async () => {
    const owner = await newUser('lvown')
    const s = await createSession(owner.accessToken, { accessCode: null })
    const photo = (await uploadPhotos(owner.accessToken, s.id, await distinctPngs(1)))[0]!
    await dbRun('UPDATE live_sessions SET ends_at = ? WHERE id = ?', Date.now() - 1000, s.id)
    expectError(await verify(s.id, undefined), 410, 'SESSION_ENDED')
    await expectAll(guestReads(s.id, photo.id), 410, 'SESSION_ENDED')
    expect(await wsStatus(s.id)).toBe(410)
    expect((await callJson('GET', `/api/live/sessions/${s.id}`, undefined, { token: owner.accessToken })).status).toBe(200)
  })
})

describe('open sessions (accessCode null)', () => {
  it('anyone may read without a token; likes need a viewer token, which verify gives without a code', async () => {
    const owner = await newUser('lvown')
    const s = await createSession(owner.accessToken, { accessCode: null })
    const photo = (await uploadPhotos(owner.accessToken, s.id, await distinctPngs(1)))[0]!
    for (const [name, read] of guestReads(s.id, photo.id)) expect((await read()).status, name).toBe(200)
    expect((await call('GET', `/api/live/photos/${photo.id}/thumb`)).status).toBe(200)
    const anonymous = await connectLive(s.id)
    const first = anonymous.events[0]
    expect(first?.type === 'connected' && first.data.role).toBe('guest')
    expectError(await callJson('POST', `/api/live/photos/${photo.id}/like`), 401, 'UNAUTHORIZED')
    const verified = dataOf(await verify(s.id, undefined), verifyLiveAccessCodeRoute, 200)
    const like = await callJson('POST', `/api/live/photos/${photo.id}/like`, undefined, { token: verified.viewerToken })
    expect(dataOf(like, likeLivePhotoRoute, 200)).toEqual({ liked: true, likeCount: 1 })
  })
})
