import { createRouter } from '../../../lib/openapi'

/** Works review for admins (`/api/admin/works…`). */
export const adminWorkRoutes = createRouter()
