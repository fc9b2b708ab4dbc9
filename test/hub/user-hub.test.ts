import { afterEach, describe, expect, it } from 'vitest'
import { z } from '@hono/zod-openapi'
import { createTaskRoute } from '../../src/features/tasks/routes'
import { ErrorSchema } from '../../src/lib/openapi'
import { callJson, dataOf, newUser } from '../helpers'
import { envWith, queuedTask } from '../support/generation'
import { client, closeAll, connect, connectFirstFrame, type FrameOf, upgrade } from '../support/ws-client'

/** The parts of the OpenAPI document this file reads (it has no route schema of its own). */
const OpenApiDoc = z.object({
  components: z.object({
    schemas: z.object({
      UserEvent: z.object({
        oneOf: z.array(z.object({ properties: z.object({ type: z.object({ const: z.string().optional(), enum: z.array(z.string()).optional() }) }) })),
      }),
      UserClientFrame: z.unknown(),
    }),
  }),
  paths: z.object({ '/api/ws': z.object({ get: z.object({ operationId: z.string() }) }) }),
})

afterEach(closeAll)

describe('GET /api/ws handshake', () => {
  it('a plain GET without Upgrade is 426 with the JSON error envelope', async () => {
    const res = await upgrade('/api/ws', {})
    expect(res.status).toBe(426)
    expect(res.headers.get('Content-Type')).toMatch(/application\/json/)
    const body = ErrorSchema.parse(await res.json())
    expect(body).toMatchObject({ success: false, code: expect.any(String), error: expect.any(String) })
  })

  it('?token= connects straight away: connected {userId}, and ping is answered pong', async () => {
    const user = await newUser('ws')
    const c = await connect(user.accessToken)
    const hello = c.frames[0]
    expect(hello).toMatchObject({ type: 'connected', data: { userId: user.id } })
    if (hello?.type !== 'connected') throw new Error('the first frame is not connected')
    expect(new Date(hello.ts).toISOString()).toBe(hello.ts)
    c.ws.send('{"type":"ping"}')
    await c.waitFor((f) => f.type === 'pong')
    // A ping with extra fields misses the runtime auto-response and is answered by the hub.
    c.frames.length = 0
    c.ws.send(JSON.stringify({ type: 'ping', id: 7 }))
    await c.waitFor((f) => f.type === 'pong')
  })

  it('a bad, or signed-out, ?token= is refused with 401 and no socket', async () => {
    const user = await newUser('ws')
    for (const token of ['not-a-jwt', `${user.accessToken}x`]) {
      const res = await upgrade(`/api/ws?token=${token}`)
      expect(res.status).toBe(401)
      expect(res.webSocket).toBeNull()
      expect(ErrorSchema.parse(await res.json()).code).toBe('UNAUTHORIZED')
    }
    await callJson('POST', '/api/auth/logout', { refreshToken: user.refreshToken }, { token: user.accessToken })
    expect((await upgrade(`/api/ws?token=${user.accessToken}`)).status).toBe(401)
  })

  it('first-frame auth {"type":"auth","token"} works, and frames are relayed both ways', async () => {
    const user = await newUser('ws')
    const c = await connectFirstFrame(user.accessToken)
    expect((await c.waitForType('connected')).data.userId).toBe(user.id)
    c.ws.send('{"type":"ping"}')
    await c.waitFor((f) => f.type === 'pong')
  })

  it('a first frame that is not auth, or carries a bad token, closes the socket with 4401', async () => {
    for (const frame of ['hello', JSON.stringify({ type: 'ping' }), JSON.stringify({ type: 'auth', token: 'forged.token.here' })]) {
      const c = client(await upgrade('/api/ws'))
      c.ws.send(frame)
      const { code } = await c.closed
      expect(code).toBe(4401)
      expect(c.frames).toEqual([expect.objectContaining({ type: 'error', data: expect.objectContaining({ code: 'UNAUTHORIZED' }) })])
    }
  })

  it('no auth frame within 5 seconds closes with 4401', async () => {
    const started = Date.now()
    const c = client(await upgrade('/api/ws'))
    const { code } = await c.closed
    expect(code).toBe(4401)
    expect(Date.now() - started).toBeGreaterThanOrEqual(4900)
  }, 15_000)
})

describe('user event types', () => {
  it('are documented once, as the UserEvent and UserClientFrame components of the OpenAPI document', async () => {
    const doc = OpenApiDoc.parse((await callJson('GET', '/openapi.json')).body)
    const variants = doc.components.schemas.UserEvent.oneOf
    expect(variants.map((v) => v.properties.type.const ?? v.properties.type.enum?.[0]).sort()).toEqual(
      [
        'auth.ok',
        'connected',
        'credits.changed',
        'error',
        'message.created',
        'message.deleted',
        'message.updated',
        'security.login_failures',
        'session.created',
        'session.deleted',
        'session.updated',
        'task.completed',
        'task.failed',
        'task.progress',
        'user.followed',
        'work.commented',
        'work.liked',
        'work.reviewed',
      ],
    )
    expect(doc.components.schemas.UserClientFrame).toBeDefined()
    expect(doc.paths['/api/ws'].get.operationId).toBe('connectUserSocket')
  })
})

describe('user events', () => {
  it('every device of the user gets task.progress, task.completed and credits.changed; other users get nothing', async () => {
    const user = await newUser('ws')
    const stranger = await newUser('ws')
    const phone = await connect(user.accessToken)
    const laptop = await connectFirstFrame(user.accessToken)
    const other = await connect(stranger.accessToken)

    // The real Worker and queue consumer run the task; events flow from them to the hub.
    const created = await callJson('POST', '/api/tasks', { prompt: 'a lantern in fog' }, { token: user.accessToken })
    const taskId = dataOf(created, createTaskRoute, 202).task.id

    for (const device of [phone, laptop]) {
      const done = await device.waitForType('task.completed', (f) => f.data.taskId === taskId)
      expect(done.data.images).toHaveLength(1)
      expect(done.data.images[0]).toMatchObject({ taskId, type: 'generated' })
      expect(await device.waitFor((f) => f.type === 'credits.changed')).toMatchObject({ data: { balance: 98 } })
      const progress = device.frames.filter((f): f is FrameOf<'task.progress'> => f.type === 'task.progress' && f.data.taskId === taskId)
      expect(progress.length).toBeGreaterThan(1)
      expect(progress.every((f) => f.data.status === 'running')).toBe(true)
      const values = progress.map((f) => f.data.progress)
      expect(values).toEqual([...values].sort((a, b) => a - b))
      expect(device.frames.every((f) => 'ts' in f && typeof f.ts === 'string')).toBe(true)
      // Every frame matched the declared UserEvent schema (the client records any other as undeclared).
      expect(device.frames.filter((f) => f.type === 'undeclared-frame')).toEqual([])
    }
    // Give any stray event time to arrive before asserting the stranger saw none.
    await new Promise((resolve) => setTimeout(resolve, 200))
    expect(other.frames.map((f) => f.type)).toEqual(['connected'])
  })

  it('a cancel is pushed as task.failed {status: canceled} with the refunded balance', async () => {
    const user = await newUser('ws')
    const task = await queuedTask(envWith(), user.accessToken)
    const device = await connect(user.accessToken)
    const r = await callJson('POST', `/api/tasks/${task.id}/cancel`, undefined, { token: user.accessToken })
    expect(r.status).toBe(200)
    expect(await device.waitFor((f) => f.type === 'task.failed')).toMatchObject({ data: { taskId: task.id, status: 'canceled', error: expect.any(String) } })
    expect(await device.waitFor((f) => f.type === 'credits.changed')).toMatchObject({ data: { balance: 100 } })
  })
})
