import { afterEach, describe, expect, it } from 'vitest'
import { abortLiveUploadRoute, completeLiveUploadRoute, createLiveUploadRoute, getLiveUploadRoute, putLiveUploadPartRoute } from '../../../src/features/live/uploads/routes'
import { PART_SIZE } from '../../../src/features/live/uploads/schemas'
import { call, callJson, dataOf, dbFirst, expectError, newUser } from '../../helpers'
import { closeAllSockets, connectLive, createSession, distinctPngs, viewerToken } from '../../support/live'

afterEach(closeAllSockets)

const base = (sessionId: string) => `/api/live/sessions/${sessionId}/uploads`

describe('resumable live uploads', () => {
  it('start, send the part, see it arrived, complete: the photo is published to owner and guests', async () => {
    const owner = await newUser('lvown')
    const s = await createSession(owner.accessToken)
    const [png] = await distinctPngs(1)
    const ownerSocket = await connectLive(s.id, owner.accessToken)
    const guestSocket = await connectLive(s.id, await viewerToken(s.id, s.accessCode))

    const started = dataOf(await callJson('POST', base(s.id), { size: png!.length, filename: 'IMG_1.png' }, { token: owner.accessToken }), createLiveUploadRoute, 201)
    expect(started.upload).toMatchObject({ total: png!.length, received: 0, partSize: PART_SIZE, totalParts: 1, parts: [], filename: 'IMG_1.png' })
    const id = started.upload.id

    const part = await call('PUT', `${base(s.id)}/${id}/parts/1`, png, { token: owner.accessToken, headers: { 'Content-Type': 'application/octet-stream' } })
    const stored = dataOf({ status: part.status, body: await part.json() }, putLiveUploadPartRoute, 200)
    expect(stored.upload).toMatchObject({ received: png!.length, parts: [1] })
    const progress = await ownerSocket.waitForType('upload.progress', 'upload.progress')
    expect(progress.data).toEqual({ uploadId: id, received: png!.length, total: png!.length })

    const seen = dataOf(await callJson('GET', `${base(s.id)}/${id}`, undefined, { token: owner.accessToken }), getLiveUploadRoute, 200)
    expect(seen.upload.parts).toEqual([1])

    const done = dataOf(await callJson('POST', `${base(s.id)}/${id}/complete`, undefined, { token: owner.accessToken }), completeLiveUploadRoute, 201)
    expect(done.photo).toMatchObject({ sessionId: s.id, status: 'approved', width: expect.any(Number) })
    expect(done.photo.imageId).toEqual(expect.any(String))
    const added = await guestSocket.waitForType('photo.added', (e) => e.data.photo.id === done.photo.id, 'the guest photo.added')
    expect(added.data.photo).not.toHaveProperty('imageId')
    // Upload progress is the owner's alone, and never stored.
    expect(guestSocket.events.some((e) => e.type === 'upload.progress')).toBe(false)
    expect(progress).not.toHaveProperty('seq')
    // The staging row is gone once the photo is stored.
    expect(await dbFirst('SELECT id FROM live_uploads WHERE id = ?1', id)).toBeNull()
    expectError(await callJson('GET', `${base(s.id)}/${id}`, undefined, { token: owner.accessToken }), 404, 'NOT_FOUND')
  })

  it('refuses a part of the wrong size or number (400), completes only when every part arrived (409 with missing)', async () => {
    const owner = await newUser('lvown')
    const s = await createSession(owner.accessToken)
    const size = PART_SIZE + 10
    const started = dataOf(await callJson('POST', base(s.id), { size }, { token: owner.accessToken }), createLiveUploadRoute, 201)
    expect(started.upload.totalParts).toBe(2)
    const id = started.upload.id
    const put = (n: number, bytes: Uint8Array) => call('PUT', `${base(s.id)}/${id}/parts/${n}`, bytes, { token: owner.accessToken, headers: { 'Content-Type': 'application/octet-stream' } })
    const wrongSize = await put(2, new Uint8Array(9))
    expectError({ status: wrongSize.status, body: await wrongSize.json() }, 400, 'VALIDATION_ERROR')
    const wrongNumber = await put(3, new Uint8Array(10))
    expectError({ status: wrongNumber.status, body: await wrongNumber.json() }, 400, 'VALIDATION_ERROR')
    expect((await put(2, new Uint8Array(10))).status).toBe(200)
    const early = expectError(await callJson('POST', `${base(s.id)}/${id}/complete`, undefined, { token: owner.accessToken }), 409, 'CONFLICT')
    expect(early.details).toEqual({ missing: [1] })
  })

  it('abandoning removes the upload; sizes over the image limit are 413; uploads of others are 404', async () => {
    const owner = await newUser('lvown')
    const other = await newUser('lvoth')
    const s = await createSession(owner.accessToken)
    const started = dataOf(await callJson('POST', base(s.id), { size: 100 }, { token: owner.accessToken }), createLiveUploadRoute, 201)
    const id = started.upload.id
    expectError(await callJson('GET', `${base(s.id)}/${id}`, undefined, { token: other.accessToken }), 404, 'NOT_FOUND')
    expectError(await callJson('DELETE', `${base(s.id)}/${id}`, undefined, { token: other.accessToken }), 404, 'NOT_FOUND')
    const aborted = await callJson('DELETE', `${base(s.id)}/${id}`, undefined, { token: owner.accessToken })
    expect(dataOf(aborted, abortLiveUploadRoute, 200)).toEqual({ aborted: true })
    expect(await dbFirst('SELECT id FROM live_uploads WHERE id = ?1', id)).toBeNull()
    expectError(await callJson('POST', base(s.id), { size: 10_000 * 1024 * 1024 }, { token: owner.accessToken }), 413, 'PAYLOAD_TOO_LARGE')
  })
})
