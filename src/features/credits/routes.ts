import { createRoute, z } from '@hono/zod-openapi'
import { and, count, desc, eq } from 'drizzle-orm'
import { creditLedger } from '../../db/schema'
import { requireAuth } from '../../lib/auth'
import { bearerAuth, createRouter, errors, ok, PaginationQuery, paginate, paginationSchema } from '../../lib/openapi'
import { balanceOf } from './service'

const tags = ['Credits']
const auth = { security: bearerAuth, middleware: [requireAuth] }

const LedgerEntry = z
  .object({
    id: z.string(),
    amount: z.number().int().openapi({ description: 'Positive: credited; negative: spent' }),
    reason: z.enum(['signup_bonus', 'task_charge', 'task_refund', 'admin_grant', 'purchase']),
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

export const creditRoutes = createRouter()
  .openapi(balance, async (c) => c.json({ success: true as const, data: { balance: await balanceOf(c.env, c.var.user.id) } }, 200))
  .openapi(records, async (c) => {
    const { page, limit, reason } = c.req.valid('query')
    const db = c.var.db
    const where = and(eq(creditLedger.userId, c.var.user.id), reason ? eq(creditLedger.reason, reason) : undefined)
    const [rows, [total]] = await db.batch([
      db.select().from(creditLedger).where(where).orderBy(desc(creditLedger.createdAt), desc(creditLedger.id)).limit(limit).offset((page - 1) * limit),
      db.select({ n: count() }).from(creditLedger).where(where),
    ])
    const items = rows.map((r) => ({
      id: r.id,
      amount: r.amount,
      reason: r.reason,
      taskId: r.taskId,
      orderId: r.orderId,
      balanceAfter: r.balanceAfter,
      createdAt: r.createdAt.toISOString(),
    }))
    return c.json({ success: true as const, data: paginate(items, total?.n ?? 0, page, limit) }, 200)
  })
