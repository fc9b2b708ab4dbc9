import { createRoute, z } from '@hono/zod-openapi'
import { clientIp } from '../../lib/auth'
import { rateLimited, sessionEnded, unauthorized, upgradeRequired } from '../../lib/errors'
import { networkOf } from '../../lib/network'
import { createRouter, errors } from '../../lib/openapi'
import type { SocketIdentity } from '../../realtime/room-sockets'
import { hasEnded, loadSession, presentedToken } from './access'
import { liveRoom, roomContext } from './events'
import { verifyLiveSocketToken } from './socket-auth'
import { readViewerToken } from './viewer-tokens'

const route = createRoute({
  method: 'get',
  path: '/sessions/{id}/ws',
  tags: ['Live sessions'],
  summary: 'Live event stream of a session (WebSocket)',
  description:
    'The owner (access token) or a guest (viewer token), as `?token=` or a first frame `{"type":"auth","token"}` within 5 seconds ' +
    '(one auth frame per socket); open sessions need no token. `?after=<seq>` (use the `seq` of the photo list you loaded) first replays what ' +
    'was missed, in order, in frames of up to 200 events; when `after` is older than the kept log or more than 1,000 events behind, the ' +
    'socket gets `resync {seq}` instead: reload the list over HTTP. Events: `connected {seq}`, `photo.added {photo}`, `photo.updated {photo}`, ' +
    '`photo.removed {id}`, `session.updated {session}` (these carry `seq`), owner only: `upload.progress {uploadId, received, total}`, ' +
    '`session.verify_paused {until}`; `presence {viewers}` (coalesced). Photo URLs are signed when delivered. A frame is one event ' +
    'object, or an array of events. Guests never receive pending photos, and may see gaps in `seq`. Sockets close with 4401 when the ' +
    'token expires (send a new `{"type":"auth","token"}` on the open socket before that to extend it), the owner signs out, the code ' +
    'changes or the session ends; 4404 when it is deleted. Limits: 4 sockets per guest, 1,000 per network, 20 frames per 10 s.',
  request: { params: z.object({ id: z.string().max(64) }), query: z.object({ token: z.string().optional(), after: z.string().optional() }) },
  responses: { 101: { description: 'Switching protocols' }, ...errors(401, 404, 410, 426, 429) },
})

export const liveSocketRoutes = createRouter().openapi(route, async (c) => {
  if (c.req.header('Upgrade')?.toLowerCase() !== 'websocket') {
    throw upgradeRequired()
  }
  const ip = clientIp(c.req.raw.headers)
  // Upgrades are GETs, which the write shield skips: shield them here (a socket is not a cheap read).
  const shield = c.env.API_RATE_LIMITER
  if (shield && !(await shield.limit({ key: `ws:${networkOf(ip)}` })).success) throw rateLimited(60)
  const session = await loadSession(c, c.req.valid('param').id)
  const token = presentedToken(c)
  let identity: SocketIdentity | null = null
  if (token) {
    identity = await verifyLiveSocketToken(c.env, session.id, token)
    if (!identity) {
      // A guest whose token was fine until the session ended hears why, as over HTTP.
      const viewer = await readViewerToken(c.env, token).catch(() => null)
      if (viewer?.sessionId === session.id && viewer.codeVersion === session.codeVersion && hasEnded(session)) throw sessionEnded()
      throw unauthorized('Token is not valid for this live session')
    }
  } else if (session.accessCode === null) {
    identity = { role: 'guest', guestId: null, authSessionId: null, expiresAt: null }
  }
  if (identity?.role === 'guest' && hasEnded(session)) throw sessionEnded()
  const headers = new Headers(c.req.raw.headers)
  headers.set('X-Live-Role', identity?.role ?? 'pending')
  headers.set('X-Live-Network', networkOf(ip))
  headers.set('X-Live-Context', JSON.stringify(roomContext(c.env, session)))
  if (identity) headers.set('X-Live-Identity', JSON.stringify(identity))
  else headers.delete('X-Live-Identity')
  return liveRoom(c.env, session.id).fetch(new Request(c.req.url, { headers }))
})
