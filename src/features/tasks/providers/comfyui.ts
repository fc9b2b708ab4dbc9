import type { Task } from '../../../db/schema'
import { configurationError } from '../../../lib/errors'
import { config, maxImageBytes } from '../../../lib/config'
import { downloadResult, resultHosts } from './download'
import { type GenerationProvider, type ProviderOutcome, RetryableProviderError } from './types'

const SAMPLER_NAMES: Record<string, [string, string]> = {
  euler: ['euler', 'normal'],
  ddim: ['ddim', 'ddim_uniform'],
  dpmpp_2m_karras: ['dpmpp_2m', 'karras'],
  dpmpp_sde_karras: ['dpmpp_sde', 'karras'],
}

/** ComfyUI's API-format txt2img graph, filled from the task's parameters. */
export function buildWorkflow(task: Task) {
  const [sampler, scheduler] = SAMPLER_NAMES[task.sampler] ?? ['euler', 'normal']
  return {
    '3': {
      class_type: 'KSampler',
      inputs: {
        seed: task.seed, steps: task.steps, cfg: task.cfgScale, sampler_name: sampler, scheduler, denoise: 1,
        model: ['4', 0], positive: ['6', 0], negative: ['7', 0], latent_image: ['5', 0],
      },
    },
    '4': { class_type: 'CheckpointLoaderSimple', inputs: { ckpt_name: task.model } },
    '5': { class_type: 'EmptyLatentImage', inputs: { width: task.width, height: task.height, batch_size: task.batchSize } },
    '6': { class_type: 'CLIPTextEncode', inputs: { text: task.prompt, clip: ['10', 0] } },
    '7': { class_type: 'CLIPTextEncode', inputs: { text: task.negativePrompt ?? '', clip: ['10', 0] } },
    '8': { class_type: 'VAEDecode', inputs: { samples: ['3', 0], vae: ['4', 2] } },
    '9': { class_type: 'SaveImage', inputs: { filename_prefix: `darkroom_${task.id}`, images: ['8', 0] } },
    '10': { class_type: 'CLIPSetLastLayer', inputs: { stop_at_clip_layer: -task.clipSkip, clip: ['4', 1] } },
  }
}

function base(env: Env): string {
  const url = config(env).COMFYUI_URL
  if (!url) throw configurationError('COMFYUI_URL is not configured')
  return url
}

async function call(url: string, init?: RequestInit): Promise<Response> {
  try {
    const res = await fetch(url, { ...init, signal: AbortSignal.timeout(15_000) })
    if (res.status >= 500 || res.status === 429) throw new RetryableProviderError(`ComfyUI answered ${res.status}`)
    return res
  } catch (error) {
    if (error instanceof RetryableProviderError) throw error
    throw new RetryableProviderError(`ComfyUI unreachable: ${String(error)}`)
  }
}

interface HistoryEntry {
  status?: { status_str?: string; completed?: boolean; messages?: unknown[] }
  outputs?: Record<string, { images?: Array<{ filename: string; subfolder?: string; type?: string }> }>
}

/**
 * `comfyui`: queues the workflow with POST /prompt, follows it with GET /history/{id} (ComfyUI
 * has no webhooks: the consumer polls through delayed queue messages) and fetches outputs
 * with /view. Models come from /object_info.
 */
export const comfyuiProvider: GenerationProvider = {
  name: 'comfyui',
  async run(env, task) {
    const res = await call(`${base(env)}/prompt`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ prompt: buildWorkflow(task), client_id: task.id }),
    })
    const body = (await res.json().catch(() => ({}))) as { prompt_id?: string; error?: unknown; node_errors?: unknown }
    if (!res.ok || !body.prompt_id) {
      return { kind: 'failed', error: `ComfyUI refused the workflow (${res.status})` }
    }
    return { kind: 'submitted', jobId: body.prompt_id, pollAfterSeconds: 2 }
  },
  async poll(env, task): Promise<ProviderOutcome> {
    const res = await call(`${base(env)}/history/${encodeURIComponent(task.providerJobId ?? '')}`)
    const history = (await res.json().catch(() => ({}))) as Record<string, HistoryEntry>
    const entry = history[task.providerJobId ?? '']
    if (!entry) return { kind: 'pending', pollAfterSeconds: 2 }
    if (entry.status?.status_str === 'error') return { kind: 'failed', error: 'ComfyUI reported an execution error' }
    const files = Object.values(entry.outputs ?? {}).flatMap((o) => o.images ?? []).filter((f) => f.type !== 'temp')
    if (!entry.status?.completed && files.length === 0) return { kind: 'pending', pollAfterSeconds: 2 }
    if (files.length === 0) return { kind: 'failed', error: 'ComfyUI finished without images' }
    // Never more images than the task asked (and paid) for.
    const opts = { maxBytes: maxImageBytes(env), allowedHosts: resultHosts(env, 'comfyui') }
    const images = await Promise.all(
      files.slice(0, task.batchSize).map(async (f) => {
        const query = new URLSearchParams({ filename: f.filename, subfolder: f.subfolder ?? '', type: f.type ?? 'output' })
        return { bytes: await downloadResult(`${base(env)}/view?${query}`, opts) }
      }),
    )
    return { kind: 'images', images }
  },
  async cancel(env, task) {
    // ComfyUI is shared: a bare POST /interrupt stops whatever runs, maybe another user's job.
    // Look where OUR prompt is: still pending, delete it from the queue; running, interrupt it
    // by prompt_id (recent ComfyUI ignores an interrupt for another prompt; older versions
    // interrupt what runs, which at that moment is ours). Anywhere else there is nothing to stop.
    const id = task.providerJobId
    if (!id) return
    const json = { method: 'POST', headers: { 'content-type': 'application/json' } }
    type Queue = { queue_running?: unknown[]; queue_pending?: unknown[] }
    const queue = await call(`${base(env)}/queue`)
      .then((res) => (res.ok ? (res.json() as Promise<Queue>) : null))
      .catch(() => null)
    const holds = (entries: unknown[] | undefined) => (entries ?? []).some((e) => Array.isArray(e) && e[1] === id)
    if (queue && holds(queue.queue_running)) {
      await call(`${base(env)}/interrupt`, { ...json, body: JSON.stringify({ prompt_id: id }) })
    } else if (!queue || holds(queue.queue_pending)) {
      // Deleting by id can only ever remove our own prompt, so it is safe even when the queue is unknown.
      await call(`${base(env)}/queue`, { ...json, body: JSON.stringify({ delete: [id] }) })
    }
  },
}

/** Checkpoint names from ComfyUI's /object_info. */
export async function comfyuiModels(env: Env): Promise<string[]> {
  const res = await call(`${base(env)}/object_info/CheckpointLoaderSimple`)
  if (!res.ok) throw new Error(`object_info answered ${res.status}`)
  const info = (await res.json()) as { CheckpointLoaderSimple?: { input?: { required?: { ckpt_name?: unknown[] } } } }
  const names = info.CheckpointLoaderSimple?.input?.required?.ckpt_name?.[0]
  if (!Array.isArray(names) || !names.every((n) => typeof n === 'string')) throw new Error('object_info has no checkpoint list')
  return names as string[]
}
