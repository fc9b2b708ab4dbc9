import { createDb } from '../db/client'
import type { Task } from '../db/schema'
import type { Db } from '../env'
import { endTaskWithRefund, balanceOf } from '../features/credits/service'
import { storeGeneratedImages } from '../features/images/generated'
import { batchReleasingTaskInputs } from '../features/images/references'
import { releaseImage, toImageDto } from '../features/images/service'
import type { GenerationMessage } from '../features/tasks/service'
import { publishToUser } from '../features/hub/service'
import { callbackBase, PROVIDERS } from './providers'
import { type GeneratedImage, type ProviderOutcome, RetryableProviderError } from './providers/types'
import { errorText, log } from '../lib/logger'

const TERMINAL = new Set(['succeeded', 'failed', 'canceled'])

export type StepResult = { kind: 'done' } | { kind: 'poll'; delaySeconds: number }

async function loadTask(db: Db, id: string) {
  return db.query.tasks.findFirst({ where: (t, { eq }) => eq(t.id, id) })
}

/** Moves a queued task to running (once; a redelivery finds it running and goes on). */
async function claimTask(env: Env, task: Task): Promise<Task | null> {
  const now = Date.now()
  const claimed = await env.DB.prepare(
    `UPDATE tasks SET status = 'running', started_at = COALESCE(started_at, ?2), attempts = attempts + 1, updated_at = ?2
      WHERE id = ?1 AND status IN ('queued', 'running')`,
  )
    .bind(task.id, now)
    .run()
  // Canceled or failed since it was loaded: never start (and pay a provider for) it.
  if (claimed.meta.changes === 0) return null
  await publishToUser(env, task.userId, { type: 'task.progress', data: { taskId: task.id, progress: task.progress, status: 'running' } })
  return { ...task, status: 'running', startedAt: task.startedAt ?? new Date(now) }
}

/** Records progress (never backwards) and tells the user's devices. */
export async function reportProgress(env: Env, task: Pick<Task, 'id' | 'userId'>, progress: number) {
  const value = Math.max(0, Math.min(99, Math.round(progress)))
  const res = await env.DB.prepare(
    `UPDATE tasks SET progress = ?2, updated_at = ?3 WHERE id = ?1 AND status = 'running' AND progress < ?2`,
  )
    .bind(task.id, value, Date.now())
    .run()
  if (res.meta.changes > 0) {
    await publishToUser(env, task.userId, { type: 'task.progress', data: { taskId: task.id, progress: value, status: 'running' } })
  }
}

/**
 * Stores results and marks the task succeeded, only if it is still running. A task canceled or
 * failed meanwhile keeps its end state and refund; the images stored for it are released.
 * Redeliveries write the same image ids, so nothing is stored twice.
 */
export async function completeTask(env: Env, db: Db, task: Task, generated: GeneratedImage[]): Promise<boolean> {
  const stored = await storeGeneratedImages(env, db, task, generated)
  const now = new Date()
  const ids = stored.map((i) => i.id)
  // The same batch releases the task's input images, exactly once.
  const [won] = await batchReleasingTaskInputs(env, task.id, ['running'], [
    env.DB.prepare(
      `UPDATE tasks SET status = 'succeeded', progress = 100, result_image_ids = ?2, finished_at = ?3, updated_at = ?3, error = NULL
        WHERE id = ?1 AND status = 'running'`,
    ).bind(task.id, JSON.stringify(ids), now.getTime()),
  ])
  if ((won?.meta.changes ?? 0) === 0) {
    // Canceled, failed or completed by another delivery meanwhile. Only release what that end
    // state does not show (a concurrent completion shows the same deterministic ids).
    const current = await loadTask(db, task.id)
    const kept = new Set(current?.status === 'succeeded' ? (current.resultImageIds ?? []) : [])
    for (const image of stored) if (!kept.has(image.id)) await releaseImage(env, db, image, { ownerDelete: false })
    return false
  }
  const dtos = await Promise.all(stored.map((image) => toImageDto(env, image, true)))
  await publishToUser(env, task.userId, { type: 'task.completed', data: { taskId: task.id, images: dtos } })
  return true
}

/** Fails a task with a refund, and tells the user's devices. */
export async function failTask(env: Env, task: Pick<Task, 'id' | 'userId'>, error: string, status: 'failed' | 'canceled' = 'failed') {
  const { ended, refunded } = await endTaskWithRefund(env, task.id, status, error)
  if (ended) await publishToUser(env, task.userId, { type: 'task.failed', data: { taskId: task.id, error, status } })
  if (refunded) await publishToUser(env, task.userId, { type: 'credits.changed', data: { balance: await balanceOf(env, task.userId) } })
  return { ended, refunded }
}

/**
 * Asks the task's provider to stop its submitted job, best effort: refunds never wait on it or
 * depend on it, so failures are logged and swallowed.
 */
export async function cancelAtProvider(env: Env, task: Pick<Task, 'id' | 'provider' | 'providerJobId'>): Promise<void> {
  const provider = PROVIDERS[task.provider]
  if (!task.providerJobId || !provider?.cancel) return
  try {
    await provider.cancel(env, task)
  } catch (error) {
    log.warn('provider cancel failed', { taskId: task.id, provider: task.provider, error: errorText(error) })
  }
}

/** Applies what a provider said about a task. */
export async function applyOutcome(env: Env, db: Db, task: Task, outcome: ProviderOutcome): Promise<StepResult> {
  switch (outcome.kind) {
    case 'images':
      await completeTask(env, db, task, outcome.images)
      return { kind: 'done' }
    case 'failed':
      await failTask(env, task, outcome.error)
      return { kind: 'done' }
    case 'submitted': {
      const saved = await env.DB.prepare('UPDATE tasks SET provider_job_id = ?2, updated_at = ?3 WHERE id = ?1 AND status = ?4')
        .bind(task.id, outcome.jobId, Date.now(), 'running')
        .run()
      if (saved.meta.changes === 0) {
        // Canceled or timed out while the job was being submitted: stop it rather than pay for it.
        // (A callback may also have finished it already: then there is nothing to stop.)
        const now = await env.DB.prepare('SELECT status FROM tasks WHERE id = ?1').bind(task.id).first<{ status: string }>()
        if (now?.status === 'canceled' || now?.status === 'failed') await cancelAtProvider(env, { ...task, providerJobId: outcome.jobId })
        return { kind: 'done' }
      }
      return outcome.pollAfterSeconds ? { kind: 'poll', delaySeconds: outcome.pollAfterSeconds } : { kind: 'done' }
    }
    case 'pending':
      if (outcome.progress !== undefined) await reportProgress(env, task, outcome.progress)
      return { kind: 'poll', delaySeconds: outcome.pollAfterSeconds }
  }
}

/**
 * One delivery of a generation message. Idempotent by task state: finished tasks are skipped,
 * a submitted job is polled rather than submitted again, results use deterministic ids.
 * Throws RetryableProviderError (and other errors) for the queue to retry with backoff.
 */
export async function processGeneration(env: Env, message: GenerationMessage): Promise<StepResult> {
  const db = createDb(env.DB)
  const found = await loadTask(db, message.taskId)
  if (!found || TERMINAL.has(found.status)) return { kind: 'done' }
  const provider = PROVIDERS[found.provider]
  if (!provider) {
    await failTask(env, found, `Unknown provider ${found.provider}`)
    return { kind: 'done' }
  }
  const task = await claimTask(env, found)
  if (!task) return { kind: 'done' }
  if (task.providerJobId) {
    // Submitted before: webhook providers answer by callback, pollers are asked again.
    if (!provider.poll) return { kind: 'done' }
    return applyOutcome(env, db, task, await provider.poll(env, task))
  }
  const outcome = await provider.run(env, task, {
    callbackBase: callbackBase(env),
    reportProgress: (progress) => reportProgress(env, task, progress),
  })
  return applyOutcome(env, db, task, outcome)
}

/** Retry delay for attempt n (1-based): 2, 4, 8, 16... seconds, capped at 5 minutes. */
export function backoffSeconds(attempt: number): number {
  return Math.min(300, 2 ** Math.max(1, attempt))
}

export { RetryableProviderError }
