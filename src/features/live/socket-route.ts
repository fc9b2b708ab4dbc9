import { createRoute, z } from '@hono/zod-openapi'
import { ApiError, unauthorized } from '../../lib/errors'
import { createRouter, errors } from '../../lib/openapi'
import { hasEnded, loadSession, presentedToken, sessionEnded } from './access'
import { liveRoom } from './events'
import { verifyLiveSocketToken } from './socket-auth'
import { readViewerToken } from './viewer-tokens'

const route = createRoute({
  method: 'get',
  path: '/sessions/{id}/ws',
  tags: ['Live sessions'],
  summary: 'Live event stream of a session (WebSocket)',
  description:
    'The owner (access token) or a guest (viewer token), as `?token=` or a first frame `{"type":"auth","token"}` within 5 seconds; ' +
    'open sessions need no token. `?after=<seq>` first replays every event missed, in order. Events: `connected {seq}`, ' +
    '`photo.added {photo}`, `photo.updated {photo}`, `photo.removed {id}`, `session.updated {session}` (these carry `seq`), ' +
    '`upload.progress {uploadId, received, total}` (owner), `presence {viewers}` (coalesced). A frame is one event object, or an ' +
    'array of events when several arrive together. Guests never receive pending photos, and may see gaps in `seq` (owner-only events).',
  request: { params: z.object({ id: z.string().max(64) }), query: z.object({ token: z.string().optional(), after: z.string().optional() }) },
  responses: { 101: { description: 'Switching protocols' }, ...errors(401, 404, 410, 426) },
})

export const liveSocketRoutes = createRouter().openapi(route, async (c) => {
  if (c.req.header('Upgrade')?.toLowerCase() !== 'websocket') {
    throw new ApiError(426, 'UPGRADE_REQUIRED', 'This endpoint speaks WebSocket: send an Upgrade: websocket request')
  }
  const session = await loadSession(c, c.req.valid('param').id)
  const token = presentedToken(c)
  let role: 'owner' | 'guest' | 'pending'
  if (token) {
    const verified = await verifyLiveSocketToken(c.env, session.id, token)
    if (!verified) {
      // A guest whose token was fine until the session ended hears why, as over HTTP.
      const viewer = await readViewerToken(c.env, token).catch(() => null)
      if (viewer?.sessionId === session.id && viewer.codeVersion === session.codeVersion && hasEnded(session)) throw sessionEnded()
      throw unauthorized('Token is not valid for this live session')
    }
    role = verified
  } else {
    role = session.accessCode === null ? 'guest' : 'pending'
  }
  if (role === 'guest' && hasEnded(session)) throw sessionEnded()
  const room = liveRoom(c.env, session.id)
  await room.bind(session.id)
  const headers = new Headers(c.req.raw.headers)
  headers.set('X-Live-Role', role)
  return room.fetch(new Request(c.req.url, { headers }))
})
