import { createExecutionContext, env, waitOnExecutionContext } from 'cloudflare:test'
import { exports } from 'cloudflare:workers'
import { describe, expect, it } from 'vitest'
import { createApp } from '../../src/app'
import { createLiveUploadRoute } from '../../src/features/live/uploads/routes'
import { callJson, dataOf, expectError, freshIp, newUser } from '../helpers'
import { createSession } from '../support/live'

// Production isolates have 128 MB. A body must be refused by its route's cap without being
// buffered, and the IP shield and auth must answer before a single body byte is read.

const MB = 1024 * 1024

/** A lazily produced body of `total` bytes in 64 KiB chunks that records how much was pulled. */
function meteredBody(total: number) {
  const meter = { pulled: 0 }
  const chunk = new Uint8Array(64 * 1024).fill(0x41)
  const stream = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (meter.pulled >= total) return controller.close()
      const piece = chunk.subarray(0, Math.min(chunk.length, total - meter.pulled))
      meter.pulled += piece.length
      controller.enqueue(piece.slice())
    },
  })
  return { stream, meter }
}

async function send(path: string, body: ReadableStream<Uint8Array>, headers: Record<string, string>, bindings?: Partial<Env>) {
  const request = new Request(`http://localhost${path}`, {
    method: path.includes('/parts/') ? 'PUT' : 'POST',
    headers: { 'CF-Connecting-IP': freshIp(), ...headers },
    body,
  })
  let res: Response
  if (bindings) {
    const ctx = createExecutionContext()
    res = await createApp().fetch(request, { ...env, ...bindings }, ctx)
    await waitOnExecutionContext(ctx)
  } else res = await exports.default.fetch(request)
  return { res, status: res.status, body: (await res.json()) as unknown }
}

const multipart = 'multipart/form-data; boundary=xyz'

describe('per-route body caps', () => {
  it('register and avatar refuse a declared 101 MB body with 413 without reading it', async () => {
    const user = await newUser('cap')
    for (const [path, token] of [['/api/auth/register', undefined], ['/api/users/avatar', user.accessToken]] as const) {
      const { stream, meter } = meteredBody(101 * MB)
      const headers: Record<string, string> = { 'Content-Type': multipart, 'Content-Length': String(101 * MB) }
      if (token) headers.Authorization = `Bearer ${token}`
      const res = await send(path, stream, headers)
      expect(res.status, path).toBe(413)
      expect(expectError(res, 413, 'PAYLOAD_TOO_LARGE').error).toMatch(/2\.06 MB/)
      expect(meter.pulled, path).toBeLessThanOrEqual(128 * 1024) // at most what a stream prefetches
    }
  })

  it('a chunked body (no Content-Length) over the cap is cut off at the cap with 413', async () => {
    const { stream, meter } = meteredBody(3 * MB)
    const res = await send('/api/auth/register', stream, { 'Content-Type': multipart })
    expectError(res, 413, 'PAYLOAD_TOO_LARGE')
    expect(meter.pulled).toBeLessThan(2 * MB + 64 * 1024 + 256 * 1024)
  })

  it('JSON routes take 1 MB, resumable parts 5 MiB + 64 KiB', async () => {
    const user = await newUser('cap')
    const json = meteredBody(MB + 10)
    expect((await send('/api/auth/login', json.stream, { 'Content-Type': 'application/json' })).status).toBe(413)
    const session = await createSession(user.accessToken)
    const started = await callJson('POST', `/api/live/sessions/${session.id}/uploads`, { size: 6 * MB }, { token: user.accessToken })
    const { upload } = dataOf(started, createLiveUploadRoute, 201)
    const part = meteredBody(5 * MB + 65 * 1024)
    const res = await send(`/api/live/sessions/${session.id}/uploads/${upload.id}/parts/1`, part.stream, {
      'Content-Type': 'application/octet-stream', Authorization: `Bearer ${user.accessToken}`,
    })
    expect(res.status).toBe(413)
    expect(part.meter.pulled).toBeLessThan(5 * MB + 64 * 1024 + 256 * 1024)
  })
})

describe('shield and auth before the body', () => {
  it('an unauthenticated 40 MB upload gets 401 without its body being read', async () => {
    for (const path of ['/api/images/upload', '/api/live/sessions/lsn_x/photos', '/api/live/sessions/lsn_x/uploads/upl_x/parts/1']) {
      const { stream, meter } = meteredBody(40 * MB)
      const res = await send(path, stream, { 'Content-Type': multipart })
      expect(res.status, path).toBe(401)
      expectError(res, 401, 'UNAUTHORIZED')
      expect(meter.pulled, path).toBeLessThanOrEqual(128 * 1024)
    }
  })

  it('a shielded IP gets 429 before its body is read', async () => {
    const limiter = { limit: async () => ({ success: false }) } as unknown as RateLimit
    const { stream, meter } = meteredBody(40 * MB)
    const res = await send('/api/images/upload', stream, { 'Content-Type': multipart }, { API_RATE_LIMITER: limiter })
    expectError(res, 429, 'RATE_LIMITED')
    expect(meter.pulled).toBeLessThanOrEqual(128 * 1024)
  })
})
