import { isGenerationMessage, enqueueGeneration } from '../features/tasks/messages'
import { cancelAtProvider } from '../features/tasks/providers'
import { failTask, taskRef } from '../features/tasks/state'
import { ApiError } from '../lib/errors'
import { errorText, log } from '../lib/logger'
import { backoffSeconds, processGeneration } from './generation'

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
    log.warn('unknown dead letter acked', { messageId: message.id })
    return message.ack()
  }
  try {
    const task = await taskRef(env, body.taskId)
    const { ended } = await failTask(env, task, 'Generation failed after several attempts')
    // Refunded; a job still alive at the provider is stopped, best effort.
    if (ended) await cancelAtProvider(env, task)
    message.ack()
  } catch (error) {
    log.error('dead letter handling failed', { taskId: body.taskId, error: errorText(error) })
    message.retry({ delaySeconds: 30 })
  }
}

async function handleGenerationMessage(env: Env, message: Message<unknown>) {
  const body = message.body
  if (!isGenerationMessage(body)) {
    log.warn('unknown message acked', { messageId: message.id })
    return message.ack()
  }
  try {
    const result = await processGeneration(env, body)
    if (result.kind === 'poll') await enqueueGeneration(env, body.taskId, { delaySeconds: result.delaySeconds })
    message.ack()
  } catch (error) {
    if (isPermanent(error)) {
      // Retrying cannot help: the output was invalid or the server is misconfigured.
      log.error('generation step failed for good', { taskId: body.taskId, error: errorText(error) })
      await failTask(env, await taskRef(env, body.taskId), (error as Error).message).catch(() => {})
      return message.ack()
    }
    log.warn('generation step failed, retrying', { taskId: body.taskId, attempt: message.attempts, error: errorText(error) })
    message.retry({ delaySeconds: backoffSeconds(message.attempts) })
  }
}

/** Bad output (422) or a misconfigured server: retrying cannot help. */
function isPermanent(error: unknown): boolean {
  return error instanceof ApiError
}
