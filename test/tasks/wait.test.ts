import { env } from 'cloudflare:test'
import { describe, expect, it } from 'vitest'
import { createDb } from '../../src/db/client'
import { createTaskRoute, getTaskRoute } from '../../src/features/tasks/routes'
import { mayWait, waitForTaskEnd } from '../../src/features/tasks/wait'
import { callApp, callJson, dataOf, expectError, newUser } from '../helpers'
import { creditsOf, deliver, envWith, queuedTask, runQueue } from '../support/generation'

const BODY = { prompt: 'a lighthouse at dusk' }
const getTask = async (token: string, id: string) => dataOf(await callJson('GET', `/api/tasks/${id}`, undefined, { token }), getTaskRoute, 200).task

describe('POST /api/tasks?wait=', () => {
  it('answers 200 with the finished task, images included, as GET /api/tasks/{id} shows it', async () => {
    const user = await newUser('wait')
    // The default test env: the real local queue consumer renders the task meanwhile.
    const r = await callJson('POST', '/api/tasks?wait=25', BODY, { token: user.accessToken })
    const { task } = dataOf(r, createTaskRoute, 200)
    expect(task.status).toBe('succeeded')
    expect(task.images).toHaveLength(1)
    expect(task).toEqual(await getTask(user.accessToken, task.id))
  })

  it('with the queue handled by runQueue while the request waits: 200 once the task succeeded', async () => {
    const user = await newUser('wait')
    const bindings = envWith()
    const waiting = callApp(bindings, 'POST', '/api/tasks?wait=25', BODY, { token: user.accessToken })
    // Deliver the queued message as soon as the task was created, while the request still waits.
    while (bindings.sent.length === 0) await new Promise((resolve) => setTimeout(resolve, 20))
    await runQueue(bindings, [bindings.sent[0]!.body])
    const { task } = dataOf(await waiting, createTaskRoute, 200)
    expect(task).toMatchObject({ status: 'succeeded', progress: 100, errorCode: null })
    expect(task.images).toHaveLength(1)
  })

  it('a failure within the wait is 200 too, with its errorCode', async () => {
    const user = await newUser('wait')
    const bindings = envWith({ GENERATION_PROVIDER: 'webhook' })
    const waiting = callApp(bindings, 'POST', '/api/tasks?wait=25', BODY, { token: user.accessToken })
    while (bindings.sent.length === 0) await new Promise((resolve) => setTimeout(resolve, 20))
    const { taskId } = bindings.sent[0]!.body as { taskId: string }
    await deliver('/api/callback/task-failed', { taskId, error: 'Refused', errorCode: 'CONTENT_VIOLATION' })
    const { task } = dataOf(await waiting, createTaskRoute, 200)
    expect(task).toMatchObject({ id: taskId, status: 'failed', errorCode: 'CONTENT_VIOLATION' })
  })

  it('answers 202 with the task as it is when the wait runs out', async () => {
    const user = await newUser('wait')
    // A capturing queue: nothing will ever run the task.
    const started = Date.now()
    const r = await callApp(envWith(), 'POST', '/api/tasks?wait=1', BODY, { token: user.accessToken })
    expect(Date.now() - started).toBeGreaterThanOrEqual(950)
    expect(dataOf(r, createTaskRoute, 202).task.status).toBe('queued')
  })

  it('wait=0 answers at once: 202 for a new task, 200 for an Idempotency-Key replay of a finished one', async () => {
    const user = await newUser('wait')
    const headers = { 'Idempotency-Key': 'wait-replay' }
    const first = await callJson('POST', '/api/tasks?wait=0', BODY, { token: user.accessToken, headers })
    const created = dataOf(first, createTaskRoute, 202).task
    const done = await callJson('POST', '/api/tasks?wait=25', BODY, { token: user.accessToken, headers })
    expect(dataOf(done, createTaskRoute, 200).task).toMatchObject({ id: created.id, status: 'succeeded' })
    const replay = await callJson('POST', '/api/tasks?wait=0', BODY, { token: user.accessToken, headers })
    expect(dataOf(replay, createTaskRoute, 200).task.id).toBe(created.id)
    expect(await creditsOf(user.id)).toBe(98) // charged once
  })

  it('wait outside 0..30 (or not a whole number) is 400, and nothing is created or charged', async () => {
    const user = await newUser('wait')
    const bindings = envWith()
    for (const wait of ['31', '-1', '2.5', 'soon']) {
      expectError(await callApp(bindings, 'POST', `/api/tasks?wait=${wait}`, BODY, { token: user.accessToken }), 400, 'VALIDATION_ERROR')
    }
    expect(bindings.sent).toHaveLength(0)
    expect(await creditsOf(user.id)).toBe(100)
  })

  it('stops waiting as soon as the client is gone (aborted signal)', async () => {
    const user = await newUser('wait')
    const task = await queuedTask(envWith(), user.accessToken)
    const gone = new AbortController()
    const started = Date.now()
    const waiting = waitForTaskEnd(env, createDb(env.DB), user.id, task.id, 20_000, gone.signal)
    setTimeout(() => gone.abort(), 150)
    expect(await waiting).toBeNull()
    expect(Date.now() - started).toBeLessThan(2_000)
  })

  it('mayWait: 20 holds a minute per user, the 21st is refused, another user and the next minute are not', async () => {
    const user = await newUser('wait')
    const other = await newUser('wait')
    const now = Date.UTC(2030, 0, 1, 12, 0, 30)
    const answers = await Promise.all(Array.from({ length: 21 }, () => mayWait(env, user.id, now)))
    // Parallel holds cannot all slip past: the count is taken atomically before the answer.
    expect(answers.filter(Boolean)).toHaveLength(20)
    expect(await mayWait(env, other.id, now)).toBe(true)
    expect(await mayWait(env, user.id, now + 60_000)).toBe(true)
  })

  it('over the hold budget the request is answered at once (202 queued, or 200 when ended), never 429', async () => {
    const user = await newUser('wait')
    // The budget is a fixed minute window: start well inside one so all the hits below share it.
    const intoMinute = Date.now() % 60_000
    if (intoMinute > 40_000) await new Promise((resolve) => setTimeout(resolve, 60_500 - intoMinute))
    const headers = { 'Idempotency-Key': 'wait-budget' }
    const done = await callJson('POST', '/api/tasks?wait=25', BODY, { token: user.accessToken, headers })
    const finished = dataOf(done, createTaskRoute, 200).task
    // Replays of the finished task answer after one poll, each spending one hold of the budget.
    for (let i = 1; i < 20; i++) {
      expect((await callJson('POST', '/api/tasks?wait=25', BODY, { token: user.accessToken, headers })).status).toBe(200)
    }
    // 21st hold: a task nothing will run would keep the request 25 s if it waited; it is answered at once.
    const started = Date.now()
    const r = await callApp(envWith(), 'POST', '/api/tasks?wait=25', { ...BODY, seed: 7 }, { token: user.accessToken })
    expect(Date.now() - started).toBeLessThan(5_000)
    expect(dataOf(r, createTaskRoute, 202).task.status).toBe('queued')
    // An ended task is still 200 over the budget, as with wait=0.
    const replay = await callJson('POST', '/api/tasks?wait=25', BODY, { token: user.accessToken, headers })
    expect(dataOf(replay, createTaskRoute, 200).task.id).toBe(finished.id)
  })
})
