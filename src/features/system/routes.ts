import { createRoute, z } from '@hono/zod-openapi'
import { IsolateCache } from '../../lib/isolate-cache'
import { createRouter } from '../../lib/openapi'

const Check = z.enum(['ok', 'error'])
const HealthFields = z.object({
  status: z.enum(['ok', 'degraded']),
  version: z.string(),
  checks: z.object({ db: Check, storage: Check, queue: Check }),
})
/** The usual envelope, with the same fields repeated at the top level for load balancers. */
const HealthSchema = HealthFields.extend({ success: z.boolean(), data: HealthFields }).openapi('Health')

/** Checks each binding with the cheapest real call it has; never throws. */
async function runChecks(env: Env) {
  const attempt = async (fn: () => Promise<unknown>) => {
    try {
      await fn()
      return 'ok' as const
    } catch (error) {
      console.error('health check failed', error instanceof Error ? error.message : error)
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

/** The health route; it is served at `/health` and `/api/health`, each with its own operationId. */
const healthRoute = (operationId: string) =>
  createRoute({
    method: 'get',
    path: '/health',
    operationId,
    tags: ['System'],
    summary: 'Service health',
    description: 'Checks D1 (a query), R2 (a HEAD) and that the queue binding is present. 503 when any fails. The checks are cached per server instance for 5 seconds.',
    security: [],
    responses: {
      200: { description: 'Healthy', content: { 'application/json': { schema: HealthSchema } } },
      503: { description: 'A dependency failed', content: { 'application/json': { schema: HealthSchema } } },
    },
  })

/** A flood of health probes costs one D1 query and one R2 HEAD per isolate every 5 seconds. */
const healthCache = new IsolateCache<Awaited<ReturnType<typeof runChecks>>>(5_000, 1)

function healthRouter(operationId: string) {
  return createRouter().openapi(healthRoute(operationId), async (c) => {
    const checks = await healthCache.get('checks', () => runChecks(c.env))
    const healthy = Object.values(checks).every((v) => v === 'ok')
    const fields = { status: healthy ? ('ok' as const) : ('degraded' as const), version: c.env.APP_VERSION || '0.0.0', checks }
    const body = { success: healthy, data: fields, ...fields }
    return healthy ? c.json(body, 200) : c.json(body, 503)
  })
}

/** Mounted at `/`: `GET /health`. */
export const systemRoutes = healthRouter('getHealth')
/** Mounted at `/api`: `GET /api/health`, the same check. */
export const apiSystemRoutes = healthRouter('getApiHealth')
