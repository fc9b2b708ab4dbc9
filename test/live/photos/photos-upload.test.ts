import type { ErrorCode } from '../../../src/lib/errors'
import { env } from 'cloudflare:test'
import { describe, expect, it } from 'vitest'
import { callJson, dbFirst, expectError, newUser, type Json } from '../../helpers'
import { fixturePhoto, formWith } from '../../support/images'
import { createSession, distinctPngs, uploadPhotos, viewerToken } from '../../support/live'

const listPath = (sessionId: string, query = '') => `/api/live/sessions/${sessionId}/photos${query ? `?${query}` : ''}`
const seqs = (items: Json[]) => items.map((p) => p.seq)

describe('owner uploads', () => {
  it('one photo as `photo`, many as `photos`: 201 records numbered in upload order', async () => {
    const owner = await newUser('lvown')
    const s = await createSession(owner.accessToken)
    const [one] = await uploadPhotos(owner.accessToken, s.id, await distinctPngs(1), 'photo')
    expect(one).toMatchObject({ sessionId: s.id, seq: 1, status: 'approved', featured: false, caption: null, takenAt: null, viewCount: 0, likeCount: 0, imageId: expect.stringMatching(/^img_/) })
    expect(one.thumbUrl).toMatch(new RegExp(`^/api/live/photos/${one.id}/thumb\\?exp=\\d+&sig=`))
    expect(one.width).toBeGreaterThan(0)
    const many = await uploadPhotos(owner.accessToken, s.id, await distinctPngs(3), 'photos')
    expect(seqs(many)).toEqual([2, 3, 4])
    expect(new Set(many.map((p) => p.imageId)).size).toBe(3)
    const rows = await env.DB.prepare('SELECT seq FROM live_photos WHERE session_id = ? ORDER BY seq').bind(s.id).all<{ seq: number }>()
    expect(rows.results.map((r) => r.seq)).toEqual([1, 2, 3, 4])
    const image = await dbFirst<{ type: string; live_session_id: string }>('SELECT type, live_session_id FROM images WHERE id = ?', one.imageId)
    expect(image).toEqual({ type: 'live', live_session_id: s.id })
  })

  it('reads the capture time from EXIF (Canon_40D.jpg), null without EXIF', async () => {
    const owner = await newUser('lvown')
    const s = await createSession(owner.accessToken)
    const [canon, png] = await uploadPhotos(owner.accessToken, s.id, [fixturePhoto('Canon_40D.jpg'), ...(await distinctPngs(1))])
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
    expect((await uploadPhotos(owner.accessToken, s.id, await distinctPngs(1)))[0].seq).toBe(1)
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
    const [a, b] = await uploadPhotos(owner.accessToken, s.id, await distinctPngs(2))
    expect([a.status, b.status]).toEqual(['pending', 'pending'])
    const guestList = async () => (await callJson('GET', listPath(s.id), undefined, { token: guest })).body.data
    expect((await guestList()).items).toEqual([])
    expect((await guestList()).pagination.total).toBe(0)
    const ownerList = await callJson('GET', listPath(s.id), undefined, { token: owner.accessToken })
    expect(seqs(ownerList.body.data.items)).toEqual([2, 1])
    const pending = await callJson('GET', listPath(s.id, 'status=pending'), undefined, { token: owner.accessToken })
    expect(pending.body.data.items).toHaveLength(2)

    expect((await callJson('PUT', `/api/live/photos/${b.id}`, { status: 'approved' }, { token: owner.accessToken })).status).toBe(200)
    const visible = await guestList()
    expect(visible.items.map((p: Json) => p.id)).toEqual([b.id])
    // Guests do not get owner-only fields.
    expect(visible.items[0]).not.toHaveProperty('imageId')
    // A guest asking for other statuses still only gets approved photos.
    const sneaky = await callJson('GET', listPath(s.id, 'status=pending'), undefined, { token: guest })
    expect(sneaky.body.data.items.map((p: Json) => p.id)).toEqual([b.id])

    expect((await callJson('PUT', `/api/live/photos/${b.id}`, { status: 'hidden' }, { token: owner.accessToken })).status).toBe(200)
    expect((await guestList()).items).toEqual([])
    expect((await callJson('GET', listPath(s.id, 'after=0'), undefined, { token: guest })).body.data.items).toEqual([])
  })

  it('after=<seq> gives the photos after it, oldest first, with nextAfter to follow', async () => {
    const owner = await newUser('lvown')
    const s = await createSession(owner.accessToken)
    const guest = await viewerToken(s.id, s.accessCode)
    for (let i = 0; i < 5; i++) await uploadPhotos(owner.accessToken, s.id, await distinctPngs(1))
    const feed = async (query: string) => (await callJson('GET', listPath(s.id, query), undefined, { token: guest })).body.data
    const page = await feed('after=2')
    expect(seqs(page.items)).toEqual([3, 4, 5])
    expect(page.nextAfter).toBe(5)
    expect(page).not.toHaveProperty('pagination')
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
    const approve = [photos[1].id, photos[3].id]
    expect((await callJson('POST', '/api/live/photos/batch', { ids: approve, action: 'approve' }, { token: owner.accessToken })).status).toBe(200)
    const guestFeed = (await callJson('GET', listPath(s.id, 'after=0'), undefined, { token: guest })).body.data
    expect(guestFeed).toMatchObject({ nextAfter: 4 })
    expect(seqs(guestFeed.items)).toEqual([2, 4])
    const ownerFeed = (await callJson('GET', listPath(s.id, 'after=1'), undefined, { token: owner.accessToken })).body.data
    expect(seqs(ownerFeed.items)).toEqual([2, 3, 4])
  })

  it('sort=newest (default) orders by upload, sort=taken by capture time with undated photos last', async () => {
    const owner = await newUser('lvown')
    const s = await createSession(owner.accessToken)
    const guest = await viewerToken(s.id, s.accessCode)
    // Uploaded in an order that differs from capture order: Oct 2008, May 2008, undated.
    const [nikon] = await uploadPhotos(owner.accessToken, s.id, [fixturePhoto('DSCN0010.jpg')])
    const [canon] = await uploadPhotos(owner.accessToken, s.id, [fixturePhoto('Canon_40D.jpg')])
    const [png] = await uploadPhotos(owner.accessToken, s.id, await distinctPngs(1))
    const ids = async (query: string) => (await callJson('GET', listPath(s.id, query), undefined, { token: guest })).body.data.items.map((p: Json) => p.id)
    expect(await ids('')).toEqual([png.id, canon.id, nikon.id])
    expect(await ids('sort=newest')).toEqual([png.id, canon.id, nikon.id])
    expect(await ids('sort=taken')).toEqual([nikon.id, canon.id, png.id])
    const paged = (await callJson('GET', listPath(s.id, 'sort=taken&limit=2&page=2'), undefined, { token: guest })).body.data
    expect(paged.items.map((p: Json) => p.id)).toEqual([png.id])
    expect(paged.pagination).toEqual({ page: 2, limit: 2, total: 3, totalPages: 2, hasNext: false, hasPrev: true })
    expect(paged.nextAfter).toBe(3)
    expect((await callJson('GET', listPath(s.id, 'sort=random'), undefined, { token: guest })).status).toBe(400)
  })
})
