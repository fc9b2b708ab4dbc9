import { env } from 'cloudflare:test'
import { describe, expect, it } from 'vitest'
import { callJson, dbFirst, expectError, newUser, type Json, type TestUser } from '../../helpers'
import { waitForPreview } from '../../support/images'
import { createSession, distinctPngs, uploadPhotos, viewerToken } from '../../support/live'

const batch = (token: string, ids: string[], action: string) => callJson('POST', '/api/live/photos/batch', { ids, action }, { token })

async function statuses(ids: string[]): Promise<Record<string, string>> {
  const rows = await env.DB.prepare(`SELECT id, status, featured FROM live_photos WHERE id IN (${ids.map(() => '?').join(',')})`).bind(...ids).all<{ id: string; status: string; featured: number }>()
  return Object.fromEntries(rows.results.map((r) => [r.id, `${r.status}${r.featured ? '+featured' : ''}`]))
}

async function manualSession(owner: TestUser, n: number) {
  const s = await createSession(owner.accessToken, { moderation: 'manual' })
  const photos = await uploadPhotos(owner.accessToken, s.id, await distinctPngs(n))
  return { s, photos, ids: photos.map((p: Json) => p.id as string) }
}

describe('PUT /api/live/photos/:id', () => {
  it('sets caption, status and featured; the answer and the guest view agree', async () => {
    const owner = await newUser('lvown')
    const { s, photos } = await manualSession(owner, 1)
    const put = await callJson('PUT', `/api/live/photos/${photos[0].id}`, { caption: '  First dance  ', status: 'approved', featured: true }, { token: owner.accessToken })
    expect(put.status, JSON.stringify(put.body)).toBe(200)
    expect(put.body.data.photo).toMatchObject({ caption: 'First dance', status: 'approved', featured: true })
    const guest = await viewerToken(s.id, s.accessCode)
    const seen = await callJson('GET', `/api/live/sessions/${s.id}/photos?featured=true`, undefined, { token: guest })
    expect(seen.body.data.items.map((p: Json) => [p.caption, p.featured])).toEqual([['First dance', true]])
    // null clears the caption; other fields stay.
    const cleared = await callJson('PUT', `/api/live/photos/${photos[0].id}`, { caption: null }, { token: owner.accessToken })
    expect(cleared.body.data.photo).toMatchObject({ caption: null, status: 'approved', featured: true })
  })

  it('refuses empty or invalid changes with 400, and changes nothing', async () => {
    const owner = await newUser('lvown')
    const { ids } = await manualSession(owner, 1)
    for (const body of [{}, { status: 'deleted' }, { featured: 'yes' }, { caption: 'x'.repeat(501) }]) {
      expectError(await callJson('PUT', `/api/live/photos/${ids[0]}`, body, { token: owner.accessToken }), 400, 'VALIDATION_ERROR')
    }
    expect(await statuses(ids)).toEqual({ [ids[0]!]: 'pending' })
  })

  it("someone else's photo is 404 for PUT and DELETE; nothing changes", async () => {
    const owner = await newUser('lvown')
    const intruder = await newUser('lvint')
    const { ids } = await manualSession(owner, 1)
    expectError(await callJson('PUT', `/api/live/photos/${ids[0]}`, { status: 'approved' }, { token: intruder.accessToken }), 404, 'NOT_FOUND')
    expectError(await callJson('DELETE', `/api/live/photos/${ids[0]}`, undefined, { token: intruder.accessToken }), 404, 'NOT_FOUND')
    expectError(await callJson('PUT', '/api/live/photos/lph_nope', { status: 'approved' }, { token: owner.accessToken }), 404, 'NOT_FOUND')
    expect(await statuses(ids)).toEqual({ [ids[0]!]: 'pending' })
  })

  it('DELETE removes the photo, its image row and its R2 objects', async () => {
    const owner = await newUser('lvown')
    const s = await createSession(owner.accessToken)
    const [photo, kept] = await uploadPhotos(owner.accessToken, s.id, await distinctPngs(2))
    // Previews are stored in the background after the upload answers; let them land first.
    await waitForPreview(photo.imageId)
    const prefix = `images/${owner.id}/${photo.imageId}/`
    expect((await env.MEDIA.list({ prefix })).objects.length).toBeGreaterThanOrEqual(3)
    const del = await callJson('DELETE', `/api/live/photos/${photo.id}`, undefined, { token: owner.accessToken })
    expect(del.body).toMatchObject({ success: true, data: { deleted: true } })
    expect(await dbFirst('SELECT id FROM live_photos WHERE id = ?', photo.id)).toBeNull()
    expect(await dbFirst('SELECT id FROM images WHERE id = ?', photo.imageId)).toBeNull()
    expect((await env.MEDIA.list({ prefix })).objects).toEqual([])
    expectError(await callJson('GET', `/api/live/photos/${photo.id}`, undefined, { token: owner.accessToken }), 404, 'NOT_FOUND')
    expect((await callJson('GET', `/api/live/photos/${kept.id}`, undefined, { token: owner.accessToken })).status).toBe(200)
  })
})

describe('POST /api/live/photos/batch', () => {
  it('approve, feature, unfeature and hide many photos at once', async () => {
    const owner = await newUser('lvown')
    const { s, ids } = await manualSession(owner, 4)
    const guest = await viewerToken(s.id, s.accessCode)
    const guestIds = async () => (await callJson('GET', `/api/live/sessions/${s.id}/photos?after=0`, undefined, { token: guest })).body.data.items.map((p: Json) => p.id)

    const approved = await batch(owner.accessToken, ids.slice(0, 3), 'approve')
    expect(approved.status, JSON.stringify(approved.body)).toBe(200)
    expect(approved.body.data.updated).toBe(3)
    expect(approved.body.data.photos.map((p: Json) => p.status)).toEqual(['approved', 'approved', 'approved'])
    expect(await guestIds()).toEqual(ids.slice(0, 3))

    expect((await batch(owner.accessToken, [ids[0]!, ids[1]!], 'feature')).body.data.updated).toBe(2)
    expect((await batch(owner.accessToken, [ids[1]!], 'unfeature')).status).toBe(200)
    expect((await batch(owner.accessToken, [ids[2]!, ids[3]!], 'hide')).status).toBe(200)
    expect(await statuses(ids)).toEqual({ [ids[0]!]: 'approved+featured', [ids[1]!]: 'approved', [ids[2]!]: 'hidden', [ids[3]!]: 'hidden' })
    expect(await guestIds()).toEqual(ids.slice(0, 2))
  })

  it('delete removes every listed photo with its image', async () => {
    const owner = await newUser('lvown')
    const { s, photos, ids } = await manualSession(owner, 3)
    // Previews are stored in the background after the upload answers; let them land first.
    for (const p of photos) await waitForPreview(p.imageId)
    const del = await batch(owner.accessToken, [ids[0]!, ids[2]!, ids[0]!], 'delete')
    expect(del.status).toBe(200)
    expect(del.body.data).toEqual({ updated: 2, photos: [] })
    const left = await env.DB.prepare('SELECT id FROM live_photos WHERE session_id = ?').bind(s.id).all<{ id: string }>()
    expect(left.results.map((r) => r.id)).toEqual([ids[1]])
    expect(await dbFirst('SELECT id FROM images WHERE id = ?', photos[0].imageId)).toBeNull()
    expect((await env.MEDIA.list({ prefix: `images/${owner.id}/${photos[2].imageId}/` })).objects).toEqual([])
  })

  it("one id that is someone else's (or unknown) fails the batch with 404 and nothing changes", async () => {
    const owner = await newUser('lvown')
    const other = await newUser('lvoth')
    const mine = await manualSession(owner, 2)
    const theirs = await manualSession(other, 1)
    for (const action of ['approve', 'hide', 'delete', 'feature']) {
      const res = await batch(owner.accessToken, [...mine.ids, theirs.ids[0]!], action)
      expectError(res, 404, 'NOT_FOUND')
      expect(res.body.details.missing).toEqual([theirs.ids[0]])
      expectError(await batch(owner.accessToken, [mine.ids[0]!, 'lph_nope'], action), 404, 'NOT_FOUND')
    }
    expect(await statuses([...mine.ids, ...theirs.ids])).toEqual(Object.fromEntries([...mine.ids, ...theirs.ids].map((id) => [id, 'pending'])))
  })

  it('takes 1 to 100 ids and the five actions only', async () => {
    const owner = await newUser('lvown')
    const { ids } = await manualSession(owner, 1)
    const tooMany = [ids[0]!, ...Array.from({ length: 100 }, (_, i) => `lph_fake${i}`)]
    expectError(await batch(owner.accessToken, tooMany, 'approve'), 400, 'VALIDATION_ERROR')
    expectError(await batch(owner.accessToken, [], 'approve'), 400, 'VALIDATION_ERROR')
    expectError(await batch(owner.accessToken, ids, 'publish'), 400, 'VALIDATION_ERROR')
    // Exactly 100 ids (the same photo repeated) is within the limit.
    const hundred = await batch(owner.accessToken, Array.from({ length: 100 }, () => ids[0]!), 'approve')
    expect(hundred.status).toBe(200)
    expect(hundred.body.data.updated).toBe(1)
    expect(await statuses(ids)).toEqual({ [ids[0]!]: 'approved' })
  })
})
