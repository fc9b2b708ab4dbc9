import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { clearModelCache, DEFAULT_MODELS, listModels } from '../../src/features/models/service'
import { listModelsRoute } from '../../src/features/models/routes'
import { callApp, callJson, dataOf } from '../helpers'
import { envWith, mockFetch } from '../support/generation'

const comfy = () => envWith({ GENERATION_PROVIDER: 'comfyui', COMFYUI_URL: 'https://comfy.test/' })
const OBJECT_INFO = 'https://comfy.test/object_info/CheckpointLoaderSimple'

/** What ComfyUI's /object_info/CheckpointLoaderSimple really answers: [names, options]. */
const objectInfo = (names: unknown) =>
  Response.json({
    CheckpointLoaderSimple: {
      input: { required: { ckpt_name: [names, { tooltip: 'The name of the checkpoint (model) to load.' }] } },
      output: ['MODEL', 'CLIP', 'VAE'],
      name: 'CheckpointLoaderSimple',
    },
  })

/** Clients render whatever comes back: it must always be a non-empty list of complete entries. */
function expectUsable(data: { models: Array<Record<string, unknown>> }) {
  expect(data.models.length).toBeGreaterThan(0)
  for (const m of data.models) {
    expect(m).toEqual({ label: expect.any(String), value: expect.any(String), description: expect.any(String) })
    expect((m.label as string).length).toBeGreaterThan(0)
  }
}

beforeEach(() => clearModelCache())
afterEach(() => vi.restoreAllMocks())

describe('GET /api/models', () => {
  it('answers the built-in catalogue with source "default" for the local provider, without auth', async () => {
    const data = dataOf(await callJson('GET', '/api/models'), listModelsRoute, 200)
    expect(data.source).toBe('default')
    expectUsable(data)
    // The task default model is one of them, so a client can preselect it.
    expect(data.models.map((m) => m.value)).toContain('sdxl-base-1.0')
  })

  it('lists ComfyUI checkpoints live from /object_info, and caches them', async () => {
    const { seen } = mockFetch((req) => (req.url === OBJECT_INFO ? objectInfo(['sd_xl_base_1.0.safetensors', 'dreamshaper-8.ckpt']) : undefined))
    const first = await callApp(comfy(), 'GET', '/api/models')
    const firstData = dataOf(first, listModelsRoute, 200)
    expect(firstData.source).toBe('comfyui')
    expect(firstData.models).toEqual([
      { label: 'sd xl base 1.0', value: 'sd_xl_base_1.0.safetensors', description: 'ComfyUI checkpoint' },
      { label: 'dreamshaper 8', value: 'dreamshaper-8.ckpt', description: 'ComfyUI checkpoint' },
    ])
    // The trailing slash of COMFYUI_URL is not doubled.
    expect(seen.map((s) => s.url)).toEqual([OBJECT_INFO])

    const second = await callApp(comfy(), 'GET', '/api/models')
    expect(dataOf(second, listModelsRoute, 200)).toEqual(firstData)
    expect(seen).toHaveLength(1)
  })

  it('falls back to the default list when ComfyUI is unreachable (network error or 5xx)', async () => {
    mockFetch(() => {
      throw new TypeError('fetch failed: connect ECONNREFUSED')
    })
    const down = await callApp(comfy(), 'GET', '/api/models')
    expect(dataOf(down, listModelsRoute, 200)).toEqual({ models: DEFAULT_MODELS, source: 'fallback' })

    vi.restoreAllMocks()
    mockFetch(() => new Response('Bad Gateway', { status: 502 }))
    const gateway = await callApp(comfy(), 'GET', '/api/models')
    const gatewayData = dataOf(gateway, listModelsRoute, 200)
    expect(gatewayData.source).toBe('fallback')
    expectUsable(gatewayData)
  })

  it('does not ask an unreachable ComfyUI again for 30 s (task creation must not wait on it each time)', async () => {
    const { seen } = mockFetch(() => new Response('Bad Gateway', { status: 502 }))
    const t0 = Date.now()
    expect((await listModels(comfy(), t0)).source).toBe('fallback')
    expect((await listModels(comfy(), t0 + 29_000)).source).toBe('fallback')
    expect(seen).toHaveLength(1)
    // After the pause ComfyUI is asked again, and a recovered one is used at once.
    vi.restoreAllMocks()
    mockFetch((req) => (req.url === OBJECT_INFO ? objectInfo(['sd_xl_base_1.0.safetensors']) : undefined))
    expect((await listModels(comfy(), t0 + 31_000)).source).toBe('comfyui')
  })

  it('falls back when COMFYUI_URL is not set at all', async () => {
    const { seen } = mockFetch(() => undefined)
    const data = dataOf(await callApp(envWith({ GENERATION_PROVIDER: 'comfyui', COMFYUI_URL: '' }), 'GET', '/api/models'), listModelsRoute, 200)
    expect(data.source).toBe('fallback')
    expectUsable(data)
    expect(seen).toHaveLength(0)
  })

  it.each([
    ['a JSON object without a checkpoint list', () => Response.json({ error: 'unknown node' })],
    ['an HTML page', () => new Response('<html>login</html>', { headers: { 'content-type': 'text/html' } })],
    ['an empty checkpoint list', () => objectInfo([])],
    ['names that are not strings', () => objectInfo([1, 2])],
    ['a 404', () => new Response('not found', { status: 404 })],
  ])('answers source "error" with a usable list when ComfyUI answers %s', async (_, answer) => {
    mockFetch(answer)
    const data = dataOf(await callApp(comfy(), 'GET', '/api/models'), listModelsRoute, 200)
    expect(data.source).toBe('error')
    expectUsable(data)
  })

  it('keeps serving the last good ComfyUI list, marked fallback, when ComfyUI goes down later', async () => {
    const t0 = 1_800_000_000_000
    mockFetch(() => objectInfo(['juggernaut_xl.safetensors']))
    expect((await listModels(comfy(), t0)).source).toBe('comfyui')
    vi.restoreAllMocks()
    mockFetch(() => {
      throw new TypeError('network down')
    })
    // Six minutes later the cache is stale, so ComfyUI is asked again and fails.
    const later = await listModels(comfy(), t0 + 6 * 60_000)
    expect(later).toEqual({ models: [{ label: 'juggernaut xl', value: 'juggernaut_xl.safetensors', description: 'ComfyUI checkpoint' }], source: 'fallback' })
  })
})
