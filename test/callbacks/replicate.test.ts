import { env } from 'cloudflare:test'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { receiveProviderCallbackRoute } from '../../src/features/callbacks/routes'
import type { TaskDto } from '../../src/features/tasks/schemas'
import { callApp, dataOf, expectError, newUser, type TestUser } from '../helpers'
import { makePng } from '../support/images'
import {
  creditsOf, envWith, expectLedgerMatchesBalance, generate, imageRowsOf, ledgerCount, mockFetch, queuedTask, runQueue, signedHeaders, taskRow,
} from '../support/generation'

afterEach(() => vi.restoreAllMocks())

// Replicate signs its webhooks with its own secret (GET /v1/webhooks/default/secret), not ours.
const REPLICATE_SECRET = `whsec_${btoa('replicate-signing-secret-for-tests!')}`
const replicateEnv = (extra: Partial<Env> = {}) =>
  envWith({
    GENERATION_PROVIDER: 'replicate',
    REPLICATE_API_TOKEN: 'r8_test_token',
    REPLICATE_MODEL: 'stability-ai/sdxl',
    REPLICATE_WEBHOOK_SECRET: REPLICATE_SECRET,
    REPLICATE_API_BASE: 'https://api.replicate.com',
    PUBLIC_BASE_URL: 'https://darkroom.example',
    ...extra,
  })

let predictionCounter = 0

/** A replicate task that the queue consumer submitted: Replicate now knows it by prediction id. */
async function submittedTask(batchSize = 1): Promise<{ user: TestUser; task: TaskDto; predictionId: string }> {
  const user = await newUser('rep')
  const bindings = replicateEnv()
  const task = await queuedTask(bindings, user.accessToken, { prompt: 'a brutalist library', batchSize })
  const predictionId = `rep_${++predictionCounter}_${crypto.randomUUID().slice(0, 8)}`
  mockFetch((req) => (req.url === 'https://api.replicate.com/v1/models/stability-ai/sdxl/predictions' ? Response.json({ id: predictionId, status: 'starting' }, { status: 201 }) : undefined))
  await runQueue(bindings, [generate(task.id)])
  vi.restoreAllMocks()
  expect(await taskRow(task.id)).toMatchObject({ status: 'running', provider_job_id: predictionId })
  return { user, task, predictionId }
}

/** A prediction as Replicate's webhook delivers it (extra fields included). */
const prediction = (id: string, fields: Record<string, unknown>) => ({
  id,
  version: '7762fd07cf82c948538e41f63f77d685e02b063e37e496e96eefd46c929f9bdc',
  input: { prompt: 'a brutalist library' },
  logs: '',
  output: null,
  error: null,
  created_at: new Date().toISOString(),
  urls: { get: `https://api.replicate.com/v1/predictions/${id}`, cancel: `https://api.replicate.com/v1/predictions/${id}/cancel` },
  ...fields,
})

async function deliverReplicate(payload: unknown, opts: { secret?: string; bindings?: Env; id?: string } = {}) {
  const raw = JSON.stringify(payload)
  const headers = await signedHeaders(raw, { secret: opts.secret ?? REPLICATE_SECRET, id: opts.id })
  return callApp(opts.bindings ?? replicateEnv(), 'POST', '/api/callbacks/replicate', raw, { headers })
}

/** The acknowledgement of a delivery that was accepted (200). */
const ack = (r: { status: number; body: unknown }) => dataOf(r, receiveProviderCallbackRoute, 200)

describe('POST /api/callbacks/replicate', () => {
  it('starting and processing report progress (processing reads the tqdm percentage from logs)', async () => {
    const { task, predictionId } = await submittedTask()
    const starting = await deliverReplicate(prediction(predictionId, { status: 'starting' }))
    expect(ack(starting)).toEqual({ received: true, duplicate: false, effect: 'progress' })
    expect((await taskRow(task.id)).progress).toBe(1)
    const logs = 'Using seed: 42\n  0%|          | 0/30 [00:00<?, ?it/s]\n 45%|████▌     | 13/30 [00:02<00:03,  5.1it/s]'
    await deliverReplicate(prediction(predictionId, { status: 'processing', logs }))
    expect(await taskRow(task.id)).toMatchObject({ status: 'running', progress: 45 })
  })

  it('succeeded downloads every output URL and completes the task', async () => {
    const { user, task, predictionId } = await submittedTask(2)
    const png = await makePng(48, 48)
    const { seen } = mockFetch((req) => (req.url.startsWith('https://replicate.delivery/') ? new Response(png) : undefined))
    const output = ['https://replicate.delivery/pbxt/a/out-0.png', 'https://replicate.delivery/pbxt/a/out-1.png']
    const r = await deliverReplicate(prediction(predictionId, { status: 'succeeded', output, metrics: { predict_time: 4.2 } }))
    expect(ack(r).effect).toBe('completed')
    expect(seen.map((s) => s.url)).toEqual(output)
    expect(await taskRow(task.id)).toMatchObject({ status: 'succeeded', progress: 100 })
    expect(await imageRowsOf(task.id)).toHaveLength(2)
    expect(await creditsOf(user.id)).toBe(96)

    // Replicate also sends "output" events; one arriving late changes nothing.
    const late = await deliverReplicate(prediction(predictionId, { status: 'processing', logs: ' 90%|█████████ | 27/30' }))
    expect(ack(late).effect).toBe('ignored')
    expect((await taskRow(task.id)).status).toBe('succeeded')
  })

  it('a single output string is one image', async () => {
    const { task, predictionId } = await submittedTask()
    const png = await makePng(20, 20)
    mockFetch(() => new Response(png))
    await deliverReplicate(prediction(predictionId, { status: 'succeeded', output: 'https://replicate.delivery/pbxt/b/out.png' }))
    expect(await imageRowsOf(task.id)).toHaveLength(1)
  })

  it.each([
    ['failed', { status: 'failed', error: 'NSFW content detected. Try running it again, or try a different prompt.' }, 'NSFW content detected. Try running it again, or try a different prompt.'],
    ['canceled', { status: 'canceled' }, 'Prediction canceled'],
  ])('%s fails the task and refunds once, even if delivered again under a new id', async (_, fields, error) => {
    const { user, task, predictionId } = await submittedTask()
    const r = await deliverReplicate(prediction(predictionId, fields))
    expect(ack(r).effect).toBe('failed')
    expect(await taskRow(task.id)).toMatchObject({ status: 'failed', error })
    await deliverReplicate(prediction(predictionId, fields))
    expect(await ledgerCount(task.id, 'task_refund')).toBe(1)
    expect(await creditsOf(user.id)).toBe(100)
    await expectLedgerMatchesBalance(user.id)
  })

  it('a repeated webhook-id is a duplicate', async () => {
    const { task, predictionId } = await submittedTask()
    await deliverReplicate(prediction(predictionId, { status: 'processing', logs: ' 10%|█' }), { id: 'msg_rep_dup' })
    const again = await deliverReplicate(prediction(predictionId, { status: 'failed', error: 'x' }), { id: 'msg_rep_dup' })
    expect(ack(again)).toEqual({ received: true, duplicate: true, effect: 'ignored' })
    expect(await taskRow(task.id)).toMatchObject({ status: 'running', progress: 10 })
  })

  it('a prediction whose task is not known answers 503 NOT_READY and is not recorded, so its retry is processed', async () => {
    const id = `msg_rep_unknown_${crypto.randomUUID().slice(0, 8)}`
    const r = await deliverReplicate(prediction('rep_unknown', { status: 'failed', error: 'boom' }), { id })
    expectError(r, 503, 'NOT_READY')
    expect(r.res.headers.get('Retry-After')).toBe('5')
    expect(await env.DB.prepare('SELECT 1 FROM webhook_events WHERE id = ?1').bind(id).first()).toBeNull()
  })

  it('deliveries signed with our WEBHOOK_SECRET instead of Replicate\'s are refused', async () => {
    const { task, predictionId } = await submittedTask()
    const forged = await deliverReplicate(prediction(predictionId, { status: 'failed', error: 'x' }), { secret: replicateEnv().WEBHOOK_SECRET })
    expectError(forged, 401, 'INVALID_SIGNATURE')
    expect((await taskRow(task.id)).status).toBe('running')
  })

  it('without REPLICATE_WEBHOOK_SECRET the endpoint is 503 NOT_CONFIGURED, never unauthenticated', async () => {
    const r = await deliverReplicate(prediction('rep_x', { status: 'failed' }), { bindings: replicateEnv({ REPLICATE_WEBHOOK_SECRET: '' }) })
    expectError(r, 503, 'NOT_CONFIGURED')
  })

  it('an invalid prediction status is a 400', async () => {
    const { task, predictionId } = await submittedTask()
    expectError(await deliverReplicate(prediction(predictionId, { status: 'exploded' })), 400, 'VALIDATION_ERROR')
    expect((await taskRow(task.id)).status).toBe('running')
  })
})
