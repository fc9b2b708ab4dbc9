import type { Context } from 'hono'
import type { AppEnv } from '../../../env'
import { clientIp, optionalViewer } from '../../../lib/auth'
import { createRouter, paginate } from '../../../lib/openapi'
import { servePublicWorkImage } from './public-images'
import { listMyWorks, ownWork, viewWork } from './reads'
import {
  batchDeleteWorksRoute, createWorkRoute, deleteWorkRoute, getWorkImageRoute, getWorkRoute, listMyWorksRoute, listWorksRoute, updateWorkRoute,
} from './routes'
import type { WorkListFilters } from './schemas'
import { createWork, deleteWorks, updateWork } from './service'

const origin = (c: Context<AppEnv>) => new URL(c.req.url).origin

async function listPage(c: Context<AppEnv>, filters: WorkListFilters) {
  const { items, total } = await listMyWorks(c.env, c.var.user.id, filters)
  return c.json({ success: true as const, data: paginate(items, total, filters.page, filters.limit) }, 200)
}

/** One's own works and a work's detail (`/api/works…`). */
export const workRoutes = createRouter()
  .openapi(listWorksRoute, (c) => listPage(c, c.req.valid('query')))
  .openapi(listMyWorksRoute, (c) => listPage(c, c.req.valid('query')))
  .openapi(createWorkRoute, async (c) => {
    const id = await createWork(c.env, c.var.user.id, c.req.valid('json'))
    const work = await ownWork(c.env, c.var.user.id, id)
    return c.json({ success: true as const, data: { work }, message: 'Work created' }, 201)
  })
  .openapi(batchDeleteWorksRoute, async (c) => {
    const deleted = await deleteWorks(c.env, c.var.user.id, c.req.valid('json').ids, origin(c))
    return c.json({ success: true as const, data: { deleted, count: deleted.length }, message: `${deleted.length} work(s) deleted` }, 200)
  })
  .openapi(getWorkImageRoute, async (c) => {
    const { id, variant } = c.req.valid('param')
    const { v, exp, sig } = c.req.valid('query')
    return servePublicWorkImage(c.env, c.var.db, c.req.raw, { id, variant, version: v, exp, sig })
  })
  .openapi(getWorkRoute, async (c) => {
    // Optional sign-in: a token, when sent, must be valid (401), else the viewer is anonymous.
    const viewer = await optionalViewer(c.env, c.req.header('Authorization'))
    const work = await viewWork(c.env, c.req.valid('param').id, viewer?.id ?? null, clientIp(c.req.raw.headers))
    return c.json({ success: true as const, data: { work } }, 200)
  })
  .openapi(updateWorkRoute, async (c) => {
    const { id } = c.req.valid('param')
    await updateWork(c.env, c.var.user.id, id, c.req.valid('json'), origin(c))
    const work = await ownWork(c.env, c.var.user.id, id)
    return c.json({ success: true as const, data: { work }, message: 'Work updated' }, 200)
  })
  .openapi(deleteWorkRoute, async (c) => {
    const deleted = await deleteWorks(c.env, c.var.user.id, [c.req.valid('param').id], origin(c))
    return c.json({ success: true as const, data: { deleted, count: deleted.length }, message: 'Work deleted' }, 200)
  })
