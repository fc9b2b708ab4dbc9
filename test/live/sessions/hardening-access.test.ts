import { afterEach, describe, expect, it } from 'vitest'
import { likeLivePhotoRoute } from '../../../src/features/live/photos/routes'
import { verifyLiveAccessCodeRoute } from '../../../src/features/live/sessions/routes'
import { callJson, dataOf, dbFirst, expectError, freshIp, newUser } from '../../helpers'
import { closeAllSockets, connectLive, createSession, distinctPngs, sleep, uploadPhotos } from '../../support/live'

afterEach(closeAllSockets)

/** Wrong-code windows are 10 minutes on the clock: keep a test's tries inside one window. */
async function awayFromWindowEdge(needMs = 20_000) {
  const left = 600_000 - (Date.now() % 600_000)
  if (left < needMs) await sleep(left + 50)
}

const verifyAs = (sessionId: string, body: Record<string, unknown>, ip: string) => callJson('POST', `/api/live/sessions/${sessionId}/verify`, body, { ip })
const device = (n: number | string) => `device-${String(n).padStart(12, '0')}`
const wrongFor = (s: { accessCode?: string | null }) => (s.accessCode === '000000' ? '111111' : '000000')

describe('access codes are counted first, atomically', () => {
  it('30 parallel wrong codes from one network: exactly 20 are judged (401), the rest 429', async () => {
    await awayFromWindowEdge()
    const owner = await newUser('lvown')
    const s = await createSession(owner.accessToken)
    const ip = freshIp()
    const results = await Promise.all(Array.from({ length: 30 }, () => verifyAs(s.id, { accessCode: wrongFor(s) }, ip)))
    expect(results.filter((r) => r.status === 401)).toHaveLength(20)
    expect(results.filter((r) => r.status === 429)).toHaveLength(10)
  })

  it('right codes take their hit back: 30 right codes from one network all pass, then 20 wrong ones are still judged', async () => {
    await awayFromWindowEdge()
    const owner = await newUser('lvown')
    const s = await createSession(owner.accessToken)
    const ip = freshIp()
    for (let i = 0; i < 30; i++) expect((await verifyAs(s.id, { accessCode: s.accessCode }, ip)).status).toBe(200)
    const wrong = await Promise.all(Array.from({ length: 20 }, () => verifyAs(s.id, { accessCode: wrongFor(s) }, ip)))
    expect(wrong.every((r) => r.status === 401)).toBe(true)
  })

  it('IPv6 addresses of one /64 share a budget; another /64 has its own', async () => {
    await awayFromWindowEdge()
    const owner = await newUser('lvown')
    const s = await createSession(owner.accessToken)
    const prefix = '2001:db8:77:88'
    for (let i = 1; i <= 20; i++) expectError(await verifyAs(s.id, { accessCode: wrongFor(s) }, `${prefix}::${i.toString(16)}`), 401, 'INVALID_CREDENTIALS')
    expectError(await verifyAs(s.id, { accessCode: s.accessCode }, `${prefix}:aaaa:bbbb:cccc:dddd`), 429, 'RATE_LIMITED')
    expect((await verifyAs(s.id, { accessCode: s.accessCode }, '2001:db8:77:89::1')).status).toBe(200)
  })
})

describe('the session-wide wrong-code budget', () => {
  it('pauses new devices and tells the owner, while devices that verified before keep getting in', async () => {
    await awayFromWindowEdge(60_000)
    const owner = await newUser('lvown')
    const s = await createSession(owner.accessToken)
    const regular = device('regular')
    expect((await verifyAs(s.id, { accessCode: s.accessCode, deviceId: regular }, freshIp())).status).toBe(200)
    const ownerSocket = await connectLive(s.id, owner.accessToken)
    // 200 wrong codes from 20 networks (10 each: under the per-network limit).
    for (let net = 0; net < 20; net++) {
      const ip = freshIp()
      const batch = await Promise.all(Array.from({ length: 10 }, () => verifyAs(s.id, { accessCode: wrongFor(s) }, ip)))
      expect(batch.every((r) => r.status === 401)).toBe(true)
    }
    const paused = await verifyAs(s.id, { accessCode: s.accessCode, deviceId: device('newcomer') }, freshIp())
    expectError(paused, 429, 'RATE_LIMITED')
    expect(Number(paused.res.headers.get('Retry-After'))).toBeGreaterThan(0)
    const event = await ownerSocket.waitForType('session.verify_paused', 'session.verify_paused')
    expect(Date.parse(event.data.until)).toBeGreaterThan(Date.now())
    // The regular guest's device gets in from any network with the right code; with a wrong one it does not.
    dataOf(await verifyAs(s.id, { accessCode: s.accessCode, deviceId: regular }, freshIp()), verifyLiveAccessCodeRoute, 200)
    expect((await verifyAs(s.id, { accessCode: wrongFor(s), deviceId: regular }, freshIp())).status).toBe(429)
  }, 90_000)
})

describe('stable guest identity', () => {
  it('the same deviceId is the same guest: likes and views count once, whatever the number of verifies', async () => {
    const owner = await newUser('lvown')
    const s = await createSession(owner.accessToken)
    const photo = (await uploadPhotos(owner.accessToken, s.id, await distinctPngs(1)))[0]!
    const tokens: string[] = []
    const guestIds = new Set<string>()
    for (let i = 0; i < 5; i++) {
      const res = dataOf(await verifyAs(s.id, { accessCode: s.accessCode, deviceId: device(7), ...(i === 0 ? { nickname: 'Ann' } : {}) }, freshIp()), verifyLiveAccessCodeRoute, 200)
      tokens.push(res.viewerToken)
      guestIds.add(res.guestId)
    }
    expect(guestIds.size).toBe(1)
    await Promise.all(tokens.flatMap((token) => [
      callJson('POST', `/api/live/photos/${photo.id}/like`, undefined, { token }),
      callJson('GET', `/api/live/photos/${photo.id}`, undefined, { token }),
    ]))
    expect(await dbFirst('SELECT like_count AS likes, view_count AS views FROM live_photos WHERE id = ?', photo.id)).toEqual({ likes: 1, views: 1 })
    const other = dataOf(await verifyAs(s.id, { accessCode: s.accessCode, deviceId: device(8) }, freshIp()), verifyLiveAccessCodeRoute, 200)
    expect(guestIds.has(other.guestId)).toBe(false)
    const like = await callJson('POST', `/api/live/photos/${photo.id}/like`, undefined, { token: other.viewerToken })
    expect(dataOf(like, likeLivePhotoRoute, 200)).toEqual({ liked: true, likeCount: 2 })
    // The device id itself is never stored, only a keyed hash of it.
    expect(await dbFirst('SELECT COUNT(*) AS n FROM live_guests WHERE device_hash LIKE ?', `%${device(7)}%`)).toEqual({ n: 0 })
    expect(await dbFirst('SELECT nickname FROM live_guests WHERE session_id = ? AND nickname IS NOT NULL', s.id)).toEqual({ nickname: 'Ann' })
  })

  it('two verifies of one new device at once end as one guest', async () => {
    const owner = await newUser('lvown')
    const s = await createSession(owner.accessToken, { accessCode: null })
    const results = await Promise.all(Array.from({ length: 8 }, () => verifyAs(s.id, { deviceId: device('race') }, freshIp())))
    expect(results.every((r) => r.status === 200)).toBe(true)
    expect(new Set(results.map((r) => dataOf(r, verifyLiveAccessCodeRoute, 200).guestId)).size).toBe(1)
  })

  it('new guests are limited per network (300 per 10 minutes); returning devices are not', async () => {
    await awayFromWindowEdge(60_000)
    const owner = await newUser('lvown')
    const s = await createSession(owner.accessToken, { accessCode: null })
    const ip = freshIp()
    for (let i = 0; i < 300; i += 50) {
      const batch = await Promise.all(Array.from({ length: 50 }, (_, j) => verifyAs(s.id, { deviceId: device(`mint${i + j}`) }, ip)))
      expect(batch.map((r) => r.status).filter((st) => st !== 200)).toEqual([])
    }
    expectError(await verifyAs(s.id, { deviceId: device('mint-one-more') }, ip), 429, 'RATE_LIMITED')
    expectError(await verifyAs(s.id, {}, ip), 429, 'RATE_LIMITED')
    expect((await verifyAs(s.id, { deviceId: device('mint7') }, ip)).status).toBe(200)
  }, 90_000)

  it('refuses a malformed deviceId with 400 naming the field', async () => {
    const owner = await newUser('lvown')
    const s = await createSession(owner.accessToken)
    const res = await verifyAs(s.id, { accessCode: s.accessCode, deviceId: 'short' }, freshIp())
    expect(JSON.stringify(expectError(res, 400, 'VALIDATION_ERROR').details)).toContain('deviceId')
  })
})

describe('code versions', () => {
  it('two concurrent code changes never share a version', async () => {
    const owner = await newUser('lvown')
    const s = await createSession(owner.accessToken)
    const results = await Promise.all([1, 2, 3].map(() => callJson('PUT', `/api/live/sessions/${s.id}`, { regenerateCode: true }, { token: owner.accessToken })))
    expect(results.every((r) => r.status === 200)).toBe(true)
    expect(await dbFirst('SELECT code_version AS v FROM live_sessions WHERE id = ?', s.id)).toEqual({ v: 4 })
  })
})
