import type { ErrorCode } from '../../../src/lib/errors'
import { env } from 'cloudflare:test'
import { describe, expect, it } from 'vitest'
import { listLivePhotosRoute, moderateLivePhotosRoute, updateLivePhotoRoute } from '../../../src/features/live/photos/routes'
import { callJson, dataOf, dbFirst, expectError, newUser } from '../../helpers'
import { fixturePhoto, formWith } from '../../support/images'
import { createSession, distinctPngs, imageIdOf, nth, rawData, rawItems, uploadPhotos, viewerToken } from '../../support/live'

const listPath = (sessionId: string, query = '') => `/api/live/sessions/${sessionId}/photos${query ? `?${query}` : ''}`
const seqs = (items: Array<{ seq: number }>) => items.map((p) => p.seq)
/** GET the photo list as `token`, parsed with the route's schema. */
const listAs = async (token: string, sessionId: string, query = '') => dataOf(await callJson('GET', listPath(sessionId, query), undefined, { token }), listLivePhotosRoute, 200)

describe('owner uploads', () => {
  it('one photo as `photo`, many as `photos`: 201 records numbered in upload order', async () => {
    const owner = await newUser('lvown')
    const s = await createSession(owner.accessToken)
    const one = nth(await uploadPhotos(owner.accessToken, s.id, await distinctPngs(1), 'photo'), 0)
    expect(one).toMatchObject({ sessionId: s.id, seq: 1, status: 'approved', featured: false, caption: null, takenAt: null, viewCount: 0, likeCount: 0, imageId: expect.stringMatching(/^img_/) })
    expect(one.thumbUrl).toMatch(new RegExp(`^/api/live/photos/${one.id}/thumb\\?exp=\\d+&sig=`))
    expect(one.width).toBeGreaterThan(0)
    const many = await uploadPhotos(owner.accessToken, s.id, await distinctPngs(3), 'photos')
    expect(seqs(many)).toEqual([2, 3, 4])
    expect(new Set(many.map((p) => p.imageId)).size).toBe(3)
    const rows = await env.DB.prepare('SELECT seq FROM live_photos WHERE session_id = ? ORDER BY seq').bind(s.id).all<{ seq: number }>()
    expect(rows.results.map((r) => r.seq)).toEqual([1, 2, 3, 4])
    const image = await dbFirst<{ type: string; live_session_id: string }>('SELECT type, live_session_id FROM images WHERE id = ?', imageIdOf(one))
    expect(image).toEqual({ type: 'live', live_session_id: s.id })
  })

  it('reads the capture time from EXIF (Canon_40D.jpg), null without EXIF', async () => {
    const owner = await newUser('lvown')
    const s = await createSession(owner.accessToken)
    const uploaded = await uploadPhotos(owner.accessToken, s.id, [fixturePhoto('Canon_40D.jpg'), ...(await distinctPngs(1))])
    const [canon, png] = [nth(uploaded, 0), nth(uploaded, 1)]
    expect(canon.takenAt).toBe('2008-05-30T15:56:01.000Z')
    expect([canon.width, canon.height]).toEqual([100, 68])
    expect(png.takenAt).toBeNull()
  })

  it.each([
    { name: 'text declared as text/plain', files: [{ bytes: new TextEncoder().encode('not a photo at all'), name: 'a.txt', type: 'text/plain' }], status: 415, code: 'UNSUPPORTED_MEDIA_TYPE' },
    { name: 'random bytes', files: [{ bytes: new Uint8Array(64).fill(7), name: 'a.jpg' }], status: 415, code: 'UNSUPPORTED_MEDIA_TYPE' },
    { name: 'a corrupted JPEG', files: [{ bytes: fixturePhoto('corrupted.jpg'), name: 'c.jpg' }], status: 422, code: 'INVALID_IMAGE' },
    { name: 'a good photo followed by a corrupted one', files: [{ bytes: fixturePhoto('Canon_40D.jpg'), name: 'ok.jpg' }, { bytes: fixturePhoto('corrupted.jpg'), name: 'c.jpg' }], status: 422, code: 'INVALID_IMAGE' },
  ] satisfies Array<{ status: number; code: ErrorCode } & Record<string, unknown>>)('refuses $name with $status and stores nothing', async ({ files, status, code }) => {
    const owner = await newUser('lvown')
    const s = await createSession(owner.accessToken)
    const res = await callJson('POST', `/api/live/sessions/${s.id}/photos`, formWith('photos', files), { token: owner.accessToken })
    expectError(res, status, code)
    expect(await dbFirst('SELECT count(*) AS n FROM live_photos WHERE session_id = ?', s.id)).toEqual({ n: 0 })
    expect(await dbFirst('SELECT count(*) AS n FROM images WHERE owner_id = ?', owner.id)).toEqual({ n: 0 })
    expect((await env.MEDIA.list({ prefix: `images/${owner.id}/` })).objects).toEqual([])
    // The seq counter did not move: the next photo is still number 1.
    expect(nth(await uploadPhotos(owner.accessToken, s.id, await distinctPngs(1)), 0).seq).toBe(1)
  })

  it('refuses no file and more than 20 files with 400', async () => {
    const owner = await newUser('lvown')
    const s = await createSession(owner.accessToken)
    const path = `/api/live/sessions/${s.id}/photos`
    expectError(await callJson('POST', path, formWith('other', [{ bytes: (await distinctPngs(1))[0]!, name: 'a.png' }]), { token: owner.accessToken }), 400, 'VALIDATION_ERROR')
    const many = (await distinctPngs(21)).map((bytes, i) => ({ bytes, name: `${i}.png` }))
    expectError(await callJson('POST', path, formWith('photos', many), { token: owner.accessToken }), 400, 'VALIDATION_ERROR')
    expect(await dbFirst('SELECT count(*) AS n FROM live_photos WHERE session_id = ?', s.id)).toEqual({ n: 0 })
  })
})

describe('what guests see', () => {
  it('manual moderation: pending photos are hidden from guests until approved, and gone again when hidden', async () => {
    const owner = await newUser('lvown')
    const s = await createSession(owner.accessToken, { moderation: 'manual' })
    const guest = await viewerToken(s.id, s.accessCode)
    const uploaded = await uploadPhotos(owner.accessToken, s.id, await distinctPngs(2))
    const [a, b] = [nth(uploaded, 0), nth(uploaded, 1)]
    expect([a.status, b.status]).toEqual(['pending', 'pending'])
    const guestList = () => listAs(guest, s.id)
    expect((await guestList()).items).toEqual([])
    expect((await guestList()).pagination?.total).toBe(0)
    expect(seqs((await listAs(owner.accessToken, s.id)).items)).toEqual([2, 1])
    expect((await listAs(owner.accessToken, s.id, 'status=pending')).items).toHaveLength(2)

    dataOf(await callJson('PUT', `/api/live/photos/${b.id}`, { status: 'approved' }, { token: owner.accessToken }), updateLivePhotoRoute, 200)
    const visibleRes = await callJson('GET', listPath(s.id), undefined, { token: guest })
    const visible = dataOf(visibleRes, listLivePhotosRoute, 200)
    expect(visible.items.map((p) => p.id)).toEqual([b.id])
    // Guests do not get owner-only fields (checked on the raw JSON).
    expect(rawItems(visibleRes.body)[0]).not.toHaveProperty('imageId')
    // A guest asking for other statuses still only gets approved photos.
    expect((await listAs(guest, s.id, 'status=pending')).items.map((p) => p.id)).toEqual([b.id])

    dataOf(await callJson('PUT', `/api/live/photos/${b.id}`, { status: 'hidden' }, { token: owner.accessToken }), updateLivePhotoRoute, 200)
    expect((await guestList()).items).toEqual([])
    expect((await listAs(guest, s.id, 'after=0')).items).toEqual([])
  })

  it('after=<seq> gives the photos after it, oldest first, with nextAfter to follow', async () => {
    const owner = await newUser('lvown')
    const s = await createSession(owner.accessToken)
    const guest = await viewerToken(s.id, s.accessCode)
    for (let i = 0; i < 5; i++) await uploadPhotos(owner.accessToken, s.id, await distinctPngs(1))
    const feed = (query: string) => listAs(guest, s.id, query)
    const pageRes = await callJson('GET', listPath(s.id, 'after=2'), undefined, { token: guest })
    const page = dataOf(pageRes, listLivePhotosRoute, 200)
    expect(seqs(page.items)).toEqual([3, 4, 5])
    expect(page.nextAfter).toBe(5)
    expect(rawData(pageRes.body)).not.toHaveProperty('pagination')
    const first = await feed('after=0&limit=2')
    expect(seqs(first.items)).toEqual([1, 2])
    const next = await feed(`after=${first.nextAfter}&limit=2`)
    expect(seqs(next.items)).toEqual([3, 4])
    // Nothing new: the cursor stays where it was.
    expect(await feed('after=5')).toMatchObject({ items: [], nextAfter: 5 })
    expect((await callJson('GET', listPath(s.id, 'after=-1'), undefined, { token: guest })).status).toBe(400)
  })

  it('after=<seq> skips photos guests may not see (gaps in seq), but the owner sees them', async () => {
    const owner = await newUser('lvown')
    const s = await createSession(owner.accessToken, { moderation: 'manual' })
    const guest = await viewerToken(s.id, s.accessCode)
    const photos = await uploadPhotos(owner.accessToken, s.id, await distinctPngs(4))
    const approve = [nth(photos, 1).id, nth(photos, 3).id]
    dataOf(await callJson('POST', '/api/live/photos/batch', { ids: approve, action: 'approve' }, { token: owner.accessToken }), moderateLivePhotosRoute, 200)
    const guestFeed = await listAs(guest, s.id, 'after=0')
    expect(guestFeed).toMatchObject({ nextAfter: 4 })
    expect(seqs(guestFeed.items)).toEqual([2, 4])
    const ownerFeed = await listAs(owner.accessToken, s.id, 'after=1')
    expect(seqs(ownerFeed.items)).toEqual([2, 3, 4])
  })

  it('sort=newest (default) orders by upload, sort=taken by capture time with undated photos last', async () => {
    const owner = await newUser('lvown')
    const s = await createSession(owner.accessToken)
    const guest = await viewerToken(s.id, s.accessCode)
    // Uploaded in an order that differs from capture order: Oct 2008, May 2008, undated.
    const nikon = nth(await uploadPhotos(owner.accessToken, s.id, [fixturePhoto('DSCN0010.jpg')]), 0)
    const canon = nth(await uploadPhotos(owner.accessToken, s.id, [fixturePhoto('Canon_40D.jpg')]), 0)
    const png = nth(await uploadPhotos(owner.accessToken, s.id, await distinctPngs(1)), 0)
    const ids = async (query: string) => (await listAs(guest, s.id, query)).items.map((p) => p.id)
    expect(await ids('')).toEqual([png.id, canon.id, nikon.id])
    expect(await ids('sort=newest')).toEqual([png.id, canon.id, nikon.id])
    expect(await ids('sort=taken')).toEqual([nikon.id, canon.id, png.id])
    const paged = await listAs(guest, s.id, 'sort=taken&limit=2&page=2')
    expect(paged.items.map((p) => p.id)).toEqual([png.id])
    expect(paged.pagination).toEqual({ page: 2, limit: 2, total: 3, totalPages: 2, hasNext: false, hasPrev: true })
    expect(paged.nextAfter).toBe(3)
    expect((await callJson('GET', listPath(s.id, 'sort=random'), undefined, { token: guest })).status).toBe(400)
  })
})
