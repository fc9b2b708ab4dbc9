import { createRoute, z } from '@hono/zod-openapi'
import type { AuthUser } from '../env'
import { authenticateToken } from '../lib/auth'
import { isLocalRequest, withLocalScope } from '../lib/locality'
import { ApiError, upgradeRequired } from '../lib/errors'
import { createRouter, errors } from '../lib/openapi'
import { sessionHeaders } from './socket-session'
import { closeQuietly } from '../lib/sockets'

const AUTH_TIMEOUT_MS = 5000

function hubFor(env: Env, userId: string) {
  return env.USER_HUB.get(env.USER_HUB.idFromName(userId))
}

function hubRequest(url: string, user: AuthUser, expiresAt: number, local: boolean): Request {
  return new Request(url, { headers: { Upgrade: 'websocket', ...sessionHeaders(user, expiresAt, local) } })
}

/**
 * First-frame authentication: the Worker holds the socket until `{"type":"auth","token"}`
 * arrives (5 s at most), then relays frames to the user's hub. Prefer `?token=`: that socket
 * goes straight to the hub and can hibernate.
 */
function acceptWithFirstFrameAuth(env: Env, url: string, local: boolean): Response {
  const { 0: client, 1: server } = new WebSocketPair()
  server.accept()
  let upstream: WebSocket | null = null
  let authenticating = false
  const pending: Array<string | ArrayBuffer> = []
  const fail = (reason: string) => {
    try {
      server.send(JSON.stringify({ type: 'error', data: { code: 'UNAUTHORIZED', error: reason }, ts: new Date().toISOString() }))
    } catch {
      // client already gone
    }
    closeQuietly(server, 4401, reason)
  }
  const timer = setTimeout(() => {
    if (!upstream) fail('No auth frame within 5 seconds')
  }, AUTH_TIMEOUT_MS)

  server.addEventListener('message', (event) => {
    void onMessage(event).catch(() => fail('Authentication failed'))
  })
  const onMessage = async (event: MessageEvent) => {
    if (upstream) return upstream.send(event.data)
    if (authenticating) return void pending.push(event.data)
    authenticating = true
    let token: unknown
    try {
      const frame = JSON.parse(String(event.data)) as { type?: unknown; token?: unknown }
      token = frame.type === 'auth' ? frame.token : undefined
    } catch {
      token = undefined
    }
    if (typeof token !== 'string') return fail('First frame must be {"type":"auth","token":"..."}')
    try {
      // Event listeners run outside the request's scope: restore it for the secret lookup.
      const { user, expiresAt } = await withLocalScope(local, () => authenticateToken(env, token))
      const res = await hubFor(env, user.id).fetch(hubRequest(url, user, expiresAt, local))
      const socket = res.webSocket
      if (!socket) return fail('Could not reach your event hub')
      socket.accept()
      upstream = socket
      clearTimeout(timer)
      socket.addEventListener('message', (e) => server.send(e.data))
      socket.addEventListener('close', (e) => closeQuietly(server, e.code, e.reason))
      server.addEventListener('close', (e) => closeQuietly(socket, e.code, e.reason))
      for (const data of pending.splice(0)) socket.send(data)
    } catch (error) {
      fail(error instanceof ApiError ? error.message : 'Authentication failed')
    }
  }
  server.addEventListener('close', () => clearTimeout(timer))
  return new Response(null, { status: 101, webSocket: client })
}

const route = createRoute({
  method: 'get',
  path: '/ws',
  tags: ['Realtime'],
  summary: 'Your live event stream (WebSocket)',
  description:
    'Upgrade to a WebSocket with `?token=<accessToken>`, or send `{"type":"auth","token":"..."}` as the first frame within ' +
    '5 seconds. Every device of a user receives `connected`, `task.progress {taskId, progress, status}`, ' +
    '`task.completed {taskId, images}`, `task.failed {taskId, error}`, `credits.changed {balance}` as ' +
    '`{type, data, ts}`, and `security.login_failures {failedAttempts, windowMinutes, throttled}` when the account sees a ' +
    'burst of failed sign-ins. `{"type":"ping"}` is answered `{"type":"pong"}`. Unauthenticated sockets close with 4401. ' +
    '**Session lifetime:** a socket belongs to the sign-in session of its token and closes with 4401 when that session ' +
    'ends (logout, password change elsewhere, refresh-token reuse, account disabled) and when its access token expires. ' +
    'To keep it open, send `{"type":"auth","token":"<fresh access token>"}` on the open socket before expiry (e.g. after ' +
    'each refresh): it is answered `{"type":"auth.ok","data":{"expiresAt"}}` and extends the socket to the new token; ' +
    'a bad token answers an `error` frame and closes with 4401.',
  request: { query: z.object({ token: z.string().optional() }) },
  responses: { 101: { description: 'Switching protocols' }, ...errors(401, 426) },
})

export const userSocketRoutes = createRouter().openapi(route, async (c) => {
  if (c.req.header('Upgrade')?.toLowerCase() !== 'websocket') {
    throw upgradeRequired()
  }
  const { token } = c.req.valid('query')
  const local = isLocalRequest(c.req.url, c.req.header('CF-Connecting-IP') ?? null)
  if (!token) return acceptWithFirstFrameAuth(c.env, c.req.url, local)
  const { user, expiresAt } = await authenticateToken(c.env, token)
  return hubFor(c.env, user.id).fetch(hubRequest(c.req.url, user, expiresAt, local))
})
