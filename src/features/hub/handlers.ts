import { upgradeRequired } from '../../lib/errors'
import { isLocalRequest } from '../../lib/locality'
import { createRouter } from '../../lib/openapi'
import { connectUserSocketRoute } from './routes'
import { UserClientFrameSchema, UserEventSchema } from './schemas'
import { connectUserSocket } from './service'

/** Mounted at `/api`: `GET /api/ws`. */
export const hubRoutes = createRouter().openapi(connectUserSocketRoute, async (c) => {
  if (c.req.header('Upgrade')?.toLowerCase() !== 'websocket') throw upgradeRequired()
  const local = isLocalRequest(c.req.url, c.req.header('CF-Connecting-IP') ?? null)
  return connectUserSocket(c.env, c.req.url, c.req.valid('query').token, local)
})

// The frames are no HTTP body: listed as components, so clients can generate their types.
hubRoutes.openAPIRegistry.register('UserEvent', UserEventSchema)
hubRoutes.openAPIRegistry.register('UserClientFrame', UserClientFrameSchema)
