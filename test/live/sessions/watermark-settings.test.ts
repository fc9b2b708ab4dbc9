import { describe, expect, it } from 'vitest'
import { callJson, newUser } from '../../helpers'
import { formWith, makePng } from '../../support/images'
import { createSession } from '../../support/live'

describe('PUT /api/live/sessions/:id watermark placement', () => {
  it('changes only the placement fields sent; the others keep their values', async () => {
    const owner = await newUser('wmset')
    const session = await createSession(owner.accessToken)
    const png = await makePng(40, 20)
    const uploaded = await callJson('POST', `/api/live/sessions/${session.id}/watermark`, formWith('watermark', [{ bytes: png, name: 'mark.png', type: 'image/png' }]), { token: owner.accessToken })
    expect(uploaded.status).toBe(200)
    const put = (watermark: Record<string, unknown>) => callJson('PUT', `/api/live/sessions/${session.id}`, { watermark }, { token: owner.accessToken })
    expect((await put({ position: 'top-left', scale: 0.3 })).status).toBe(200)
    const r = await put({ opacity: 0.25 })
    expect(r.status).toBe(200)
    expect(r.body.data.session.watermark).toMatchObject({ position: 'top-left', scale: 0.3, opacity: 0.25 })
  })
})
