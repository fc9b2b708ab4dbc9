import { createRouter } from '../../lib/openapi'
import { overview } from './overview'
import { adminListTasksRoute, adminListUsersRoute, adminOverviewRoute, adminUpdateUserRoute, websocketStatsRoute } from './routes'
import { socketStats } from './sockets'
import { listTasks } from './tasks'
import { listUsers, updateUser } from './users'

/** The admin console under `/api/admin`: overview, users, tasks. */
export const adminRoutes = createRouter()
  .openapi(adminOverviewRoute, async (c) => c.json({ success: true as const, data: await overview(c.env) }, 200))
  .openapi(adminListUsersRoute, async (c) => c.json({ success: true as const, data: await listUsers(c.env, c.req.valid('query')) }, 200))
  .openapi(adminUpdateUserRoute, async (c) => {
    const user = await updateUser(c.env, c.var.user.id, c.req.valid('param').id, c.req.valid('json'))
    return c.json({ success: true as const, data: user }, 200)
  })
  .openapi(adminListTasksRoute, async (c) => c.json({ success: true as const, data: await listTasks(c.env, c.req.valid('query')) }, 200))

/** `GET /api/websocket/stats` (admin), under `/api`. */
export const websocketStatsRoutes = createRouter().openapi(websocketStatsRoute, async (c) =>
  c.json({ success: true as const, data: await socketStats(c.env) }, 200),
)
