import type { Task } from '../../db/schema'
import type { Db } from '../../env'
import { publishToUser } from '../hub/service'
import { publishBalance, refundTaskStatements } from '../credits/service'
import { type GeneratedImage, storeGeneratedImages } from '../images/generated'
import { batchReleasingTaskInputs } from '../images/references'
import { releaseImage, toImageDto } from '../images/service'
import { worksForTaskStatements } from '../works/items/service'
import type { TaskErrorCode } from './error-codes'

/**
 * The task state machine: the only module that moves a task between states (queued → running →
 * succeeded | failed | canceled), records its progress and binds it to a provider's job. Every
 * transition is one guarded UPDATE, so redeliveries, callbacks, cancels and the cron sweep can
 * race freely: exactly one of them wins each transition.
 */

export type TaskEnd = 'failed' | 'canceled'

/** What the queue, the cron sweep and the dead-letter consumer know about a task. */
export type TaskRef = Pick<Task, 'id' | 'userId' | 'provider' | 'providerJobId'>

export async function loadTask(db: Db, id: string) {
  return db.query.tasks.findFirst({ where: (t, { eq }) => eq(t.id, id) })
}

/** The owner and provider job of a task (empty fields when there is no such task). */
export async function taskRef(env: Env, taskId: string): Promise<TaskRef & { status: string | null }> {
  const row = await env.DB.prepare('SELECT user_id AS userId, provider, provider_job_id AS providerJobId, status FROM tasks WHERE id = ?1')
    .bind(taskId)
    .first<{ userId: string; provider: string; providerJobId: string | null; status: string }>()
  return { id: taskId, userId: row?.userId ?? '', provider: row?.provider ?? '', providerJobId: row?.providerJobId ?? null, status: row?.status ?? null }
}

/**
 * A queue delivery claims a queued (or, on redelivery, running) task: it moves to running and
 * counts the attempt. Answers null for a task canceled or failed since it was loaded: it must
 * never be started (and a provider paid for it).
 */
export async function claimTaskForAttempt(env: Env, task: Task): Promise<Task | null> {
  const now = Date.now()
  const claimed = await env.DB.prepare(
    `UPDATE tasks SET status = 'running', started_at = COALESCE(started_at, ?2), attempts = attempts + 1, updated_at = ?2
      WHERE id = ?1 AND status IN ('queued', 'running')`,
  )
    .bind(task.id, now)
    .run()
  if (claimed.meta.changes === 0) return null
  await publishToUser(env, task.userId, { type: 'task.progress', data: { taskId: task.id, progress: task.progress, status: 'running' } })
  return { ...task, status: 'running', startedAt: task.startedAt ?? new Date(now) }
}

/** A provider's callback can beat the queue consumer's bookkeeping: it proves the job started. */
export async function markTaskRunning(env: Env, taskId: string): Promise<void> {
  await env.DB.prepare(`UPDATE tasks SET status = 'running', started_at = COALESCE(started_at, ?2), updated_at = ?2 WHERE id = ?1 AND status = 'queued'`)
    .bind(taskId, Date.now())
    .run()
}

/** Records progress (never backwards, only while running) and tells the user's devices. */
export async function reportProgress(env: Env, task: Pick<Task, 'id' | 'userId'>, progress: number) {
  const value = Math.max(0, Math.min(99, Math.round(progress)))
  const res = await env.DB.prepare(`UPDATE tasks SET progress = ?2, updated_at = ?3 WHERE id = ?1 AND status = 'running' AND progress < ?2`)
    .bind(task.id, value, Date.now())
    .run()
  if (res.meta.changes > 0) {
    await publishToUser(env, task.userId, { type: 'task.progress', data: { taskId: task.id, progress: value, status: 'running' } })
  }
}

/** Saves the provider's job id of a running task; false when the task is no longer running. */
export async function bindProviderJob(env: Env, taskId: string, jobId: string): Promise<boolean> {
  const saved = await env.DB.prepare('UPDATE tasks SET provider_job_id = ?2, updated_at = ?3 WHERE id = ?1 AND status = ?4')
    .bind(taskId, jobId, Date.now(), 'running')
    .run()
  return saved.meta.changes > 0
}

/**
 * Binds a task of `provider` that has no job id yet to `jobId` (a callback that arrived before
 * the consumer saved the id). False when the task is unknown or bound to another job.
 */
export async function bindUnboundProviderJob(env: Env, taskId: string, provider: string, jobId: string): Promise<boolean> {
  const bound = await env.DB.prepare('UPDATE tasks SET provider_job_id = ?2 WHERE id = ?1 AND provider = ?3 AND provider_job_id IS NULL')
    .bind(taskId, jobId, provider)
    .run()
  return bound.meta.changes > 0
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
  // The same batch releases the task's input images, exactly once, and makes each result a
  // private work (only if this UPDATE applied: the works' statements check finished_at = now).
  const [won] = await batchReleasingTaskInputs(env, task.id, ['running'], [
    env.DB.prepare(
      `UPDATE tasks SET status = 'succeeded', progress = 100, result_image_ids = ?2, finished_at = ?3, updated_at = ?3, error = NULL
        WHERE id = ?1 AND status = 'running'`,
    ).bind(task.id, JSON.stringify(ids), now.getTime()),
    ...worksForTaskStatements(env, task.id, ids, now.getTime()),
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

/**
 * Ends a task as failed or canceled and refunds its charge, in one D1 batch: the status change
 * only applies to a queued or running task, and the refund (credits' statements) only follows a
 * task that this or an earlier batch ended, once. Calling it twice, or racing a completion,
 * refunds at most once. The same batch releases the task's input images (once).
 * A failed task stores `errorCode` (default GENERATION_FAILED); a canceled one stores none.
 * Returns whether this call ended the task and whether it refunded.
 */
export async function endTaskWithRefund(env: Env, taskId: string, status: TaskEnd, error: string | null, errorCode: TaskErrorCode = 'GENERATION_FAILED') {
  const now = Date.now()
  const [ended, refunded] = await batchReleasingTaskInputs(env, taskId, ['queued', 'running'], [
    env.DB.prepare(
      `UPDATE tasks SET status = ?2, error = ?3, error_code = ?5, finished_at = ?4, updated_at = ?4
        WHERE id = ?1 AND status IN ('queued', 'running')`,
    ).bind(taskId, status, error, now, status === 'failed' ? errorCode : null),
    ...refundTaskStatements(env, taskId, now),
  ])
  return { ended: (ended?.meta.changes ?? 0) > 0, refunded: (refunded?.meta.changes ?? 0) > 0 }
}

/** Fails (or cancels) a task with a refund, and tells the user's devices (with the error code of a failure). */
export async function failTask(
  env: Env,
  task: Pick<Task, 'id' | 'userId'>,
  error: string,
  status: TaskEnd = 'failed',
  errorCode: TaskErrorCode = 'GENERATION_FAILED',
) {
  const { ended, refunded } = await endTaskWithRefund(env, task.id, status, error, errorCode)
  const code = status === 'failed' ? errorCode : null
  if (ended) await publishToUser(env, task.userId, { type: 'task.failed', data: { taskId: task.id, error, status, errorCode: code } })
  if (refunded) await publishBalance(env, task.userId)
  return { ended, refunded }
}
