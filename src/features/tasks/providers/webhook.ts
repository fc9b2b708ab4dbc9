import type { Task } from '../../../db/schema'
import { signWebhook } from '../../../lib/webhooks'
import { type GenerationProvider, RetryableProviderError } from './types'
import { config } from '../../../lib/config'

/** The job as n8n-style flows receive it. */
export function jobPayload(task: Task, callbackBase: string) {
  return {
    taskId: task.id,
    prompt: task.prompt,
    negativePrompt: task.negativePrompt,
    model: task.model,
    width: task.width,
    height: task.height,
    batchSize: task.batchSize,
    cfgScale: task.cfgScale,
    steps: task.steps,
    seed: task.seed,
    sampler: task.sampler,
    clipSkip: task.clipSkip,
    inputImageIds: task.inputImageIds ?? [],
    callbackUrl: `${callbackBase}/api/callbacks/webhook`,
    callbacks: {
      complete: `${callbackBase}/api/callback/task-complete`,
      failed: `${callbackBase}/api/callback/task-failed`,
    },
  }
}

/**
 * `webhook`: POSTs the job (signed with Standard Webhooks headers, so the flow can verify it)
 * to WEBHOOK_PROVIDER_URL; results come back to the callback URLs in the payload. Jobs are
 * signed with WEBHOOK_SIGNING_SECRET, never with WEBHOOK_SECRET (which verifies callbacks): a
 * leaked or replayed job signature must not be usable as a callback signature.
 */
export const webhookProvider: GenerationProvider = {
  name: 'webhook',
  async run(env, task, ctx) {
    const { WEBHOOK_PROVIDER_URL: endpoint, WEBHOOK_SIGNING_SECRET: signingSecret, WEBHOOK_SECRET } = config(env)
    if (!endpoint) return { kind: 'failed', error: 'WEBHOOK_PROVIDER_URL is not configured' }
    if (!signingSecret) return { kind: 'failed', error: 'WEBHOOK_SIGNING_SECRET is not configured' }
    if (signingSecret === WEBHOOK_SECRET) return { kind: 'failed', error: 'WEBHOOK_SIGNING_SECRET must differ from WEBHOOK_SECRET' }
    const body = JSON.stringify(jobPayload(task, ctx.callbackBase))
    const headers: Record<string, string> = { 'content-type': 'application/json', ...(await signWebhook(signingSecret, `job_${task.id}`, body)) }
    let res: Response
    try {
      res = await fetch(endpoint, { method: 'POST', headers, body, signal: AbortSignal.timeout(15_000) })
    } catch (error) {
      throw new RetryableProviderError(`webhook provider unreachable: ${String(error)}`)
    }
    if (res.status >= 500 || res.status === 429) throw new RetryableProviderError(`webhook provider answered ${res.status}`)
    if (!res.ok) return { kind: 'failed', error: `Generation service refused the job (${res.status})` }
    const answer = (await res.json().catch(() => ({}))) as { jobId?: unknown; executionId?: unknown }
    const jobId = typeof answer.jobId === 'string' ? answer.jobId : typeof answer.executionId === 'string' ? answer.executionId : task.id
    return { kind: 'submitted', jobId }
  },
}
