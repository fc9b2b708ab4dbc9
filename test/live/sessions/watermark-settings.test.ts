import { describe, expect, it } from 'vitest'
import { updateLiveSessionRoute, uploadLiveWatermarkRoute } from '../../../src/features/live/sessions/routes'
import { callJson, dataOf, newUser } from '../../helpers'
import { formWith, makePng } from '../../support/images'
import { createSession } from '../../support/live'

describe('PUT /api/live/sessions/:id watermark placement', () => {
  it('changes only the placement fields sent; the others keep their values', async () => {
    const owner = await newUser('wmset')
    const session = await createSession(owner.accessToken)
    const png = await makePng(40, 20)
    const uploaded = await callJson('POST', `/api/live/sessions/${session.id}/watermark`, formWith('watermark', [{ bytes: png, name: 'mark.png', type: 'image/png' }]), { token: owner.accessToken })
    dataOf(uploaded, uploadLiveWatermarkRoute, 200)
    const put = (watermark: Record<string, unknown>) => callJson('PUT', `/api/live/sessions/${session.id}`, { watermark }, { token: owner.accessToken })
    expect((await put({ position: 'top-left', scale: 0.3 })).status).toBe(200)
    const r = await put({ opacity: 0.25 })
    expect(dataOf(r, updateLiveSessionRoute, 200).session.watermark).toMatchObject({ position: 'top-left', scale: 0.3, opacity: 0.25 })
  })
})
