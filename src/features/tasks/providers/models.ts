import { config } from '../../../lib/config'
import { ApiError } from '../../../lib/errors'
import type { Model, ModelSource } from '../../models/schemas'
import { comfyuiModels } from './comfyui'
import { RetryableProviderError } from './types'

/*
 * The models of the configured provider. They live with the providers (tasks) because task
 * creation checks a requested model against them; the models feature serves them as
 * GET /api/models (models/service re-exports this module), so the dependency runs one way.
 */

export const DEFAULT_MODELS: Model[] = [
  { label: 'SDXL 1.0', value: 'sdxl-base-1.0', description: 'General purpose, 1024 px native' },
  { label: 'Stable Diffusion 1.5', value: 'sd-1.5', description: 'Fast, 512 px native' },
  { label: 'Realistic Vision', value: 'realistic-vision-v6', description: 'Photographic portraits' },
]

const CACHE_MS = 5 * 60_000
/** After a failed lookup, answer the fallback for this long instead of waiting on ComfyUI again. */
const FAILURE_CACHE_MS = 30_000
let cache: { at: number; models: Model[] } | null = null
let failure: { until: number; source: ModelSource } | null = null

const prettify = (file: string) => file.replace(/\.(safetensors|ckpt|pt)$/i, '').replace(/[_-]+/g, ' ').trim()

/**
 * The configured provider's models. ComfyUI: checkpoint names from /object_info, cached for
 * 5 minutes per isolate (a failed lookup is not retried for 30 s, so task creation does not wait
 * on an unreachable ComfyUI again and again). Clients always get a usable list: `default` when the provider has no
 * catalogue, `fallback` when ComfyUI is unreachable, `error` when it answered nonsense.
 */
export async function listModels(env: Env, now = Date.now()): Promise<{ models: Model[]; source: ModelSource }> {
  if (config(env).GENERATION_PROVIDER !== 'comfyui') return { models: DEFAULT_MODELS, source: 'default' }
  if (cache && now - cache.at < CACHE_MS) return { models: cache.models, source: 'comfyui' }
  if (failure && now < failure.until) return { models: cache?.models ?? DEFAULT_MODELS, source: failure.source }
  try {
    const names = await comfyuiModels(env)
    if (names.length === 0) return { models: DEFAULT_MODELS, source: 'error' }
    const models = names.map((name) => ({ label: prettify(name), value: name, description: 'ComfyUI checkpoint' }))
    cache = { at: now, models }
    return { models, source: 'comfyui' }
  } catch (error) {
    const unreachable = error instanceof RetryableProviderError || error instanceof ApiError
    failure = { until: now + FAILURE_CACHE_MS, source: unreachable ? 'fallback' : 'error' }
    return { models: cache?.models ?? DEFAULT_MODELS, source: failure.source }
  }
}

/** Test hook: forget cached ComfyUI models. */
export function clearModelCache() {
  cache = null
  failure = null
}
