import { describe, expect, it } from 'vitest'
import { readExif } from '../../../src/lib/exif'
import { getLivePhotoRoute, likeLivePhotoRoute, listLivePhotosRoute, updateLivePhotoRoute } from '../../../src/features/live/photos/routes'
import { call, callJson, dataOf, dbFirst, expectError, newUser } from '../../helpers'
import { bytesOf, fixturePhoto, infoOf, latin1 } from '../../support/images'
import { createSession, distinctPngs, nth, present, uploadPhotos, viewerToken } from '../../support/live'

/** GET a path as a browser would (no Authorization header): for signed URLs. */
const fetchUrl = (url: string) => call('GET', url)

describe('views and likes', () => {
  it('opening a photo counts a view once per guest; the owner looking does not', async () => {
    const owner = await newUser('lvown')
    const s = await createSession(owner.accessToken)
    const photo = nth(await uploadPhotos(owner.accessToken, s.id, await distinctPngs(1)), 0)
    const guest = await viewerToken(s.id, s.accessCode)
    const other = await viewerToken(s.id, s.accessCode)
    const open = async (token: string) => dataOf(await callJson('GET', `/api/live/photos/${photo.id}`, undefined, { token }), getLivePhotoRoute, 200).photo
    expect((await open(guest)).viewCount).toBe(1)
    expect((await open(guest)).viewCount).toBe(1)
    expect((await open(other)).viewCount).toBe(2)
    const byOwner = await open(owner.accessToken)
    expect(byOwner).toMatchObject({ viewCount: 2, imageId: photo.imageId })
    expect(await dbFirst('SELECT view_count AS n FROM live_photos WHERE id = ?', photo.id)).toEqual({ n: 2 })
  })

  it('a guest likes once (twice is still 1); two guests make 2; the owner cannot like', async () => {
    const owner = await newUser('lvown')
    const s = await createSession(owner.accessToken)
    const photo = nth(await uploadPhotos(owner.accessToken, s.id, await distinctPngs(1)), 0)
    const like = (token: string) => callJson('POST', `/api/live/photos/${photo.id}/like`, undefined, { token })
    const liked = async (token: string) => dataOf(await like(token), likeLivePhotoRoute, 200)
    const ann = await viewerToken(s.id, s.accessCode)
    const bob = await viewerToken(s.id, s.accessCode)
    expect(await liked(ann)).toEqual({ liked: true, likeCount: 1 })
    expect(await liked(ann)).toEqual({ liked: true, likeCount: 1 })
    expect(await liked(bob)).toEqual({ liked: true, likeCount: 2 })
    expectError(await like(owner.accessToken), 401, 'UNAUTHORIZED')
    expectError(await callJson('POST', `/api/live/photos/${photo.id}/like`), 401, 'UNAUTHORIZED')
    expectError(await callJson('POST', '/api/live/photos/lph_nope/like', undefined, { token: ann }), 404, 'NOT_FOUND')
    expect(dataOf(await callJson('GET', `/api/live/photos/${photo.id}`, undefined, { token: ann }), getLivePhotoRoute, 200).photo.likeCount).toBe(2)
  })
})

describe('downloads follow the session policy', () => {
  it('none: guests see downloadUrl null and get 403 FORBIDDEN; the owner still downloads', async () => {
    const owner = await newUser('lvown')
    const s = await createSession(owner.accessToken, { downloadPolicy: 'none' })
    const photo = nth(await uploadPhotos(owner.accessToken, s.id, await distinctPngs(1)), 0)
    expect(photo.downloadUrl).toEqual(expect.any(String))
    const guest = await viewerToken(s.id, s.accessCode)
    const seen = dataOf(await callJson('GET', `/api/live/photos/${photo.id}`, undefined, { token: guest }), getLivePhotoRoute, 200).photo
    expect(seen.downloadUrl).toBeNull()
    const listed = nth(dataOf(await callJson('GET', `/api/live/sessions/${s.id}/photos`, undefined, { token: guest }), listLivePhotosRoute, 200).items, 0)
    expect(listed.downloadUrl).toBeNull()
    expectError(await callJson('GET', `/api/live/photos/${photo.id}/download`, undefined, { token: guest }), 403, 'FORBIDDEN')
    // The owner's signed URL handed to a guest does not get around the policy.
    expectError(await callJson('GET', present(photo.downloadUrl, "the owner's downloadUrl")), 403, 'FORBIDDEN')
    expect((await call('GET', `/api/live/photos/${photo.id}/download`, undefined, { token: owner.accessToken })).status).toBe(200)
  })

  it('preview: guests download the WebP preview as an attachment', async () => {
    const owner = await newUser('lvown')
    const s = await createSession(owner.accessToken, { downloadPolicy: 'preview' })
    const photo = nth(await uploadPhotos(owner.accessToken, s.id, [fixturePhoto('DSCN0010.jpg')]), 0)
    const guest = await viewerToken(s.id, s.accessCode)
    const seen = dataOf(await callJson('GET', `/api/live/photos/${photo.id}`, undefined, { token: guest }), getLivePhotoRoute, 200).photo
    const res = await fetchUrl(present(seen.downloadUrl, 'a guest downloadUrl'))
    expect(res.status).toBe(200)
    expect(res.headers.get('Content-Type')).toBe('image/webp')
    expect(res.headers.get('Content-Disposition')).toMatch(/^attachment;/)
    const bytes = await bytesOf(res)
    expect((await infoOf(bytes)).format).toBe('image/webp')
    expect(latin1(bytes)).not.toMatch(/NIKON|GPS/)
  })

  it('original: guests get the original without EXIF or GPS; the owner gets the exact upload', async () => {
    const owner = await newUser('lvown')
    const s = await createSession(owner.accessToken, { downloadPolicy: 'original' })
    const upload = fixturePhoto('DSCN0010.jpg')
    const photo = nth(await uploadPhotos(owner.accessToken, s.id, [upload]), 0)
    const guest = await viewerToken(s.id, s.accessCode)
    const res = await call('GET', `/api/live/photos/${photo.id}/download`, undefined, { token: guest })
    expect(res.status).toBe(200)
    expect(res.headers.get('Content-Type')).toBe('image/jpeg')
    expect(res.headers.get('Content-Disposition')).toMatch(/^attachment;.*\.jpg"/)
    const clean = await bytesOf(res)
    expect(await infoOf(clean)).toMatchObject({ format: 'image/jpeg', width: 640, height: 480 })
    expect((await readExif(clean)).gps).toBeNull()
    expect(latin1(clean)).not.toMatch(/NIKON|GPS/)
    // Sanity: the upload itself does carry GPS, so the check above is meaningful.
    expect((await readExif(upload)).gps).not.toBeNull()
    const raw = await bytesOf(await call('GET', `/api/live/photos/${photo.id}/download`, undefined, { token: owner.accessToken }))
    expect(raw).toEqual(upload)
  })
})

describe('thumbs and previews', () => {
  it('are served to guests at the signed URLs of the photo, without any token', async () => {
    const owner = await newUser('lvown')
    const s = await createSession(owner.accessToken)
    const photo = nth(await uploadPhotos(owner.accessToken, s.id, [fixturePhoto('DSCN0010.jpg')]), 0)
    const guest = await viewerToken(s.id, s.accessCode)
    const seen = dataOf(await callJson('GET', `/api/live/photos/${photo.id}`, undefined, { token: guest }), getLivePhotoRoute, 200).photo
    for (const [url, side] of [[seen.thumbUrl, 256], [seen.previewUrl, 640]] as const) {
      const res = await fetchUrl(url)
      expect(res.status, url).toBe(200)
      expect(res.headers.get('Content-Type')).toBe('image/webp')
      expect(res.headers.get('Content-Disposition')).toMatch(/^inline;/)
      const info = await infoOf(await bytesOf(res))
      expect(Math.max(info.width ?? 0, info.height ?? 0)).toBe(side)
    }
    // A tampered signature is no signature: a code session then wants a viewer token.
    expectError(await callJson('GET', seen.thumbUrl.replace(/sig=(.)/, (_: string, ch: string) => `sig=${ch === 'A' ? 'B' : 'A'}`)), 401, 'UNAUTHORIZED')
    expectError(await callJson('GET', `/api/live/photos/${photo.id}/preview`), 401, 'UNAUTHORIZED')
    expect((await call('GET', `/api/live/photos/${photo.id}/preview`, undefined, { token: guest })).status).toBe(200)
  })
})

describe('pending and hidden photos do not exist for guests', () => {
  it.each(['pending', 'hidden'] as const)('%s: 404 on every photo route, also with signed URLs; the owner still sees it', async (state) => {
    const owner = await newUser('lvown')
    const s = await createSession(owner.accessToken, { moderation: 'manual', downloadPolicy: 'original' })
    const photo = nth(await uploadPhotos(owner.accessToken, s.id, await distinctPngs(1)), 0)
    if (state === 'hidden') dataOf(await callJson('PUT', `/api/live/photos/${photo.id}`, { status: 'hidden' }, { token: owner.accessToken }), updateLivePhotoRoute, 200)
    const guest = await viewerToken(s.id, s.accessCode)
    const attempts: Array<[string, string, string | undefined]> = [
      ['GET', `/api/live/photos/${photo.id}`, guest],
      ['POST', `/api/live/photos/${photo.id}/like`, guest],
      ...(['thumb', 'preview', 'download'] as const).map((v): [string, string, string] => ['GET', `/api/live/photos/${photo.id}/${v}`, guest]),
      // The owner's signed URLs, leaked to a guest, do not reveal the photo either.
      ['GET', photo.thumbUrl, undefined],
      ['GET', photo.previewUrl, undefined],
      ['GET', present(photo.downloadUrl, "the owner's downloadUrl"), undefined],
    ]
    for (const [method, path, token] of attempts) expectError(await callJson(method, path, undefined, token ? { token } : {}), 404, 'NOT_FOUND')
    expect(await dbFirst('SELECT view_count AS views, like_count AS likes FROM live_photos WHERE id = ?', photo.id)).toEqual({ views: 0, likes: 0 })
    expect(dataOf(await callJson('GET', `/api/live/photos/${photo.id}`, undefined, { token: owner.accessToken }), getLivePhotoRoute, 200).photo.status).toBe(state)
    for (const v of ['thumb', 'preview', 'download']) {
      expect((await call('GET', `/api/live/photos/${photo.id}/${v}`, undefined, { token: owner.accessToken })).status, v).toBe(200)
    }
  })
})
