import { env } from 'cloudflare:test'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { processGeneration } from '../../src/jobs/generation'
import { clearModelCache } from '../../src/features/models/service'
import { cancelTaskRoute } from '../../src/features/tasks/routes'
import { callApp, dataOf, newUser } from '../helpers'
import { makePng } from '../support/images'
import {
  creditsOf, envWith, generate, imageRowsOf, ledgerCount, mockFetch, queuedTask, runQueue, standardSignature, taskRow, type Seen,
} from '../support/generation'

afterEach(() => {
  vi.restoreAllMocks()
  // Checkpoint lists fetched in one test must not decide which models the next one may use.
  clearModelCache()
})

const json = (req: Seen) => JSON.parse(req.body)

/** ComfyUI's /object_info answer listing `names` as checkpoints (what GET /api/models offers). */
const objectInfo = (names: string[]) => Response.json({ CheckpointLoaderSimple: { input: { required: { ckpt_name: [names, {}] } } } })

describe('ComfyUI provider (POST /prompt, polled GET /history, GET /view)', () => {
  const comfyEnv = () => envWith({ GENERATION_PROVIDER: 'comfyui', COMFYUI_URL: 'https://comfy.test' })

  /** A ComfyUI that runs the prompt for `pendingPolls` polls, then reports two saved images. */
  async function fakeComfy(promptId: string, pendingPolls: number, queue: { running: string[]; pending: string[] } = { running: [], pending: [] }) {
    const png = await makePng(64, 64)
    const entry = (id: string, n: number) => [n, id, {}, { client_id: 'someone' }, ['9']]
    let polls = 0
    return mockFetch((req) => {
      const url = new URL(req.url)
      if (url.origin !== 'https://comfy.test') return undefined
      if (url.pathname === '/object_info/CheckpointLoaderSimple') return objectInfo(['sd_xl_base_1.0.safetensors'])
      if (req.method === 'POST' && url.pathname === '/prompt') return Response.json({ prompt_id: promptId, number: 3, node_errors: {} })
      if (url.pathname === `/history/${promptId}`) {
        if (polls++ < pendingPolls) return Response.json({})
        const images = [1, 2].map((n) => ({ filename: `darkroom_${n}_0000${n}_.png`, subfolder: '', type: 'output' }))
        return Response.json({
          [promptId]: {
            prompt: [3, promptId, {}, {}, ['9']],
            outputs: { '9': { images } },
            status: { status_str: 'success', completed: true, messages: [['execution_success', { prompt_id: promptId }]] },
          },
        })
      }
      if (url.pathname === '/view') return new Response(png, { headers: { 'content-type': 'image/png' } })
      if (req.method === 'GET' && url.pathname === '/queue') {
        return Response.json({ queue_running: queue.running.map(entry), queue_pending: queue.pending.map((id, i) => entry(id, i + 10)) })
      }
      if (req.method === 'POST' && (url.pathname === '/queue' || url.pathname === '/interrupt')) return new Response(null, { status: 200 })
      return undefined
    })
  }

  it('submits the workflow graph, polls while running, then stores the outputs', async () => {
    const user = await newUser('comfy')
    const bindings = comfyEnv()
    // The model must be one of ComfyUI's checkpoints, so ComfyUI answers before the task is created.
    const { seen } = await fakeComfy('p-forest', 1)
    const task = await queuedTask(bindings, user.accessToken, {
      prompt: 'a misty forest', negativePrompt: 'text', size: '768x512', batchSize: 2, cfgScale: 6.5, steps: 28, seed: 1234, sampler: 'dpmpp_2m_karras', clipSkip: 2, model: 'sd_xl_base_1.0.safetensors',
    })

    expect(await processGeneration(bindings, generate(task.id))).toEqual({ kind: 'poll', delaySeconds: 2 })
    const submit = seen.find((s) => s.url === 'https://comfy.test/prompt')!
    const { prompt: graph, client_id } = json(submit)
    expect(client_id).toBe(task.id)
    expect(graph['4'].inputs.ckpt_name).toBe('sd_xl_base_1.0.safetensors')
    expect(graph['3'].inputs).toMatchObject({ seed: 1234, steps: 28, cfg: 6.5, sampler_name: 'dpmpp_2m', scheduler: 'karras' })
    expect(graph['5'].inputs).toEqual({ width: 768, height: 512, batch_size: 2 })
    expect(graph['6'].inputs.text).toBe('a misty forest')
    expect(graph['7'].inputs.text).toBe('text')
    expect(graph['10'].inputs.stop_at_clip_layer).toBe(-2)
    expect(await taskRow(task.id)).toMatchObject({ status: 'running', provider_job_id: 'p-forest' })

    // Still running: ComfyUI's history is empty for the prompt.
    expect(await processGeneration(bindings, generate(task.id))).toEqual({ kind: 'poll', delaySeconds: 2 })
    expect((await taskRow(task.id)).status).toBe('running')
    // Finished: both outputs are fetched through /view and stored.
    expect(await processGeneration(bindings, generate(task.id))).toEqual({ kind: 'done' })
    expect(seen.filter((s) => s.method === 'POST')).toHaveLength(1) // submitted once, polled after
    const views = seen.filter((s) => s.url.startsWith('https://comfy.test/view')).map((s) => Object.fromEntries(new URL(s.url).searchParams))
    expect(views).toEqual([
      { filename: 'darkroom_1_00001_.png', subfolder: '', type: 'output' },
      { filename: 'darkroom_2_00002_.png', subfolder: '', type: 'output' },
    ])
    expect(await taskRow(task.id)).toMatchObject({ status: 'succeeded', progress: 100 })
    expect(await imageRowsOf(task.id)).toHaveLength(2)
    expect(await creditsOf(user.id)).toBe(100 - 6)
  })

  it('through the queue, a poll re-enqueues a delayed message and acks instead of burning retries', async () => {
    const user = await newUser('comfy')
    const bindings = comfyEnv()
    const task = await queuedTask(bindings, user.accessToken)
    await fakeComfy('p-queue', 5)
    bindings.sent.length = 0
    const r = await runQueue(bindings, [generate(task.id)])
    expect(r.explicitAcks).toEqual(r.ids)
    expect(r.retryMessages).toEqual([])
    expect(bindings.sent).toEqual([{ body: generate(task.id), options: { delaySeconds: 2, contentType: 'json' } }])
  })

  it('an execution error in ComfyUI fails the task with a refund', async () => {
    const user = await newUser('comfy')
    const bindings = comfyEnv()
    const task = await queuedTask(bindings, user.accessToken)
    mockFetch((req) =>
      req.url.endsWith('/prompt')
        ? Response.json({ prompt_id: 'p-err', number: 1, node_errors: {} })
        : Response.json({ 'p-err': { outputs: {}, status: { status_str: 'error', completed: false, messages: [['execution_error', { node_type: 'KSampler' }]] } } }),
    )
    await processGeneration(bindings, generate(task.id))
    expect(await processGeneration(bindings, generate(task.id))).toEqual({ kind: 'done' })
    // ComfyUI has no content filter: its execution errors are generation failures.
    expect(await taskRow(task.id)).toMatchObject({ status: 'failed', error: 'ComfyUI reported an execution error', error_code: 'GENERATION_FAILED' })
    expect(await ledgerCount(task.id, 'task_refund')).toBe(1)
  })

  it('a workflow ComfyUI refuses (400 with node_errors) fails at once with a refund', async () => {
    const user = await newUser('comfy')
    const bindings = comfyEnv()
    // The checkpoint was listed (GET /api/models, cached) but has been removed from ComfyUI since.
    mockFetch((req) =>
      req.url.includes('/object_info/')
        ? objectInfo(['missing.safetensors'])
        : Response.json({ error: { type: 'prompt_outputs_failed_validation', message: 'Prompt outputs failed validation' }, node_errors: { '4': {} } }, { status: 400 }),
    )
    const task = await queuedTask(bindings, user.accessToken, { prompt: 'x', model: 'missing.safetensors' })
    const r = await runQueue(bindings, [generate(task.id)])
    expect(r.explicitAcks).toEqual(r.ids)
    expect(await taskRow(task.id)).toMatchObject({ status: 'failed', error: 'ComfyUI refused the workflow (400)' })
    expect(await creditsOf(user.id)).toBe(100)
  })

  it('canceling while our prompt waits in ComfyUI deletes it from the queue and never interrupts the running job of someone else', async () => {
    const user = await newUser('comfy')
    const bindings = comfyEnv()
    const task = await queuedTask(bindings, user.accessToken)
    const { seen } = await fakeComfy('p-cancel', 100, { running: ['p-someone-else'], pending: ['p-other', 'p-cancel'] })
    await processGeneration(bindings, generate(task.id))
    seen.length = 0
    const r = await callApp(bindings, 'POST', `/api/tasks/${task.id}/cancel`, undefined, { token: user.accessToken })
    expect(r.status).toBe(200)
    expect(seen.map((s) => [s.method, s.url])).toEqual([['GET', 'https://comfy.test/queue'], ['POST', 'https://comfy.test/queue']])
    expect(json(seen[1]!)).toEqual({ delete: ['p-cancel'] })
    expect(await taskRow(task.id)).toMatchObject({ status: 'canceled' })
    expect(await creditsOf(user.id)).toBe(100)
    seen.length = 0
    expect(await processGeneration(bindings, generate(task.id))).toEqual({ kind: 'done' })
    expect(seen).toEqual([])
  })

  it('canceling while our prompt runs interrupts that prompt by id only', async () => {
    const user = await newUser('comfy')
    const bindings = comfyEnv()
    const task = await queuedTask(bindings, user.accessToken)
    const { seen } = await fakeComfy('p-running', 100, { running: ['p-running'], pending: ['p-other'] })
    await processGeneration(bindings, generate(task.id))
    seen.length = 0
    const r = await callApp(bindings, 'POST', `/api/tasks/${task.id}/cancel`, undefined, { token: user.accessToken })
    expect(r.status).toBe(200)
    expect(seen.map((s) => [s.method, s.url])).toEqual([['GET', 'https://comfy.test/queue'], ['POST', 'https://comfy.test/interrupt']])
    expect(json(seen[1]!)).toEqual({ prompt_id: 'p-running' })
  })

  it('canceling a prompt ComfyUI no longer holds sends nothing that could stop other jobs', async () => {
    const user = await newUser('comfy')
    const bindings = comfyEnv()
    const task = await queuedTask(bindings, user.accessToken)
    const { seen } = await fakeComfy('p-finished', 100, { running: ['p-someone-else'], pending: [] })
    await processGeneration(bindings, generate(task.id))
    seen.length = 0
    expect((await callApp(bindings, 'POST', `/api/tasks/${task.id}/cancel`, undefined, { token: user.accessToken })).status).toBe(200)
    expect(seen.map((s) => [s.method, s.url])).toEqual([['GET', 'https://comfy.test/queue']])
  })

  it('when ComfyUI cannot list its queue, a cancel only deletes our prompt (never a blind interrupt)', async () => {
    const user = await newUser('comfy')
    const bindings = comfyEnv()
    const task = await queuedTask(bindings, user.accessToken)
    await fakeComfy('p-blind', 100)
    await processGeneration(bindings, generate(task.id))
    vi.restoreAllMocks()
    const { seen } = mockFetch((req) => (req.method === 'GET' ? new Response('oops', { status: 500 }) : new Response(null, { status: 200 })))
    expect((await callApp(bindings, 'POST', `/api/tasks/${task.id}/cancel`, undefined, { token: user.accessToken })).status).toBe(200)
    expect(seen.map((s) => [s.method, s.url])).toEqual([['GET', 'https://comfy.test/queue'], ['POST', 'https://comfy.test/queue']])
    expect(json(seen[1]!)).toEqual({ delete: ['p-blind'] })
  })

  it('a cancel still ends and refunds the task when ComfyUI cannot be reached to stop it', async () => {
    const user = await newUser('comfy')
    const bindings = comfyEnv()
    const task = await queuedTask(bindings, user.accessToken)
    await fakeComfy('p-gone', 100)
    await processGeneration(bindings, generate(task.id))
    vi.restoreAllMocks()
    mockFetch(() => {
      throw new TypeError('connect ECONNREFUSED')
    })
    const r = await callApp(bindings, 'POST', `/api/tasks/${task.id}/cancel`, undefined, { token: user.accessToken })
    expect(dataOf(r, cancelTaskRoute, 200).task.status).toBe('canceled')
    expect(await ledgerCount(task.id, 'task_refund')).toBe(1)
  })
})

describe('Replicate provider', () => {
  const replicateEnv = (extra: Partial<Env> = {}) =>
    envWith({ GENERATION_PROVIDER: 'replicate', REPLICATE_API_TOKEN: 'r8_secret_token', REPLICATE_MODEL: 'stability-ai/sdxl', PUBLIC_BASE_URL: 'https://darkroom.example/', ...extra })

  it('creates a prediction with the mapped input, a webhook and the event filter, authorized with the token', async () => {
    const user = await newUser('rep')
    const bindings = replicateEnv()
    const task = await queuedTask(bindings, user.accessToken, { prompt: 'a red kite', negativePrompt: 'blurry', size: '512x768', batchSize: 3, cfgScale: 9, steps: 30, seed: 77, sampler: 'euler' })
    const { seen } = mockFetch(() => Response.json({ id: 'q7x2k9', status: 'starting', urls: {} }, { status: 201 }))
    const r = await runQueue(bindings, [generate(task.id)])
    expect(r.explicitAcks).toEqual(r.ids)
    expect(seen).toHaveLength(1)
    const req = seen[0]!
    expect([req.method, req.url]).toEqual(['POST', 'https://api.replicate.com/v1/models/stability-ai/sdxl/predictions'])
    expect(req.headers.get('authorization')).toBe('Bearer r8_secret_token')
    expect(req.headers.get('content-type')).toBe('application/json')
    expect(json(req)).toEqual({
      input: { prompt: 'a red kite', negative_prompt: 'blurry', width: 512, height: 768, num_outputs: 3, guidance_scale: 9, num_inference_steps: 30, seed: 77, scheduler: 'K_EULER' },
      webhook: `https://darkroom.example/api/callbacks/replicate?taskId=${task.id}`,
      webhook_events_filter: ['start', 'output', 'completed'],
    })
    expect(await taskRow(task.id)).toMatchObject({ status: 'running', provider_job_id: 'q7x2k9' })
  })

  it('a pinned version (owner/name:version) uses POST /v1/predictions with the version', async () => {
    const user = await newUser('rep')
    const bindings = replicateEnv({ REPLICATE_MODEL: 'stability-ai/sdxl:39ed52f2a78e934b3ba6e2a89f5b1c712de7dfea535525255b1aa35c5565e08b' })
    const task = await queuedTask(bindings, user.accessToken)
    const { seen } = mockFetch(() => Response.json({ id: 'v1pred', status: 'starting' }, { status: 201 }))
    await runQueue(bindings, [generate(task.id)])
    expect(seen[0]!.url).toBe('https://api.replicate.com/v1/predictions')
    expect(json(seen[0]!).version).toBe('39ed52f2a78e934b3ba6e2a89f5b1c712de7dfea535525255b1aa35c5565e08b')
  })

  it('a refused prediction (422) fails the task with a refund; a 5xx is retried', async () => {
    const user = await newUser('rep')
    const bindings = replicateEnv()
    const flaky = await queuedTask(bindings, user.accessToken)
    mockFetch(() => Response.json({ detail: 'Service unavailable' }, { status: 503 }))
    expect((await runQueue(bindings, [generate(flaky.id)])).retryMessages).toHaveLength(1)
    vi.restoreAllMocks()
    const refused = await queuedTask(bindings, user.accessToken)
    mockFetch(() => Response.json({ title: 'Invalid input', detail: 'num_outputs must be <= 4' }, { status: 422 }))
    await runQueue(bindings, [generate(refused.id)])
    expect(await taskRow(refused.id)).toMatchObject({ status: 'failed', error: 'Replicate refused the prediction (422)' })
    expect(await ledgerCount(refused.id, 'task_refund')).toBe(1)
  })

  it('canceling a running prediction calls POST /v1/predictions/{id}/cancel', async () => {
    const user = await newUser('rep')
    const bindings = replicateEnv()
    const task = await queuedTask(bindings, user.accessToken)
    const { seen } = mockFetch((req) => (req.url.endsWith('/predictions') ? Response.json({ id: 'to-cancel', status: 'starting' }, { status: 201 }) : Response.json({ id: 'to-cancel', status: 'canceled' })))
    await runQueue(bindings, [generate(task.id)])
    seen.length = 0
    const r = await callApp(bindings, 'POST', `/api/tasks/${task.id}/cancel`, undefined, { token: user.accessToken })
    expect(r.status).toBe(200)
    expect(seen.map((s) => [s.method, s.url, s.headers.get('authorization')])).toEqual([['POST', 'https://api.replicate.com/v1/predictions/to-cancel/cancel', 'Bearer r8_secret_token']])
    expect(await creditsOf(user.id)).toBe(100)
  })
})

describe('webhook (n8n) provider', () => {
  const hookEnv = () => envWith({ GENERATION_PROVIDER: 'webhook', WEBHOOK_PROVIDER_URL: 'https://n8n.test/webhook/darkroom', PUBLIC_BASE_URL: 'https://darkroom.example' })

  it('POSTs the job with callback URLs, signed with Standard Webhooks headers', async () => {
    const user = await newUser('n8n')
    const bindings = hookEnv()
    const task = await queuedTask(bindings, user.accessToken, { prompt: 'a copper kettle', seed: 5, steps: 12 })
    const { seen } = mockFetch(() => Response.json({ executionId: 'exec-981' }))
    await runQueue(bindings, [generate(task.id)])
    const req = seen[0]!
    expect([req.method, req.url]).toEqual(['POST', 'https://n8n.test/webhook/darkroom'])
    expect(json(req)).toMatchObject({
      taskId: task.id, prompt: 'a copper kettle', seed: 5, steps: 12, width: 512, height: 512, batchSize: 1,
      callbackUrl: 'https://darkroom.example/api/callbacks/webhook',
      callbacks: { complete: 'https://darkroom.example/api/callback/task-complete', failed: 'https://darkroom.example/api/callback/task-failed' },
    })
    // The flow can verify the job came from us, with the job signing secret (not the callback one).
    const id = req.headers.get('webhook-id')!
    const timestamp = Number(req.headers.get('webhook-timestamp'))
    expect(Math.abs(timestamp - Date.now() / 1000)).toBeLessThan(60)
    expect(env.WEBHOOK_SIGNING_SECRET).not.toBe(env.WEBHOOK_SECRET)
    expect(req.headers.get('webhook-signature')).toBe(await standardSignature(env.WEBHOOK_SIGNING_SECRET, id, timestamp, req.body))
    expect(req.headers.get('webhook-signature')).not.toBe(await standardSignature(env.WEBHOOK_SECRET, id, timestamp, req.body))
    expect(await taskRow(task.id)).toMatchObject({ status: 'running', provider_job_id: 'exec-981' })

    // A redelivery after submission waits for the callback instead of sending the job again.
    await runQueue(bindings, [generate(task.id)], { attempts: 2 })
    expect(seen).toHaveLength(1)
  })

  it('refuses to send a job without WEBHOOK_SIGNING_SECRET, or with the callback secret: failed and refunded, nothing sent', async () => {
    for (const secret of ['', env.WEBHOOK_SECRET]) {
      const user = await newUser('n8n')
      const bindings = envWith({ GENERATION_PROVIDER: 'webhook', WEBHOOK_PROVIDER_URL: 'https://n8n.test/webhook/darkroom', PUBLIC_BASE_URL: 'https://darkroom.example', WEBHOOK_SIGNING_SECRET: secret })
      const task = await queuedTask(bindings, user.accessToken, { prompt: 'an unsigned job' })
      const { seen } = mockFetch(() => Response.json({ executionId: 'never' }))
      await runQueue(bindings, [generate(task.id)])
      expect(seen).toHaveLength(0)
      expect(await taskRow(task.id)).toMatchObject({ status: 'failed', error: expect.stringContaining('WEBHOOK_SIGNING_SECRET') })
      expect(await creditsOf(user.id)).toBe(100)
      vi.restoreAllMocks()
    }
  })
})
