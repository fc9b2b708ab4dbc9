import { pruneSessions } from '../features/auth/sessions'
import { pruneRateLimits } from '../lib/rate-limit'

/** The cron sweep: housekeeping that keeps D1 small. Each step runs even if another fails. */
export async function handleScheduled(_controller: ScheduledController, env: Env): Promise<void> {
  const steps: Array<[string, () => Promise<unknown>]> = [
    ['prune rate limits', () => pruneRateLimits(env.DB)],
    ['prune sessions', () => pruneSessions(env.DB)],
  ]
  const results = await Promise.allSettled(steps.map(([, run]) => run()))
  results.forEach((result, i) => {
    if (result.status === 'rejected') {
      console.error(JSON.stringify({ level: 'error', step: steps[i]![0], error: String(result.reason) }))
    }
  })
}
