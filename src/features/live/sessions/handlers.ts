import { clientIp } from '../../../lib/auth'
import { badRequest } from '../../../lib/errors'
import { createRouter } from '../../../lib/openapi'
import { loadOwnSession, loadSession, presentedToken, resolveViewer } from '../shared/access'
import { LIVE_PAGE_CSP, livePage } from './page'
import {
  createLiveSessionRoute,
  deleteLiveSessionRoute,
  getLivePageRoute,
  getLiveSessionRoute,
  listLiveSessionsRoute,
  updateLiveSessionRoute,
  uploadLiveWatermarkRoute,
  verifyLiveAccessCodeRoute,
} from './routes'
import { admitGuest, createSession, deleteSession, listSessions, photoCount, storeWatermark, toSessionDto, updateSession } from './service'

export const liveSessionRoutes = createRouter()
  .openapi(createLiveSessionRoute, async (c) => {
    const session = await createSession(c.var.db, c.var.user.id, c.req.valid('json'))
    return c.json({ success: true as const, data: { session } }, 201)
  })
  .openapi(listLiveSessionsRoute, async (c) => {
    const { page, limit } = c.req.valid('query')
    return c.json({ success: true as const, data: await listSessions(c.var.db, c.var.user.id, page, limit) }, 200)
  })
  .openapi(getLiveSessionRoute, async (c) => {
    const session = await loadSession(c.var.db, c.req.valid('param').id)
    const owner = (await resolveViewer(c.env, session, presentedToken(c.req))).role === 'owner'
    const dto = toSessionDto(session, owner, owner ? await photoCount(c.var.db, session.id) : undefined)
    return c.json({ success: true as const, data: { session: dto } }, 200)
  })
  .openapi(updateLiveSessionRoute, async (c) => {
    const current = await loadOwnSession(c.var.db, c.req.valid('param').id, c.var.user.id)
    const session = await updateSession(c.env, c.var.db, current, c.req.valid('json'))
    return c.json({ success: true as const, data: { session } }, 200)
  })
  .openapi(deleteLiveSessionRoute, async (c) => {
    const session = await loadOwnSession(c.var.db, c.req.valid('param').id, c.var.user.id)
    await deleteSession(c.env, c.var.db, session)
    return c.json({ success: true as const, data: { deleted: true as const } }, 200)
  })
  .openapi(verifyLiveAccessCodeRoute, async (c) => {
    const session = await loadSession(c.var.db, c.req.valid('param').id)
    const data = await admitGuest(c.env, session, c.req.valid('json'), clientIp(c.req.raw.headers))
    return c.json({ success: true as const, data }, 200)
  })
  .openapi(uploadLiveWatermarkRoute, async (c) => {
    const session = await loadOwnSession(c.var.db, c.req.valid('param').id, c.var.user.id)
    if (!(c.req.header('Content-Type') ?? '').startsWith('multipart/form-data')) throw badRequest('Send multipart/form-data with a `watermark` file')
    const form = await c.req.formData().catch(() => {
      throw badRequest('Malformed multipart body')
    })
    const file = form.get('watermark')
    if (!(file instanceof File)) throw badRequest('watermark file field is required')
    return c.json({ success: true as const, data: { session: await storeWatermark(c.env, c.var.db, session, file) } }, 200)
  })

/** The guest page, mounted at `/` (its address is the session's `viewerUrl`). */
export const livePageRoutes = createRouter().openapi(getLivePageRoute, (c) => {
  c.header('Content-Security-Policy', LIVE_PAGE_CSP)
  c.header('Cache-Control', 'no-cache')
  return c.html(livePage(c.req.valid('param').id))
})
