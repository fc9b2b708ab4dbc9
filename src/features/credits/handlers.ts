import { notFound } from '../../lib/errors'
import { createRouter, paginate } from '../../lib/openapi'
import { getBalanceRoute, grantCreditsRoute, listCreditRecordsRoute } from './routes'
import { grantWithAudit } from './admin-grant'
import { balanceOf, ledgerPage } from './service'

export const creditRoutes = createRouter()
  .openapi(getBalanceRoute, async (c) => c.json({ success: true as const, data: { balance: await balanceOf(c.env, c.var.user.id) } }, 200))
  .openapi(grantCreditsRoute, async (c) => {
    const { userId, amount, note } = c.req.valid('json')
    const balance = await grantWithAudit(c.env, c.var.user.id, { userId, amount, note })
    if (balance === null) throw notFound('User')
    return c.json({ success: true as const, data: { balance } }, 200)
  })
  .openapi(listCreditRecordsRoute, async (c) => {
    const { page, limit, reason } = c.req.valid('query')
    const { items, total } = await ledgerPage(c.var.db, c.var.user.id, { page, limit, reason })
    return c.json({ success: true as const, data: paginate(items, total, page, limit) }, 200)
  })
