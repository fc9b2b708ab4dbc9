import { afterEach, describe, expect, it, vi } from 'vitest'
import { getTaskRoute, listTasksRoute } from '../../src/features/tasks/routes'
import { errorCodeFromText } from '../../src/features/tasks/error-codes'
import type { TaskDto } from '../../src/features/tasks/schemas'
import { callApp, callJson, dataOf, newUser, type TestUser } from '../helpers'
import { creditsOf, deliver, envWith, generate, mockFetch, queuedTask, runQueue, signedHeaders, taskRow } from '../support/generation'
import { closeAll, connect } from '../support/ws-client'

afterEach(() => {
  vi.restoreAllMocks()
  closeAll()
})

/** The task as its owner reads it, plus the raw JSON (zod would drop a field the schema lacks). */
async function readTask(user: TestUser, id: string): Promise<{ task: TaskDto; raw: Record<string, unknown> }> {
  const r = await callJson('GET', `/api/tasks/${id}`, undefined, { token: user.accessToken })
  const raw = (r.body as { data: { task: Record<string, unknown> } }).data.task
  return { task: dataOf(r, getTaskRoute, 200).task, raw }
}

async function webhookTask() {
  const user = await newUser('ecode')
  const task = await queuedTask(envWith({ GENERATION_PROVIDER: 'webhook' }), user.accessToken, { prompt: 'a neon koi' })
  return { user, task }
}

describe('webhook (n8n) failures carry an errorCode', () => {
  it('a plain failure is GENERATION_FAILED, in the task, the list and the task.failed event', async () => {
    const { user, task } = await webhookTask()
    // Queued tasks are not failed: no code yet, and the field is there (null), not missing.
    expect((await readTask(user, task.id)).raw).toHaveProperty('errorCode', null)
    const device = await connect(user.accessToken)
    await deliver('/api/callbacks/webhook', { taskId: task.id, status: 'failed', error: 'CUDA out of memory' })
    expect(await taskRow(task.id)).toMatchObject({ status: 'failed', error_code: 'GENERATION_FAILED' })
    expect((await readTask(user, task.id)).task).toMatchObject({ status: 'failed', errorCode: 'GENERATION_FAILED', error: 'CUDA out of memory' })
    const list = dataOf(await callJson('GET', '/api/tasks', undefined, { token: user.accessToken }), listTasksRoute, 200)
    expect(list.items.find((t) => t.id === task.id)?.errorCode).toBe('GENERATION_FAILED')
    expect(await device.waitFor((f) => f.type === 'task.failed')).toMatchObject({
      data: { taskId: task.id, status: 'failed', error: 'CUDA out of memory', errorCode: 'GENERATION_FAILED' },
    })
    expect(await creditsOf(user.id)).toBe(100) // refunded as before
  })

  it('errorCode CONTENT_VIOLATION sent by the flow (both callback routes) is kept', async () => {
    for (const path of ['/api/callbacks/webhook', '/api/callback/task-failed']) {
      const { user, task } = await webhookTask()
      const body = path.endsWith('webhook')
        ? { taskId: task.id, status: 'failed', error: 'Refused by moderation', errorCode: 'CONTENT_VIOLATION' }
        : { taskId: task.id, error: 'Refused by moderation', errorCode: 'CONTENT_VIOLATION' }
      expect((await deliver(path, body)).status).toBe(200)
      expect((await readTask(user, task.id)).task).toMatchObject({ status: 'failed', errorCode: 'CONTENT_VIOLATION' })
    }
  })

  it('without errorCode, an error text naming a content refusal is CONTENT_VIOLATION', async () => {
    const { user, task } = await webhookTask()
    await deliver('/api/callback/task-failed', { taskId: task.id, error: 'NSFW content detected in the prompt' })
    expect((await readTask(user, task.id)).task.errorCode).toBe('CONTENT_VIOLATION')
  })

  it('an unknown errorCode is a 400 and changes nothing', async () => {
    const { user, task } = await webhookTask()
    const r = await deliver('/api/callback/task-failed', { taskId: task.id, error: 'x', errorCode: 'BANANA' })
    expect(r.status).toBe(400)
    expect((await readTask(user, task.id)).task.status).toBe('queued')
  })

  it('a canceled task has errorCode null (task and event)', async () => {
    const { user, task } = await webhookTask()
    const device = await connect(user.accessToken)
    expect((await callJson('POST', `/api/tasks/${task.id}/cancel`, undefined, { token: user.accessToken })).status).toBe(200)
    expect((await readTask(user, task.id)).raw).toMatchObject({ status: 'canceled', errorCode: null })
    expect(await device.waitFor((f) => f.type === 'task.failed')).toMatchObject({ data: { status: 'canceled', errorCode: null } })
  })
})

describe('Replicate failures carry an errorCode', () => {
  const SECRET = `whsec_${btoa('replicate-signing-secret-for-tests!')}`
  const replicateEnv = () =>
    envWith({
      GENERATION_PROVIDER: 'replicate', REPLICATE_API_TOKEN: 'r8_test_token', REPLICATE_MODEL: 'stability-ai/sdxl',
      REPLICATE_WEBHOOK_SECRET: SECRET, REPLICATE_API_BASE: 'https://api.replicate.com', PUBLIC_BASE_URL: 'https://darkroom.example',
    })

  /** A task the consumer submitted to (mocked) Replicate as prediction `predictionId`. */
  async function submitted(predictionId: string) {
    const user = await newUser('ecode')
    const bindings = replicateEnv()
    const task = await queuedTask(bindings, user.accessToken, { prompt: 'a brutalist library' })
    mockFetch((req) => (req.url.endsWith('/v1/models/stability-ai/sdxl/predictions') ? Response.json({ id: predictionId, status: 'starting' }, { status: 201 }) : undefined))
    await runQueue(bindings, [generate(task.id)])
    vi.restoreAllMocks()
    return { user, task }
  }

  async function deliverPrediction(payload: Record<string, unknown>) {
    const raw = JSON.stringify(payload)
    return callApp(replicateEnv(), 'POST', '/api/callbacks/replicate', raw, { headers: await signedHeaders(raw, { secret: SECRET }) })
  }

  it('a prediction failed by the safety checker (NSFW) is CONTENT_VIOLATION; any other failure GENERATION_FAILED', async () => {
    const cases = [
      ['NSFW content detected. Try running it again, or try a different prompt.', 'CONTENT_VIOLATION'],
      ['CUDA error: out of memory', 'GENERATION_FAILED'],
    ] as const
    for (const [error, code] of cases) {
      const predictionId = `rep_ecode_${crypto.randomUUID().slice(0, 8)}`
      const { user, task } = await submitted(predictionId)
      expect((await deliverPrediction({ id: predictionId, status: 'failed', error, output: null })).status).toBe(200)
      expect((await readTask(user, task.id)).task).toMatchObject({ status: 'failed', error, errorCode: code })
    }
  })

  it('a prediction Replicate refuses at creation for NSFW input is CONTENT_VIOLATION', async () => {
    const user = await newUser('ecode')
    const bindings = replicateEnv()
    const task = await queuedTask(bindings, user.accessToken, { prompt: 'something refused' })
    mockFetch(() => Response.json({ detail: 'Input flagged: NSFW content is not allowed' }, { status: 422 }))
    await runQueue(bindings, [generate(task.id)])
    expect(await taskRow(task.id)).toMatchObject({ status: 'failed', error_code: 'CONTENT_VIOLATION' })
  })
})

describe('errorCodeFromText', () => {
  it('recognises content refusals and nothing else', () => {
    for (const text of ['NSFW content detected', 'blocked by the safety checker', 'violates our content policy', 'Content filter triggered']) {
      expect(errorCodeFromText(text)).toBe('CONTENT_VIOLATION')
    }
    // Words that merely look close must not turn a generation failure into a content violation.
    for (const text of ['Out of GPU memory', 'contents of the output were empty', 'unsafe cast in node 4', '', null, undefined]) {
      expect(errorCodeFromText(text)).toBe('GENERATION_FAILED')
    }
  })
})
