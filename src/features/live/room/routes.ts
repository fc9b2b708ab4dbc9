import { createRoute, z } from '@hono/zod-openapi'
import { errors, liveViewerAccess } from '../../../lib/openapi'

export const connectLiveSessionRoute = createRoute({
  method: 'get',
  path: '/sessions/{id}/ws',
  operationId: 'connectLiveSession', security: liveViewerAccess,
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
