import type { Task } from '../../../db/schema'
import { configurationError } from '../../../lib/errors'
import { type GenerationProvider, RetryableProviderError } from './types'
import { config } from '../../../lib/config'
import { errorCodeFromText } from '../error-codes'

const SCHEDULERS: Record<string, string> = {
  euler: 'K_EULER',
  ddim: 'DDIM',
  dpmpp_2m_karras: 'DPMSolverMultistep',
  dpmpp_sde_karras: 'KarrasDPM',
}

function apiBase(env: Env) {
  return config(env).REPLICATE_API_BASE
}

async function call(env: Env, path: string, init: RequestInit): Promise<Response> {
  const token = config(env).REPLICATE_API_TOKEN
  if (!token) throw configurationError('REPLICATE_API_TOKEN is not configured')
  try {
    const res = await fetch(`${apiBase(env)}${path}`, {
      ...init,
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      signal: AbortSignal.timeout(15_000),
    })
    if (res.status >= 500 || res.status === 429) throw new RetryableProviderError(`Replicate answered ${res.status}`)
    return res
  } catch (error) {
    if (error instanceof RetryableProviderError) throw error
    throw new RetryableProviderError(`Replicate unreachable: ${String(error)}`)
  }
}

export function predictionInput(task: Task) {
  return {
    prompt: task.prompt,
    negative_prompt: task.negativePrompt ?? undefined,
    width: task.width,
    height: task.height,
    num_outputs: task.batchSize,
    guidance_scale: task.cfgScale,
    num_inference_steps: task.steps,
    seed: task.seed,
    scheduler: SCHEDULERS[task.sampler],
  }
}

/**
 * `replicate`: creates a prediction with a webhook (`webhook_events_filter`: start, output,
 * completed) for REPLICATE_MODEL (`owner/name` or `owner/name:version`); deliveries are
 * verified with REPLICATE_WEBHOOK_SECRET at /api/callbacks/replicate; cancel uses its API.
 */
export const replicateProvider: GenerationProvider = {
  name: 'replicate',
  async run(env, task, ctx) {
    const model = config(env).REPLICATE_MODEL
    if (!model) return { kind: 'failed', error: 'REPLICATE_MODEL is not configured' }
    const [name, version] = model.split(':')
    const body = {
      ...(version ? { version } : {}),
      input: predictionInput(task),
      // The task id lets the callback find the task even before the prediction id is saved.
      webhook: `${ctx.callbackBase}/api/callbacks/replicate?taskId=${encodeURIComponent(task.id)}`,
      webhook_events_filter: ['start', 'output', 'completed'],
    }
    const path = version ? '/v1/predictions' : `/v1/models/${name}/predictions`
    const res = await call(env, path, { method: 'POST', body: JSON.stringify(body) })
    const prediction = (await res.json().catch(() => ({}))) as { id?: string; detail?: string }
    if (!res.ok || !prediction.id) {
      // A refusal of the prompt itself (e.g. "NSFW content detected") is a content violation.
      return { kind: 'failed', error: `Replicate refused the prediction (${res.status})`, errorCode: errorCodeFromText(prediction.detail) }
    }
    return { kind: 'submitted', jobId: prediction.id }
  },
  async cancel(env, task) {
    if (task.providerJobId) await call(env, `/v1/predictions/${encodeURIComponent(task.providerJobId)}/cancel`, { method: 'POST' })
  },
}
