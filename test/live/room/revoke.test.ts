import { afterEach, describe, expect, it } from 'vitest'
import { listLivePhotosRoute } from '../../../src/features/live/photos/routes'
import { updateLiveSessionRoute } from '../../../src/features/live/sessions/routes'
import { call, callJson, dataOf, expectError, newUser } from '../../helpers'
import { closeAllSockets, connectLive, createSession, distinctPngs, uploadPhotos, viewerToken } from '../../support/live'

afterEach(() => closeAllSockets())

describe('ending what guests already hold', () => {
  // A new code must end old access everywhere: HTTP already refuses old viewer tokens, but an
  // open socket and the signed URLs a guest received would otherwise keep working.
  it('a new access code closes guest sockets with 4401 and ends old signed photo URLs', async () => {
    const owner = await newUser('rv')
    const session = await createSession(owner.accessToken)
    const photo = (await uploadPhotos(owner.accessToken, session.id, await distinctPngs(1)))[0]!
    const guestToken = await viewerToken(session.id, session.accessCode)
    const guestList = await callJson('GET', `/api/live/sessions/${session.id}/photos`, undefined, { token: guestToken })
    const thumbUrl = dataOf(guestList, listLivePhotosRoute, 200).items[0]!.thumbUrl
    expect((await call('GET', thumbUrl)).status).toBe(200)
    const guest = await connectLive(session.id, guestToken)

    const changed = await callJson('PUT', `/api/live/sessions/${session.id}`, { regenerateCode: true }, { token: owner.accessToken })
    dataOf(changed, updateLiveSessionRoute, 200)
    expect((await guest.closed).code).toBe(4401)
    expect([401, 404]).toContain((await call('GET', thumbUrl)).status)
    // The owner still sees the photo.
    expect((await call('GET', `/api/live/photos/${photo.id}/thumb`, undefined, { token: owner.accessToken })).status).toBe(200)
  })

  it('ending the session closes guest sockets too', async () => {
    const owner = await newUser('rv')
    const session = await createSession(owner.accessToken)
    const guest = await connectLive(session.id, await viewerToken(session.id, session.accessCode))
    await callJson('PUT', `/api/live/sessions/${session.id}`, { status: 'ended' }, { token: owner.accessToken })
    expect((await guest.closed).code).toBe(4401)
  })
})

describe('malformed base64 never becomes a 500', () => {
  it('answers 400 for base64 that passes the alphabet check but cannot decode', async () => {
    const user = await newUser('rv')
    const res = await callJson('POST', '/api/images/upload', { data: 'AAAAA=' }, { token: user.accessToken })
    expect(res.status).toBe(400)
    expectError(res, 400, 'VALIDATION_ERROR')
  })
})
