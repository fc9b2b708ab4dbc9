import { pruneLoginNetworks } from '../features/auth/login-guard'
import { pruneSessions } from '../features/auth/sessions'
import { resumeStalledCleanups } from '../features/live/sessions/cleanup'
import { abandonStaleUploads } from '../features/live/uploads/service'
import { pruneRateLimits } from '../lib/rate-limit'
import { cancelAtProvider, failTask } from './generation'
import { config } from '../lib/config'
import { errorText, log } from '../lib/logger'

function taskTimeoutSeconds(env: Env): number {
  return config(env).TASK_TIMEOUT_SECONDS
}

/**
 * Fails and refunds tasks that have been queued or running for longer than the timeout, then
 * asks the provider to stop each job that ended here (best effort, after the refund).
 */
export async function sweepStuckTasks(env: Env, now = Date.now()): Promise<number> {
  const cutoff = now - taskTimeoutSeconds(env) * 1000
  const { results } = await env.DB.prepare(
    `SELECT id, user_id AS userId, provider, provider_job_id AS providerJobId FROM tasks
      WHERE status IN ('queued', 'running') AND COALESCE(started_at, created_at) < ?1 LIMIT 100`,
  )
    .bind(cutoff)
    .all<{ id: string; userId: string; provider: string; providerJobId: string | null }>()
  for (const task of results) {
    const { ended } = await failTask(env, task, 'Timed out: the generation service did not finish in time')
    if (ended) await cancelAtProvider(env, task)
  }
  return results.length
}

/**
 * How long processed `webhook-id`s are kept for deduplication: longer than any sender retries
 * (Standard Webhooks senders retry for up to about 3 days; Replicate for minutes).
 */
export const WEBHOOK_EVENT_RETENTION_MS = 7 * 86_400_000

/** Forgets delivery ids older than the retention, at most 5,000 per run (index on received_at). */
export async function pruneWebhookEvents(env: Env, now = Date.now()): Promise<number> {
  const res = await env.DB.prepare(
    'DELETE FROM webhook_events WHERE id IN (SELECT id FROM webhook_events WHERE received_at < ?1 LIMIT 5000)',
  )
    .bind(now - WEBHOOK_EVENT_RETENTION_MS)
    .run()
  return res.meta.changes
}

/** The cron sweep: nothing left running forever, and D1 kept small. Each step runs even if another fails. */
export async function handleScheduled(_controller: ScheduledController, env: Env): Promise<void> {
  const steps: Array<[string, () => Promise<unknown>]> = [
    ['sweep stuck tasks', () => sweepStuckTasks(env)],
    ['sweep stale uploads', () => abandonStaleUploads(env)],
    ['prune rate limits', () => pruneRateLimits(env.DB)],
    ['prune sessions', () => pruneSessions(env.DB)],
    ['resume live session cleanups', () => resumeStalledCleanups(env)],
    ['prune login networks', () => pruneLoginNetworks(env.DB)],
    ['prune webhook events', () => pruneWebhookEvents(env)],
  ]
  const results = await Promise.allSettled(steps.map(([, run]) => run()))
  results.forEach((result, i) => {
    if (result.status === 'rejected') {
      log.error('scheduled step failed', { step: steps[i]![0], error: errorText(result.reason) })
    }
  })
}
