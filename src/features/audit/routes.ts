import { createRoute } from '@hono/zod-openapi'
import { requireAdmin, requireAuth } from '../../lib/auth'
import { bearerAuth, errors, ok } from '../../lib/openapi'
import { AuditListQuery, AuditPageSchema } from './schemas'

export const listAuditRoute = createRoute({
  method: 'get',
  path: '/audit',
  tags: ['Admin'],
  security: bearerAuth,
  middleware: [requireAuth, requireAdmin],
  operationId: 'adminListAudit',
  summary: 'The audit log (admin)',
  description:
    'Every admin change (settings, reviews, users, credit grants), newest first: who, what, the changed fields before and after, when. ' +
    'Filter by `actor` (user id), `action`, `targetType`, `targetId` and a time range (`from` inclusive, `to` exclusive). ' +
    'The log is append-only: no route changes or deletes an entry.',
  request: { query: AuditListQuery },
  responses: { 200: ok(AuditPageSchema, 'A page of audit entries'), ...errors(400, 401, 403) },
})
