import { createRoute } from '@hono/zod-openapi'
import { errors, socketTokenOrFirstFrame } from '../../lib/openapi'
import { ConnectUserSocketQuery } from './schemas'

export const connectUserSocketRoute = createRoute({
  method: 'get',
  path: '/ws',
  operationId: 'connectUserSocket', security: socketTokenOrFirstFrame,
  tags: ['Realtime'],
  summary: 'Your live event stream (WebSocket)',
  description:
    'Upgrade to a WebSocket with `?token=<accessToken>`, or send `{"type":"auth","token":"..."}` as the first frame within ' +
    '5 seconds. Every device of a user receives `connected`, `task.progress {taskId, progress, status}`, ' +
    '`task.completed {taskId, images}`, `task.failed {taskId, error, status, errorCode}`, `credits.changed {balance}` as ' +
    '`{type, data, ts}`, and `security.login_failures {failedAttempts, windowMinutes, throttled}` when the account sees a ' +
    'burst of failed sign-ins. Owners of works and profiles get `work.liked {workId, likesCount, by}`, ' +
    '`work.commented {workId, commentsCount, comment}`, `user.followed {followersCount, by}` (never for their own actions; ' +
    'bursts coalesced to one frame per work or profile per second, carrying the latest count) and ' +
    '`work.reviewed {workId, reviewStatus, reason, code}` (the frames are the `UserEvent` schema). `{"type":"ping"}` is answered `{"type":"pong"}`. ' +
    'Unauthenticated sockets close with 4401. ' +
    '**Session lifetime:** a socket belongs to the sign-in session of its token and closes with 4401 when that session ' +
    'ends (logout, password change elsewhere, refresh-token reuse, account disabled) and when its access token expires. ' +
    'To keep it open, send `{"type":"auth","token":"<fresh access token>"}` on the open socket before expiry (e.g. after ' +
    'each refresh): it is answered `{"type":"auth.ok","data":{"expiresAt"}}` and extends the socket to the new token; ' +
    'a bad token answers an `error` frame and closes with 4401.',
  request: { query: ConnectUserSocketQuery },
  responses: { 101: { description: 'Switching protocols' }, ...errors(401, 426) },
})
