import { z } from '@hono/zod-openapi'

const Check = z.enum(['ok', 'error'])
export const HealthFields = z.object({
  status: z.enum(['ok', 'degraded']),
  version: z.string(),
  checks: z.object({ db: Check, storage: Check, queue: Check, config: Check.openapi({ description: '`error` when a variable is malformed; the logs name it' }) }),
})
export type HealthChecks = z.infer<typeof HealthFields>['checks']

const healthy = { status: 'ok', version: '0.1.0', checks: { db: 'ok', storage: 'ok', queue: 'ok', config: 'ok' } } as const

/** The usual envelope, with the same fields repeated at the top level for load balancers. */
export const HealthSchema = HealthFields.extend({ success: z.boolean(), data: HealthFields }).openapi('Health', {
  example: { success: true, data: healthy, ...healthy },
})
