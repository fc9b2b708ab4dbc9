import { env } from 'cloudflare:test'
import { describe, expect, it } from 'vitest'
import { z } from '@hono/zod-openapi'
import { deleteLivePhotoRoute, getLivePhotoRoute, listLivePhotosRoute, moderateLivePhotosRoute, updateLivePhotoRoute } from '../../../src/features/live/photos/routes'
import { callJson, dataOf, dbFirst, expectError, newUser, type TestUser } from '../../helpers'
import { waitForPreview } from '../../support/images'
import { createSession, distinctPngs, imageIdOf, nth, uploadPhotos, viewerToken } from '../../support/live'

const batch = (token: string, ids: string[], action: string) => callJson('POST', '/api/live/photos/batch', { ids, action }, { token })
/** A batch that must succeed, parsed with the route's schema. */
const batchOk = async (token: string, ids: string[], action: string) => dataOf(await batch(token, ids, action), moderateLivePhotosRoute, 200)

async function statuses(ids: string[]): Promise<Record<string, string>> {
  const rows = await env.DB.prepare(`SELECT id, status, featured FROM live_photos WHERE id IN (${ids.map(() => '?').join(',')})`).bind(...ids).all<{ id: string; status: string; featured: number }>()
  return Object.fromEntries(rows.results.map((r) => [r.id, `${r.status}${r.featured ? '+featured' : ''}`]))
}

async function manualSession(owner: TestUser, n: number) {
  const s = await createSession(owner.accessToken, { moderation: 'manual' })
  const photos = await uploadPhotos(owner.accessToken, s.id, await distinctPngs(n))
  return { s, photos, ids: photos.map((p) => p.id) }
}

describe('PUT /api/live/photos/:id', () => {
  it('sets caption, status and featured; the answer and the guest view agree', async () => {
    const owner = await newUser('lvown')
    const { s, photos } = await manualSession(owner, 1)
    const put = await callJson('PUT', `/api/live/photos/${nth(photos, 0).id}`, { caption: '  First dance  ', status: 'approved', featured: true }, { token: owner.accessToken })
    expect(dataOf(put, updateLivePhotoRoute, 200).photo).toMatchObject({ caption: 'First dance', status: 'approved', featured: true })
    const guest = await viewerToken(s.id, s.accessCode)
    const seen = await callJson('GET', `/api/live/sessions/${s.id}/photos?featured=true`, undefined, { token: guest })
    expect(dataOf(seen, listLivePhotosRoute, 200).items.map((p) => [p.caption, p.featured])).toEqual([['First dance', true]])
    // null clears the caption; other fields stay.
    const cleared = await callJson('PUT', `/api/live/photos/${nth(photos, 0).id}`, { caption: null }, { token: owner.accessToken })
    expect(dataOf(cleared, updateLivePhotoRoute, 200).photo).toMatchObject({ caption: null, status: 'approved', featured: true })
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
    const uploaded = await uploadPhotos(owner.accessToken, s.id, await distinctPngs(2))
    const [photo, kept] = [nth(uploaded, 0), nth(uploaded, 1)]
    // Previews are stored in the background after the upload answers; let them land first.
    await waitForPreview(imageIdOf(photo))
    const prefix = `images/${owner.id}/${imageIdOf(photo)}/`
    expect((await env.MEDIA.list({ prefix })).objects.length).toBeGreaterThanOrEqual(3)
    const del = await callJson('DELETE', `/api/live/photos/${photo.id}`, undefined, { token: owner.accessToken })
    expect(dataOf(del, deleteLivePhotoRoute, 200)).toEqual({ deleted: true })
    expect(await dbFirst('SELECT id FROM live_photos WHERE id = ?', photo.id)).toBeNull()
    expect(await dbFirst('SELECT id FROM images WHERE id = ?', imageIdOf(photo))).toBeNull()
    expect((await env.MEDIA.list({ prefix })).objects).toEqual([])
    expectError(await callJson('GET', `/api/live/photos/${photo.id}`, undefined, { token: owner.accessToken }), 404, 'NOT_FOUND')
    dataOf(await callJson('GET', `/api/live/photos/${kept.id}`, undefined, { token: owner.accessToken }), getLivePhotoRoute, 200)
  })
})

describe('POST /api/live/photos/batch', () => {
  it('approve, feature, unfeature and hide many photos at once', async () => {
    const owner = await newUser('lvown')
    const { s, ids } = await manualSession(owner, 4)
    const guest = await viewerToken(s.id, s.accessCode)
    const guestIds = async () => dataOf(await callJson('GET', `/api/live/sessions/${s.id}/photos?after=0`, undefined, { token: guest }), listLivePhotosRoute, 200).items.map((p) => p.id)

    const approved = await batchOk(owner.accessToken, ids.slice(0, 3), 'approve')
    expect(approved.updated).toBe(3)
    expect(approved.photos.map((p) => p.status)).toEqual(['approved', 'approved', 'approved'])
    expect(await guestIds()).toEqual(ids.slice(0, 3))

    expect((await batchOk(owner.accessToken, [ids[0]!, ids[1]!], 'feature')).updated).toBe(2)
    await batchOk(owner.accessToken, [ids[1]!], 'unfeature')
    await batchOk(owner.accessToken, [ids[2]!, ids[3]!], 'hide')
    expect(await statuses(ids)).toEqual({ [ids[0]!]: 'approved+featured', [ids[1]!]: 'approved', [ids[2]!]: 'hidden', [ids[3]!]: 'hidden' })
    expect(await guestIds()).toEqual(ids.slice(0, 2))
  })

  it('delete removes every listed photo with its image', async () => {
    const owner = await newUser('lvown')
    const { s, photos, ids } = await manualSession(owner, 3)
    // Previews are stored in the background after the upload answers; let them land first.
    for (const p of photos) await waitForPreview(imageIdOf(p))
    const del = await batchOk(owner.accessToken, [ids[0]!, ids[2]!, ids[0]!], 'delete')
    expect(del).toEqual({ updated: 2, photos: [] })
    const left = await env.DB.prepare('SELECT id FROM live_photos WHERE session_id = ?').bind(s.id).all<{ id: string }>()
    expect(left.results.map((r) => r.id)).toEqual([ids[1]])
    expect(await dbFirst('SELECT id FROM images WHERE id = ?', imageIdOf(nth(photos, 0)))).toBeNull()
    expect((await env.MEDIA.list({ prefix: `images/${owner.id}/${imageIdOf(nth(photos, 2))}/` })).objects).toEqual([])
  })

  it("one id that is someone else's (or unknown) fails the batch with 404 and nothing changes", async () => {
    const owner = await newUser('lvown')
    const other = await newUser('lvoth')
    const mine = await manualSession(owner, 2)
    const theirs = await manualSession(other, 1)
    for (const action of ['approve', 'hide', 'delete', 'feature']) {
      const res = await batch(owner.accessToken, [...mine.ids, theirs.ids[0]!], action)
      const { details } = expectError(res, 404, 'NOT_FOUND')
      expect(z.object({ missing: z.array(z.string()) }).parse(details).missing).toEqual([theirs.ids[0]])
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
    const hundred = await batchOk(owner.accessToken, Array.from({ length: 100 }, () => ids[0]!), 'approve')
    expect(hundred.updated).toBe(1)
    expect(await statuses(ids)).toEqual({ [ids[0]!]: 'approved' })
  })
})
