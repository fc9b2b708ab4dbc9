import { createRoute } from '@hono/zod-openapi'
import { requireAdmin, requireAuth } from '../../lib/auth'
import { bearerAuth, errors, jsonBody, ok, PaginationQuery, paginationSchema } from '../../lib/openapi'
import { BalanceSchema, GrantBody, LedgerEntrySchema, LedgerQuery } from './schemas'

const tags = ['Credits']
const auth = { security: bearerAuth, middleware: [requireAuth] }

export const getBalanceRoute = createRoute({
  method: 'get', path: '/balance', tags, ...auth, operationId: 'getBalance', summary: 'My credit balance',
  responses: { 200: ok(BalanceSchema.openapi({ example: { balance: 96 } }), 'Balance'), ...errors(401) },
})

export const listCreditRecordsRoute = createRoute({
  method: 'get', path: '/records', tags, ...auth, operationId: 'listCreditRecords', summary: 'My credit ledger',
  description: 'Newest first. Every change of the balance, with the balance after it; the amounts sum to the balance.',
  request: { query: PaginationQuery.extend(LedgerQuery.shape) },
  responses: {
    200: ok(
      paginationSchema(LedgerEntrySchema).openapi({
        example: {
          items: [
            { id: 'cl_01hx2m4c', amount: -4, reason: 'task_charge', taskId: 'tsk_01hx2m4b', orderId: null, note: null, balanceAfter: 96, createdAt: '2026-05-04T09:12:03.000Z' },
            { id: 'cl_01hx2k9r', amount: 100, reason: 'signup_bonus', taskId: null, orderId: null, note: null, balanceAfter: 100, createdAt: '2026-05-01T17:40:11.000Z' },
          ],
          pagination: { page: 1, limit: 20, total: 2, totalPages: 1, hasNext: false, hasPrev: false },
        },
      }),
      'Ledger entries',
    ),
    ...errors(400, 401),
  },
})

export const grantCreditsRoute = createRoute({
  method: 'post', path: '/grant', tags, security: bearerAuth, middleware: [requireAuth, requireAdmin],
  operationId: 'grantCredits', summary: 'Add credits to an account (admin)',
  description: 'One D1 batch: the balance, its `admin_grant` ledger row (with `note`) and a `credits.grant` audit row change together. Purchases are credited only by paid orders.',
  request: { body: jsonBody(GrantBody) },
  responses: { 200: ok(BalanceSchema, 'New balance'), ...errors(400, 401, 403, 404) },
})
