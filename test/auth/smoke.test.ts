import { describe, expect, it } from 'vitest'
import { getMeRoute } from '../../src/features/auth/routes'
import { HealthSchema } from '../../src/features/system/schemas'
import { callJson, dataOf, newUser } from '../helpers'

describe('smoke', () => {
  it('registers, logs in and reads me', async () => {
    const user = await newUser()
    const me = await callJson('GET', '/api/auth/me', undefined, { token: user.accessToken })
    expect(dataOf(me, getMeRoute, 200).user.username).toBe(user.username)
    expect(me.res.headers.get('X-Request-Id')).toBeTruthy()
  })
  it('health', async () => {
    const h = await callJson('GET', '/health')
    expect(h.status).toBe(200)
    expect(HealthSchema.parse(h.body).status).toBe('ok')
  })
})
