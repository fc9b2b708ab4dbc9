import { createRouter } from '../../lib/openapi'
import { listModelsRoute } from './routes'
import { listModels } from './service'

export const modelRoutes = createRouter().openapi(listModelsRoute, async (c) => c.json({ success: true as const, data: await listModels(c.env) }, 200))
