import { createRouter } from '../../../lib/openapi'
import { publishSessionEvent } from '../shared/events'
import { createSessionRoute, deleteSessionRoute, getSessionRoute, listSessionsRoute, renameSessionRoute } from './routes'
import { createSession, deleteSession, getSession, listSessions, renameSession } from './service'

/** Chat sessions (`/api/sessions…`). Middleware is per route: this router sits at `/api`. Events go out after the answer. */
export const chatSessionRoutes = createRouter()
  .openapi(listSessionsRoute, async (c) => {
    return c.json({ success: true as const, data: await listSessions(c.env, c.var.user.id, c.req.valid('query')) }, 200)
  })
  .openapi(createSessionRoute, async (c) => {
    // The body is optional: without one the validator passes nothing.
    const body = (c.req.valid('json') as { title?: string } | undefined) ?? {}
    const session = await createSession(c.env, c.var.user.id, body)
    c.executionCtx.waitUntil(publishSessionEvent(c.env, c.var.user.id, 'session.created', session))
    return c.json({ success: true as const, data: { session }, message: 'Session created' }, 201)
  })
  .openapi(getSessionRoute, async (c) => {
    return c.json({ success: true as const, data: { session: await getSession(c.env, c.var.user.id, c.req.valid('param').id) } }, 200)
  })
  .openapi(renameSessionRoute, async (c) => {
    const session = await renameSession(c.env, c.var.user.id, c.req.valid('param').id, c.req.valid('json').title)
    c.executionCtx.waitUntil(publishSessionEvent(c.env, c.var.user.id, 'session.updated', session))
    return c.json({ success: true as const, data: { session }, message: 'Session renamed' }, 200)
  })
  .openapi(deleteSessionRoute, async (c) => {
    const session = await deleteSession(c.env, c.var.user.id, c.req.valid('param').id)
    c.executionCtx.waitUntil(publishSessionEvent(c.env, c.var.user.id, 'session.deleted', session))
    return c.json({ success: true as const, data: { session }, message: 'Session deleted' }, 200)
  })
