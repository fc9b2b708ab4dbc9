import { createRouter } from '../../lib/openapi'
import { listAuditRoute } from './routes'
import { listAudit } from './service'

/** The audit log for admins (`/api/admin/audit`); read-only by design. */
export const auditRoutes = createRouter().openapi(listAuditRoute, async (c) => {
  return c.json({ success: true as const, data: await listAudit(c.env, c.req.valid('query')) }, 200)
})
