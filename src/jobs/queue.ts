import { ApiError } from '../lib/errors'
import type { GenerationMessage } from '../features/tasks/service'
import { backoffSeconds, cancelAtProvider, failTask, processGeneration } from './generation'

function isGenerationMessage(body: unknown): body is GenerationMessage {
  return (
    typeof body === 'object' && body !== null && (body as { type?: unknown }).type === 'generate' &&
    typeof (body as { taskId?: unknown }).taskId === 'string'
  )
}

function log(level: 'warn' | 'error', msg: string, fields: Record<string, unknown>) {
  console[level](JSON.stringify({ level, msg, ...fields }))
}

/**
 * Queue entry point for the generation queue and its dead-letter queue. Each message is acked
 * or retried on its own: one bad job never holds back or re-runs the others.
 * - Generation: retryable failures (network, 5xx, D1 hiccups) retry with exponential backoff;
 *   a definite failure (the provider refused, bad output) fails the task and refunds at once.
 *   Pollers (ComfyUI) re-enqueue a delayed message instead of burning retries.
 * - Dead letter: the task failed every retry: fail it and refund (once).
 */
export async function handleQueue(batch: MessageBatch<unknown>, env: Env): Promise<void> {
  const deadLetter = batch.queue.endsWith('-dlq')
  // Messages are independent (each about its own task): work on them concurrently.
  await Promise.all(batch.messages.map((message) => (deadLetter ? handleDeadLetter(env, message) : handleGenerationMessage(env, message))))
}

async function handleDeadLetter(env: Env, message: Message<unknown>) {
  const body = message.body
  if (!isGenerationMessage(body)) {
    log('warn', 'unknown dead letter acked', { messageId: message.id })
    return message.ack()
  }
  try {
    const task = await taskOwner(env, body.taskId)
    const { ended } = await failTask(env, task, 'Generation failed after several attempts')
    // Refunded; a job still alive at the provider is stopped, best effort.
    if (ended) await cancelAtProvider(env, task)
    message.ack()
  } catch (error) {
    log('error', 'dead letter handling failed', { taskId: body.taskId, error: String(error) })
    message.retry({ delaySeconds: 30 })
  }
}

async function handleGenerationMessage(env: Env, message: Message<unknown>) {
  const body = message.body
  if (!isGenerationMessage(body)) {
    log('warn', 'unknown message acked', { messageId: message.id })
    return message.ack()
  }
  try {
    const result = await processGeneration(env, body)
    if (result.kind === 'poll') await env.GENERATION_QUEUE.send(body, { delaySeconds: result.delaySeconds, contentType: 'json' })
    message.ack()
  } catch (error) {
    if (isPermanent(error)) {
      // Retrying cannot help: the output was invalid or the server is misconfigured.
      await failTask(env, await taskOwner(env, body.taskId), (error as Error).message).catch(() => {})
      return message.ack()
    }
    log('warn', 'generation step failed, retrying', {
      taskId: body.taskId,
      attempt: message.attempts,
      error: error instanceof Error ? error.message : String(error),
    })
    message.retry({ delaySeconds: backoffSeconds(message.attempts) })
  }
}

/** Bad output (422) or a misconfigured server: retrying cannot help. */
function isPermanent(error: unknown): boolean {
  return error instanceof ApiError
}

async function taskOwner(env: Env, taskId: string): Promise<{ id: string; userId: string; provider: string; providerJobId: string | null }> {
  const row = await env.DB.prepare('SELECT user_id AS userId, provider, provider_job_id AS providerJobId FROM tasks WHERE id = ?1')
    .bind(taskId)
    .first<{ userId: string; provider: string; providerJobId: string | null }>()
  return { id: taskId, userId: row?.userId ?? '', provider: row?.provider ?? '', providerJobId: row?.providerJobId ?? null }
}
