import { afterEach, describe, expect, it, vi } from 'vitest'
import { clearModelCache, DEFAULT_MODELS } from '../../src/features/models/service'
import { listModelsRoute } from '../../src/features/models/routes'
import { createTaskRoute } from '../../src/features/tasks/routes'
import { callApp, dataOf, expectError, newUser } from '../helpers'
import { creditsOf, envWith, mockFetch } from '../support/generation'

afterEach(() => {
  vi.restoreAllMocks()
  // ComfyUI lists are cached per isolate: each test starts from what its own mock answers.
  clearModelCache()
})

const comfyEnv = () => envWith({ GENERATION_PROVIDER: 'comfyui', COMFYUI_URL: 'https://comfy.test' })
const CHECKPOINTS = ['sd_xl_base_1.0.safetensors', 'juggernautXL_v9.safetensors']
const objectInfo = (names: string[]) => Response.json({ CheckpointLoaderSimple: { input: { required: { ckpt_name: [names, {}] } } } })

/** The values GET /api/models answers with these bindings: the only models a task may name. */
async function modelValues(bindings: Env) {
  return dataOf(await callApp(bindings, 'GET', '/api/models'), listModelsRoute, 200).models.map((m) => m.value)
}

async function expectInvalidModel(bindings: Env, model: string, allowed: string[]) {
  const user = await newUser('model')
  const r = await callApp(bindings, 'POST', '/api/tasks', { prompt: 'x', model }, { token: user.accessToken })
  expectError(r, 400, 'INVALID_MODEL')
  expect((r.body as { details: { allowed: string[] } }).details.allowed).toEqual(allowed)
  // Refused before anything was written: nothing charged.
  expect(await creditsOf(user.id)).toBe(100)
}

describe('POST /api/tasks: model must be one GET /api/models answers', () => {
  it('default catalogue: each listed model is accepted, anything else is 400 INVALID_MODEL listing the allowed values', async () => {
    const bindings = envWith()
    const allowed = await modelValues(bindings)
    expect(allowed).toEqual(DEFAULT_MODELS.map((m) => m.value))
    const user = await newUser('model')
    for (const model of allowed) {
      const r = await callApp(bindings, 'POST', '/api/tasks', { prompt: 'x', model }, { token: user.accessToken })
      expect(dataOf(r, createTaskRoute, 202).task.model).toBe(model)
    }
    for (const model of ['gpt-image-1', 'SDXL-BASE-1.0', 'sdxl-base-1.0x']) await expectInvalidModel(bindings, model, allowed)
  })

  it('an omitted model keeps the default', async () => {
    const user = await newUser('model')
    const r = await callApp(envWith(), 'POST', '/api/tasks', { prompt: 'x' }, { token: user.accessToken })
    expect(dataOf(r, createTaskRoute, 202).task.model).toBe('sdxl-base-1.0')
  })

  it("ComfyUI: its checkpoints are the models (the default catalogue's names are not)", async () => {
    mockFetch((req) => (req.url === 'https://comfy.test/object_info/CheckpointLoaderSimple' ? objectInfo(CHECKPOINTS) : undefined))
    const bindings = comfyEnv()
    expect(await modelValues(bindings)).toEqual(CHECKPOINTS)
    const user = await newUser('model')
    const r = await callApp(bindings, 'POST', '/api/tasks', { prompt: 'x', model: 'juggernautXL_v9.safetensors' }, { token: user.accessToken })
    expect(dataOf(r, createTaskRoute, 202).task.model).toBe('juggernautXL_v9.safetensors')
    await expectInvalidModel(bindings, 'sdxl-base-1.0', CHECKPOINTS)
  })

  it('ComfyUI unreachable: the fallback list GET /api/models shows is the one that applies', async () => {
    mockFetch(() => new Response('down', { status: 502 }))
    const bindings = comfyEnv()
    const allowed = await modelValues(bindings)
    expect(allowed).toEqual(DEFAULT_MODELS.map((m) => m.value))
    const user = await newUser('model')
    expect((await callApp(bindings, 'POST', '/api/tasks', { prompt: 'x', model: 'sd-1.5' }, { token: user.accessToken })).status).toBe(202)
    await expectInvalidModel(bindings, 'sd_xl_base_1.0.safetensors', allowed)
  })
})
