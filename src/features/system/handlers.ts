import { createRouter } from '../../lib/openapi'
import type { Context } from 'hono'
import type { AppEnv } from '../../env'
import { getApiHealthRoute, getHealthRoute } from './routes'
import { checkHealth } from './service'

async function health(c: Context<AppEnv>) {
  const fields = await checkHealth(c.env)
  const body = { success: fields.status === 'ok', data: fields, ...fields }
  return fields.status === 'ok' ? c.json(body, 200) : c.json(body, 503)
}

/** Mounted at `/`: `/health` and `/api/health` (one operationId each). */
export const systemRoutes = createRouter().openapi(getHealthRoute, health).openapi(getApiHealthRoute, health)
