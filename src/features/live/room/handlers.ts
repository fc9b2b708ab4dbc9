import { clientIp } from '../../../lib/auth'
import { rateLimited, upgradeRequired } from '../../../lib/errors'
import { networkOf } from '../../../lib/network'
import { createRouter } from '../../../lib/openapi'
import { loadSession, presentedToken } from '../shared/access'
import { connectLiveSessionRoute } from './routes'
import { liveRoom, roomContext } from './service'
import { handshakeIdentity } from './socket-auth'

/** Checks the upgrade in the Worker, then hands the socket to the session's room with what it verified. */
export const liveSocketRoutes = createRouter().openapi(connectLiveSessionRoute, async (c) => {
  if (c.req.header('Upgrade')?.toLowerCase() !== 'websocket') {
    throw upgradeRequired()
  }
  const ip = clientIp(c.req.raw.headers)
  // Upgrades are GETs, which the write shield skips: shield them here (a socket is not a cheap read).
  const shield = c.env.API_RATE_LIMITER
  if (shield && !(await shield.limit({ key: `ws:${networkOf(ip)}` })).success) throw rateLimited(60)
  const session = await loadSession(c.var.db, c.req.valid('param').id)
  const identity = await handshakeIdentity(c.env, session, presentedToken(c.req))
  const headers = new Headers(c.req.raw.headers)
  headers.set('X-Live-Role', identity?.role ?? 'pending')
  headers.set('X-Live-Network', networkOf(ip))
  headers.set('X-Live-Context', JSON.stringify(roomContext(c.env, session)))
  if (identity) headers.set('X-Live-Identity', JSON.stringify(identity))
  else headers.delete('X-Live-Identity')
  return liveRoom(c.env, session.id).fetch(new Request(c.req.url, { headers }))
})
