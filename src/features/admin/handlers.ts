import { createRouter } from '../../lib/openapi'

/** The admin console under `/api/admin`: overview, users, tasks (issue 12, being built). */
export const adminRoutes = createRouter()

/** `GET /api/websocket/stats` (admin), under `/api`. */
export const websocketStatsRoutes = createRouter()
