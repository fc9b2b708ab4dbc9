import { createRoute } from '@hono/zod-openapi'
import { requireAdmin, requireAuth } from '../../../lib/auth'
import { bearerAuth, errors, jsonBody, ok } from '../../../lib/openapi'
import { WorkIdParam } from '../shared/schemas'
import { AdminWorkListQuery, AdminWorkPageSchema, ReviewedWorkSchema, ReviewWorkBody } from './schemas'

const tags = ['Admin']
const admin = { security: bearerAuth, middleware: [requireAuth, requireAdmin] }

export const listReviewWorksRoute = createRoute({
  method: 'get',
  path: '/works',
  tags,
  ...admin,
  operationId: 'adminListWorks',
  summary: 'Works to review (admin)',
  description:
    'Works that entered review (made public at least once), by `reviewStatus` (pending: oldest first) and full-text `search`. ' +
    'Private works never submitted are not listed. Items show the rejection reason and signed image URLs for unpublished works.',
  request: { query: AdminWorkListQuery },
  responses: { 200: ok(AdminWorkPageSchema, 'A page of works'), ...errors(400, 401, 403) },
})

export const reviewWorkRoute = createRoute({
  method: 'put',
  path: '/works/{id}',
  tags,
  ...admin,
  operationId: 'adminReviewWork',
  summary: 'Approve, reject or feature a work (admin)',
  description:
    'Approving a public work publishes it in the gallery; approving a private one only records the approval. Rejecting (reason required, ' +
    '≤ 500 characters) takes it out of the gallery and makes it private; the owner sees the reason and gets `work.reviewed` ' +
    '`{code: CONTENT_VIOLATION}` on `/api/ws`. `featured` only changes the flag. Repeating a review that is already in place changes ' +
    'nothing and sends no event. An admin cannot approve or reject their own work (403; another admin must). Rejecting a ' +
    'work in the gallery purges its cached public images here at once (other data centres within 5 minutes). 409 when the ' +
    'work was never made public (reject) or changed during the review (retry).',
  request: { params: WorkIdParam, body: jsonBody(ReviewWorkBody) },
  responses: { 200: ok(ReviewedWorkSchema, 'The reviewed work'), ...errors(400, 401, 403, 404, 409) },
})
