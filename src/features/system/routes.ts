import { createRoute } from '@hono/zod-openapi'
import { HealthSchema } from './schemas'

const health = {
  method: 'get' as const,
  tags: ['System'],
  security: [],
  description: 'Checks D1 (a query), R2 (a HEAD) and that the queue binding is present. 503 when any fails. The checks are cached per server instance for 5 seconds.',
  responses: {
    200: { description: 'Healthy', content: { 'application/json': { schema: HealthSchema } } },
    503: { description: 'A dependency failed', content: { 'application/json': { schema: HealthSchema } } },
  },
}

/** Load balancers probe `/health`; API clients find the same answer under `/api`. */
export const getHealthRoute = createRoute({ ...health, path: '/health', operationId: 'getHealth', summary: 'Service health' })

export const getApiHealthRoute = createRoute({
  ...health,
  path: '/api/health',
  operationId: 'getApiHealth',
  summary: 'Service health (the same answer as `/health`)',
})
