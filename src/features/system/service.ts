import { config } from '../../lib/config'
import { IsolateCache } from '../../lib/isolate-cache'
import { errorText, log } from '../../lib/logger'
import type { HealthChecks } from './schemas'

/** Checks each binding with the cheapest real call it has; never throws. */
async function runChecks(env: Env): Promise<Omit<HealthChecks, 'config'>> {
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

function configCheck(env: Env): 'ok' | 'error' {
  try {
    config(env)
    return 'ok'
  } catch (error) {
    log.error('health check failed', { check: 'config', error: errorText(error) })
    return 'error'
  }
}

/** A flood of health probes costs one D1 query and one R2 HEAD per isolate every 5 seconds. */
const healthCache = new IsolateCache<Omit<HealthChecks, 'config'>>(5_000, 1)

/** The service's health: every check `ok`, or `degraded` naming the failing one. */
export async function checkHealth(env: Env) {
  // The configuration check is per env object and cached by config() itself, so it is not in the isolate cache.
  const checks: HealthChecks = { ...(await healthCache.get('checks', () => runChecks(env))), config: configCheck(env) }
  const healthy = Object.values(checks).every((v) => v === 'ok')
  const version = checks.config === 'ok' ? config(env).APP_VERSION : '0.0.0'
  return { status: healthy ? ('ok' as const) : ('degraded' as const), version, checks }
}
