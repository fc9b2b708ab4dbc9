import { createRouter } from '../../../lib/openapi'
import { listReviewWorksRoute, reviewWorkRoute } from './routes'
import { listWorksForReview, reviewWork } from './service'

/** Works review for admins (`/api/admin/works…`). */
export const adminWorkRoutes = createRouter()
  .openapi(listReviewWorksRoute, async (c) => {
    const page = await listWorksForReview(c.env, c.var.user.id, c.req.valid('query'))
    return c.json({ success: true as const, data: page }, 200)
  })
  .openapi(reviewWorkRoute, async (c) => {
    const origin = new URL(c.req.url).origin
    const { work } = await reviewWork(c.env, c.var.db, c.var.user.id, c.req.valid('param').id, c.req.valid('json'), origin)
    return c.json({ success: true as const, data: { work } }, 200)
  })
