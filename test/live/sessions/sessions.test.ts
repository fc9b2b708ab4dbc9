import { env } from 'cloudflare:test'
import { describe, expect, it } from 'vitest'
import { createLiveSessionRoute, deleteLiveSessionRoute, getLiveSessionRoute, listLiveSessionsRoute, updateLiveSessionRoute } from '../../../src/features/live/sessions/routes'
import { call, callJson, dataOf, dbFirst, expectError, newUser } from '../../helpers'
import { fixturePhoto, formWith, waitForPreview } from '../../support/images'
import { createSession, detailFields, distinctPngs, finishCleanup, imageIdOf, nth, rawObject, uploadPhotos, viewerToken } from '../../support/live'

describe('creating live sessions', () => {
  it('answers 201 with every field, a generated 6-digit code and the documented defaults', async () => {
    const owner = await newUser('lvown')
    const startsAt = '2030-06-01T14:00:00.000Z'
    const endsAt = '2030-06-01T23:00:00.000Z'
    const res = await callJson('POST', '/api/live/sessions', { title: '  Anna & Ben  ', description: 'Garden party', startsAt, endsAt, status: 'draft' }, { token: owner.accessToken })
    const s = dataOf(res, createLiveSessionRoute, 201).session
    expect(s).toMatchObject({ title: 'Anna & Ben', description: 'Garden party', startsAt, endsAt, status: 'draft', ended: false, open: false, moderation: 'auto', downloadPolicy: 'preview', photoCount: 0, viewerUrl: `/live/${s.id}` })
    expect(s.accessCode).toMatch(/^\d{6}$/)
    const row = await dbFirst<{ owner_id: string; access_code: string }>('SELECT owner_id, access_code FROM live_sessions WHERE id = ?', s.id)
    expect(row).toEqual({ owner_id: owner.id, access_code: s.accessCode })
  })

  it('keeps a custom code, makes an open session for accessCode null, and takes the enums', async () => {
    const owner = await newUser('lvown')
    const custom = await createSession(owner.accessToken, { accessCode: 'Party2030', moderation: 'manual', downloadPolicy: 'original', status: 'live' })
    expect(custom).toMatchObject({ accessCode: 'Party2030', open: false, moderation: 'manual', downloadPolicy: 'original', status: 'live' })
    const open = await createSession(owner.accessToken, { accessCode: null, downloadPolicy: 'none', status: 'ended' })
    expect(open).toMatchObject({ accessCode: null, open: true, downloadPolicy: 'none', status: 'ended', ended: true })
  })

  it('generates a different code for each session (not a constant)', async () => {
    const owner = await newUser('lvown')
    const codes = new Set<string>()
    for (let i = 0; i < 5; i++) codes.add(String((await createSession(owner.accessToken)).accessCode))
    expect(codes.size).toBeGreaterThan(1)
  })

  it.each([
    ['an empty title', { title: '' }, 'title'],
    ['a blank title', { title: '   ' }, 'title'],
    ['a 3-character code', { accessCode: '123' }, 'accessCode'],
    ['a code with symbols', { accessCode: 'ab-123' }, 'accessCode'],
    ['a 13-character code', { accessCode: '1234567890123' }, 'accessCode'],
    ['an unknown status', { status: 'paused' }, 'status'],
    ['an unknown moderation', { moderation: 'sometimes' }, 'moderation'],
    ['an unknown download policy', { downloadPolicy: 'all' }, 'downloadPolicy'],
    ['a date that is not ISO', { startsAt: 'tomorrow' }, 'startsAt'],
    ['endsAt before startsAt', { startsAt: '2030-06-02T00:00:00Z', endsAt: '2030-06-01T00:00:00Z' }, 'endsAt'],
    ['endsAt equal to startsAt', { startsAt: '2030-06-02T00:00:00Z', endsAt: '2030-06-02T00:00:00Z' }, 'endsAt'],
  ])('refuses %s with 400 naming the field, storing nothing', async (_name, patch, field) => {
    const owner = await newUser('lvown')
    const res = await callJson('POST', '/api/live/sessions', { title: 'Gala', ...patch }, { token: owner.accessToken })
    expect(detailFields(expectError(res, 400, 'VALIDATION_ERROR').details)).toContain(field)
    expect(await dbFirst('SELECT id FROM live_sessions WHERE owner_id = ?', owner.id)).toBeNull()
  })
})

describe('listing and editing my sessions', () => {
  it('lists only my sessions, newest first, with page/limit pagination', async () => {
    const owner = await newUser('lvown')
    const other = await newUser('lvoth')
    await createSession(other.accessToken, { title: 'not mine' })
    const made = []
    for (const title of ['one', 'two', 'three']) made.push(await createSession(owner.accessToken, { title }))
    const first = dataOf(await callJson('GET', '/api/live/sessions?limit=2', undefined, { token: owner.accessToken }), listLiveSessionsRoute, 200)
    expect(first.pagination).toEqual({ page: 1, limit: 2, total: 3, totalPages: 2, hasNext: true, hasPrev: false })
    const second = dataOf(await callJson('GET', '/api/live/sessions?limit=2&page=2', undefined, { token: owner.accessToken }), listLiveSessionsRoute, 200)
    expect(second.pagination).toMatchObject({ page: 2, total: 3, hasNext: false, hasPrev: true })
    const ids = [...first.items, ...second.items].map((s) => s.id)
    // Sessions made in the same millisecond tie on createdAt, so the split across pages is compared as a set.
    expect(new Set(ids)).toEqual(new Set(made.map((s) => s.id)))
    expect(first.items[0]?.accessCode).toMatch(/^\d{6}$/)
    expectError(await callJson('GET', '/api/live/sessions?limit=101', undefined, { token: owner.accessToken }), 400, 'VALIDATION_ERROR')
  })

  it('edits fields; a partial PUT keeps the rest; invalid edits are 400 and change nothing', async () => {
    const owner = await newUser('lvown')
    const s = await createSession(owner.accessToken, { title: 'Before', startsAt: '2030-01-01T10:00:00Z' })
    const put = await callJson('PUT', `/api/live/sessions/${s.id}`, { title: 'After', moderation: 'manual', downloadPolicy: 'none', description: 'new' }, { token: owner.accessToken })
    expect(dataOf(put, updateLiveSessionRoute, 200).session).toMatchObject({ title: 'After', moderation: 'manual', downloadPolicy: 'none', description: 'new', accessCode: s.accessCode, startsAt: '2030-01-01T10:00:00.000Z' })
    // endsAt is checked against the stored startsAt when only endsAt is sent.
    expectError(await callJson('PUT', `/api/live/sessions/${s.id}`, { endsAt: '2029-12-31T10:00:00Z' }, { token: owner.accessToken }), 400, 'VALIDATION_ERROR')
    expectError(await callJson('PUT', `/api/live/sessions/${s.id}`, { status: 'over' }, { token: owner.accessToken }), 400, 'VALIDATION_ERROR')
    expectError(await callJson('PUT', `/api/live/sessions/${s.id}`, { accessCode: 'x' }, { token: owner.accessToken }), 400, 'VALIDATION_ERROR')
    const after = await callJson('GET', `/api/live/sessions/${s.id}`, undefined, { token: owner.accessToken })
    expect(dataOf(after, getLiveSessionRoute, 200).session).toMatchObject({ title: 'After', endsAt: null, status: 'live', accessCode: s.accessCode })
  })
})

describe('deleting a session', () => {
  it('removes the session, its photo rows, image rows and every R2 object of its photos', async () => {
    const owner = await newUser('lvown')
    const s = await createSession(owner.accessToken, { downloadPolicy: 'original' })
    const photos = await uploadPhotos(owner.accessToken, s.id, [fixturePhoto('DSCN0010.jpg'), ...(await distinctPngs(2))])
    for (const p of photos) await waitForPreview(imageIdOf(p))
    // A guest download makes the metadata-free copy: it must go too.
    const guest = await viewerToken(s.id, s.accessCode)
    expect((await call('GET', `/api/live/photos/${photos[0]!.id}/download`, undefined, { token: guest })).status).toBe(200)
    const prefixOf = (p: (typeof photos)[number]) => `images/${owner.id}/${imageIdOf(p)}/`
    const keysBefore = await Promise.all(photos.map(async (p) => (await env.MEDIA.list({ prefix: prefixOf(p) })).objects.map((o) => o.key)))
    expect(keysBefore[0]).toEqual(expect.arrayContaining([expect.stringMatching(/original\.jpg$/), expect.stringMatching(/thumb\.webp$/), expect.stringMatching(/preview\.webp$/), expect.stringMatching(/clean\.jpg$/)]))
    expect(keysBefore.every((keys) => keys.length >= 3)).toBe(true)

    const del = await callJson('DELETE', `/api/live/sessions/${s.id}`, undefined, { token: owner.accessToken })
    expect(dataOf(del, deleteLiveSessionRoute, 200)).toEqual({ deleted: true })
    // Gone for everyone at once; the room deletes the rows and files in pages.
    expectError(await callJson('GET', `/api/live/sessions/${s.id}`, undefined, { token: owner.accessToken }), 404, 'NOT_FOUND')
    await finishCleanup(s.id)
    expect(await dbFirst('SELECT id FROM live_sessions WHERE id = ?', s.id)).toBeNull()
    expect(await dbFirst('SELECT count(*) AS n FROM live_photos WHERE session_id = ?', s.id)).toEqual({ n: 0 })
    for (const p of photos) {
      expect(await dbFirst('SELECT id FROM images WHERE id = ?', imageIdOf(p))).toBeNull()
      expect((await env.MEDIA.list({ prefix: prefixOf(p) })).objects).toEqual([])
    }
    expectError(await callJson('GET', `/api/live/sessions/${s.id}`, undefined, { token: owner.accessToken }), 404, 'NOT_FOUND')
    expectError(await callJson('GET', `/api/live/photos/${photos[1]!.id}`, undefined, { token: owner.accessToken }), 404, 'NOT_FOUND')
  })
})

describe("someone else's session", () => {
  it('is 404 for PUT, DELETE and uploads, and leaves the session untouched', async () => {
    const owner = await newUser('lvown')
    const intruder = await newUser('lvint')
    const s = await createSession(owner.accessToken, { title: 'Mine' })
    const opts = { token: intruder.accessToken }
    expectError(await callJson('PUT', `/api/live/sessions/${s.id}`, { title: 'Hacked' }, opts), 404, 'NOT_FOUND')
    expectError(await callJson('PUT', `/api/live/sessions/${s.id}`, { regenerateCode: true }, opts), 404, 'NOT_FOUND')
    expectError(await callJson('DELETE', `/api/live/sessions/${s.id}`, undefined, opts), 404, 'NOT_FOUND')
    const form = formWith('photo', [{ bytes: (await distinctPngs(1))[0]!, name: 'x.png' }])
    expectError(await callJson('POST', `/api/live/sessions/${s.id}/photos`, form, opts), 404, 'NOT_FOUND')
    // Indistinguishable from a session that does not exist.
    expectError(await callJson('PUT', '/api/live/sessions/lvs_nope', { title: 'x' }, opts), 404, 'NOT_FOUND')
    const row = await dbFirst<{ title: string; access_code: string; photo_seq: number }>('SELECT title, access_code, photo_seq FROM live_sessions WHERE id = ?', s.id)
    expect(row).toEqual({ title: 'Mine', access_code: s.accessCode, photo_seq: 0 })
    expect(await dbFirst('SELECT id FROM images WHERE owner_id = ?', intruder.id)).toBeNull()
  })

  it('GET of a code session without a viewer token is 401 (another account, or nobody), and never shows the code', async () => {
    const owner = await newUser('lvown')
    const intruder = await newUser('lvint')
    const s = await createSession(owner.accessToken)
    expectError(await callJson('GET', `/api/live/sessions/${s.id}`, undefined, { token: intruder.accessToken }), 401, 'UNAUTHORIZED')
    expectError(await callJson('GET', `/api/live/sessions/${s.id}`), 401, 'UNAUTHORIZED')
    expectError(await callJson('GET', `/api/live/sessions/${s.id}/photos`, undefined, { token: intruder.accessToken }), 401, 'UNAUTHORIZED')
    expectError(await callJson('GET', '/api/live/sessions/lvs_missing'), 404, 'NOT_FOUND')
    const guest = await callJson('GET', `/api/live/sessions/${s.id}`, undefined, { token: await viewerToken(s.id, s.accessCode) })
    dataOf(guest, getLiveSessionRoute, 200)
    // Checked on the raw JSON: parsing would drop an undocumented key.
    expect(rawObject(guest.body, 'session')).not.toHaveProperty('accessCode')
    expect(rawObject(guest.body, 'session')).not.toHaveProperty('photoCount')
  })

  it('owner routes without an access token are 401', async () => {
    const owner = await newUser('lvown')
    const s = await createSession(owner.accessToken)
    const photo = nth(await uploadPhotos(owner.accessToken, s.id, await distinctPngs(1)), 0)
    const form = formWith('photo', [{ bytes: (await distinctPngs(1))[0]!, name: 'x.png' }])
    const attempts: Array<[string, string, unknown]> = [
      ['POST', '/api/live/sessions', { title: 'x' }],
      ['GET', '/api/live/sessions', undefined],
      ['PUT', `/api/live/sessions/${s.id}`, { title: 'x' }],
      ['DELETE', `/api/live/sessions/${s.id}`, undefined],
      ['POST', `/api/live/sessions/${s.id}/photos`, form],
      ['PUT', `/api/live/photos/${photo.id}`, { caption: 'x' }],
      ['DELETE', `/api/live/photos/${photo.id}`, undefined],
      ['POST', '/api/live/photos/batch', { ids: [photo.id], action: 'hide' }],
    ]
    for (const [method, path, body] of attempts) {
      const res = await callJson(method, path, body)
      expect(res.status, `${method} ${path}`).toBe(401)
      expectError(res, 401, 'UNAUTHORIZED')
    }
    // A viewer token is not an access token: it cannot act as the owner.
    const guest = await viewerToken(s.id, s.accessCode)
    expect((await callJson('PUT', `/api/live/sessions/${s.id}`, { title: 'x' }, { token: guest })).status).toBe(401)
    expect(dataOf(await callJson('GET', `/api/live/sessions/${s.id}`, undefined, { token: owner.accessToken }), getLiveSessionRoute, 200).session.title).toBe('Wedding')
  })
})
