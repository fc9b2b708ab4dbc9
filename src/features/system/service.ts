import { config } from '../../lib/config'
import { IsolateCache } from '../../lib/isolate-cache'
import { errorText, log } from '../../lib/logger'
import type { HealthChecks } from './schemas'

/** Checks each binding with the cheapest real call it has; never throws. */
async function runChecks(env: Env): Promise<HealthChecks> {
  const attempt = async (fn: () => Promise<unknown>) => {
    try {
      await fn()
      return 'ok' as const
    } catch (error) {
      log.error('health check failed', { error: errorText(error) })
      return 'error' as const
    }
  }
  const [db, storage] = await Promise.all([
    attempt(() => env.DB.prepare('SELECT 1').first()),
    attempt(() => env.MEDIA.head('health/probe')),
  ])
  // Queues have no read API; sending a probe would cost money and be consumed as a job.
  const queue = typeof env.GENERATION_QUEUE?.send === 'function' ? ('ok' as const) : ('error' as const)
  return { db, storage, queue }
}

/** A flood of health probes costs one D1 query and one R2 HEAD per isolate every 5 seconds. */
const healthCache = new IsolateCache<HealthChecks>(5_000, 1)

/** The service's health: every check `ok`, or `degraded` naming the failing one. */
export async function checkHealth(env: Env) {
  const checks = await healthCache.get('checks', () => runChecks(env))
  const healthy = Object.values(checks).every((v) => v === 'ok')
  return { status: healthy ? ('ok' as const) : ('degraded' as const), version: config(env).APP_VERSION, checks }
}
