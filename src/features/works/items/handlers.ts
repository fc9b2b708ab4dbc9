import { createRouter } from '../../../lib/openapi'

/** One's own works and a work's detail (`/api/works…`). */
export const workRoutes = createRouter()
