import { pruneLoginNetworks } from '../features/auth/login-guard'
import { pruneSessions } from '../features/auth/sessions'
import { resumeStalledCleanups } from '../features/live/sessions/cleanup'
import { abandonStaleUploads } from '../features/live/uploads/service'
import { pruneRateLimits } from '../lib/rate-limit'
import { pruneWebhookEvents } from '../features/callbacks/deliveries'
import { failStuckTasks } from '../features/tasks/service'
import { expireOrders } from '../features/payments/orders'
import { pruneWorkViews } from '../features/works/social/views-retention'
import { purgeDeletedSessions } from '../features/editor/sessions/purge'
import { config } from '../lib/config'
import { pruneStaleSocketCounts } from '../realtime/socket-counts'
import { errorText, log } from '../lib/logger'

function taskTimeoutSeconds(env: Env): number {
  return config(env).TASK_TIMEOUT_SECONDS
}

/**
 * Fails and refunds tasks that have been queued or running for longer than the timeout, then
 * asks the provider to stop each job that ended here (best effort, after the refund).
 */
export async function sweepStuckTasks(env: Env, now = Date.now()): Promise<number> {
  return failStuckTasks(env, now - taskTimeoutSeconds(env) * 1000)
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
    ['prune work views', () => pruneWorkViews(env, Date.now())],
    ['prune stale socket counts', () => pruneStaleSocketCounts(env)],
    ['expire unpaid orders', () => expireOrders(env)],
    ['purge deleted chat sessions', () => purgeDeletedSessions(env)],
  ]
  const results = await Promise.allSettled(steps.map(([, run]) => run()))
  results.forEach((result, i) => {
    if (result.status === 'rejected') {
      log.error('scheduled step failed', { step: steps[i]![0], error: errorText(result.reason) })
    }
  })
}
