import { createRoute, z } from '@hono/zod-openapi'
import { and, desc, eq } from 'drizzle-orm'
import { LEDGER_REASONS, creditLedger } from '../../db/schema'
import { requireAdmin, requireAuth } from '../../lib/auth'
import { notFound } from '../../lib/errors'
import { newId } from '../../lib/ids'
import { bearerAuth, createRouter, errors, jsonBody, ok, PaginationQuery, paginate, paginationSchema } from '../../lib/openapi'
import { publishToUser } from '../hub/service'
import { balanceOf } from './service'
import { pageRows } from '../../lib/pager'

const tags = ['Credits']
const auth = { security: bearerAuth, middleware: [requireAuth] }

const LedgerEntry = z
  .object({
    id: z.string(),
    amount: z.number().int().openapi({ description: 'Positive: credited; negative: spent' }),
    reason: z.enum(LEDGER_REASONS),
    taskId: z.string().nullable(),
    orderId: z.string().nullable(),
    balanceAfter: z.number().int(),
    createdAt: z.string(),
  })
  .openapi('CreditLedgerEntry')

const balance = createRoute({
  method: 'get', path: '/balance', tags, ...auth, summary: 'My credit balance',
  responses: { 200: ok(z.object({ balance: z.number().int() }), 'Balance'), ...errors(401) },
})

const records = createRoute({
  method: 'get', path: '/records', tags, ...auth, summary: 'My credit ledger',
  description: 'Newest first. Every change of the balance, with the balance after it; the amounts sum to the balance.',
  request: { query: PaginationQuery.extend({ reason: LedgerEntry.shape.reason.optional() }) },
  responses: { 200: ok(paginationSchema(LedgerEntry), 'Ledger entries'), ...errors(400, 401) },
})

const GrantBody = z
  .object({
    userId: z.string().max(64),
    amount: z.number().int().min(1).max(1_000_000),
    orderId: z.string().max(100).optional().openapi({ description: 'A payment or order reference; makes the grant a `purchase`' }),
  })
  .openapi('CreditGrant')

const grant = createRoute({
  method: 'post', path: '/grant', tags, security: bearerAuth, middleware: [requireAuth, requireAdmin],
  summary: 'Add credits to an account (admin)',
  description: 'One D1 batch: the balance and its ledger row (`admin_grant`, or `purchase` with `orderId`) change together.',
  request: { body: jsonBody(GrantBody) },
  responses: { 200: ok(z.object({ balance: z.number().int() }), 'New balance'), ...errors(400, 401, 403, 404) },
})

export const creditRoutes = createRouter()
  .openapi(balance, async (c) => c.json({ success: true as const, data: { balance: await balanceOf(c.env, c.var.user.id) } }, 200))
  .openapi(grant, async (c) => {
    const { userId, amount, orderId } = c.req.valid('json')
    const now = Date.now()
    const [updated] = await c.env.DB.batch([
      c.env.DB.prepare('UPDATE users SET credits = credits + ?2, updated_at = ?3 WHERE id = ?1').bind(userId, amount, now),
      c.env.DB.prepare(
        `INSERT INTO credit_ledger (id, user_id, amount, reason, order_id, balance_after, created_at)
         SELECT ?1, id, ?3, ?4, ?5, credits, ?6 FROM users WHERE id = ?2`,
      ).bind(newId('cl'), userId, amount, orderId ? 'purchase' : 'admin_grant', orderId ?? null, now),
    ])
    if (!updated || updated.meta.changes === 0) throw notFound('User')
    const balance = await balanceOf(c.env, userId)
    await publishToUser(c.env, userId, { type: 'credits.changed', data: { balance } })
    return c.json({ success: true as const, data: { balance } }, 200)
  })
  .openapi(records, async (c) => {
    const { page, limit, reason } = c.req.valid('query')
    const db = c.var.db
    const where = and(eq(creditLedger.userId, c.var.user.id), reason ? eq(creditLedger.reason, reason) : undefined)
    const { rows, total } = await pageRows(db, creditLedger, where, [desc(creditLedger.createdAt), desc(creditLedger.id)], { page, limit })
    const items = rows.map((r) => ({
      id: r.id,
      amount: r.amount,
      reason: r.reason,
      taskId: r.taskId,
      orderId: r.orderId,
      balanceAfter: r.balanceAfter,
      createdAt: r.createdAt.toISOString(),
    }))
    return c.json({ success: true as const, data: paginate(items, total, page, limit) }, 200)
  })
