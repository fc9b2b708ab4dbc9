import { createDb } from '../db/client'
import type { Task } from '../db/schema'
import type { Db } from '../env'
import type { GenerationMessage } from '../features/tasks/messages'
import { callbackBase, cancelAtProvider, PROVIDERS } from '../features/tasks/providers'
import type { ProviderOutcome } from '../features/tasks/providers/types'
import { bindProviderJob, claimTaskForAttempt, completeTask, failTask, loadTask, reportProgress, taskRef } from '../features/tasks/state'

const TERMINAL = new Set(['succeeded', 'failed', 'canceled'])

export type StepResult = { kind: 'done' } | { kind: 'poll'; delaySeconds: number }

/** Applies what a provider said about a task, through the task state machine. */
export async function applyOutcome(env: Env, db: Db, task: Task, outcome: ProviderOutcome): Promise<StepResult> {
  switch (outcome.kind) {
    case 'images':
      await completeTask(env, db, task, outcome.images)
      return { kind: 'done' }
    case 'failed':
      await failTask(env, task, outcome.error, 'failed', outcome.errorCode)
      return { kind: 'done' }
    case 'submitted': {
      if (!(await bindProviderJob(env, task.id, outcome.jobId))) {
        // Canceled or timed out while the job was being submitted: stop it rather than pay for it.
        // (A callback may also have finished it already: then there is nothing to stop.)
        const { status } = await taskRef(env, task.id)
        if (status === 'canceled' || status === 'failed') await cancelAtProvider(env, { ...task, providerJobId: outcome.jobId })
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
  // Canceled or failed since it was loaded: never start (and pay a provider for) it.
  const task = await claimTaskForAttempt(env, found)
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
