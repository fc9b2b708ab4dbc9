import { describe, expect, it } from 'vitest'
import { callJson, newUser } from '../helpers'

describe('smoke', () => {
  it('registers, logs in and reads me', async () => {
    const user = await newUser()
    const me = await callJson('GET', '/api/auth/me', undefined, { token: user.accessToken })
    expect(me.status).toBe(200)
    expect(me.body.data.user.username).toBe(user.username)
    expect(me.res.headers.get('X-Request-Id')).toBeTruthy()
  })
  it('health', async () => {
    const h = await callJson('GET', '/health')
    expect(h.status).toBe(200)
    expect(h.body.status).toBe('ok')
  })
})
