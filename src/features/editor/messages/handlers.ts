import { createRouter } from '../../../lib/openapi'
import { publishMessageEvent, publishSessionEvent } from '../shared/events'
import { listMessages } from './reads'
import { serveMessageImage } from './images'
import { createMessageRoute, deleteMessageRoute, editMessageRoute, getMessageImageRoute, listMessagesRoute } from './routes'
import { createMessage, deleteMessage, editMessage } from './service'

/** Chat messages (`/api/sessions/{id}/messages`, `/api/messages/{id}`). Per-route middleware only; events after the answer. */
export const chatMessageRoutes = createRouter()
  .openapi(listMessagesRoute, async (c) => {
    const data = await listMessages(c.env, c.var.user.id, c.req.valid('param').id, c.req.valid('query'))
    return c.json({ success: true as const, data }, 200)
  })
  .openapi(createMessageRoute, async (c) => {
    const userId = c.var.user.id
    const { message, session, titled } = await createMessage(c.env, userId, c.req.valid('param').id, c.req.valid('json'))
    c.executionCtx.waitUntil(
      (async () => {
        await publishMessageEvent(c.env, userId, 'message.created', message, session)
        if (titled) await publishSessionEvent(c.env, userId, 'session.updated', session)
      })(),
    )
    return c.json({ success: true as const, data: { message, session }, message: 'Message posted' }, 201)
  })
  .openapi(editMessageRoute, async (c) => {
    const { message, session } = await editMessage(c.env, c.var.user.id, c.req.valid('param').id, c.req.valid('json'))
    c.executionCtx.waitUntil(publishMessageEvent(c.env, c.var.user.id, 'message.updated', message, session))
    return c.json({ success: true as const, data: { message, session }, message: 'Message edited' }, 200)
  })
  .openapi(deleteMessageRoute, async (c) => {
    const { message, ids, session } = await deleteMessage(c.env, c.var.user.id, c.req.valid('param').id)
    c.executionCtx.waitUntil(publishMessageEvent(c.env, c.var.user.id, 'message.deleted', message, session))
    return c.json({ success: true as const, data: { deleted: true as const, id: message.id, ids, session }, message: 'Message deleted' }, 200)
  })
  .openapi(getMessageImageRoute, async (c) => {
    const { id, imageId, variant } = c.req.valid('param')
    const { exp, sig } = c.req.valid('query')
    return serveMessageImage(c.env, c.var.db, c.req.raw, { messageId: id, imageId, variant, exp, sig })
  })
