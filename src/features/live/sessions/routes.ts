import { createRoute, z } from '@hono/zod-openapi'
import { requireAuth } from '../../../lib/auth'
import { bearerAuth, errors, jsonBody, liveViewerAccess, noAuth, ok, PaginationQuery, paginationSchema } from '../../../lib/openapi'
import { CreateSession, SessionSchema, UpdateSession, VerifiedSchema, VerifyBody } from './schemas'

const tags = ['Live sessions']
const auth = { security: bearerAuth, middleware: [requireAuth] }
const Id = z.object({ id: z.string().max(64).openapi({ example: 'lvs_01JD4S2B7C9D1E3F5G7H9J1K3M' }) })
const SessionEnvelope = z.object({ session: SessionSchema })

export const createLiveSessionRoute = createRoute({
  method: 'post',
  path: '/sessions',
  operationId: 'createLiveSession',
  tags,
  ...auth,
  summary: 'Create a live session',
  description: 'Answers 201 with a generated 6-digit `accessCode` unless you give one, or `accessCode: null` for an open session.',
  request: { body: jsonBody(CreateSession) },
  responses: { 201: ok(SessionEnvelope, 'Created'), ...errors(400, 401) },
})

export const listLiveSessionsRoute = createRoute({
  method: 'get',
  path: '/sessions',
  operationId: 'listLiveSessions',
  tags,
  ...auth,
  summary: 'My live sessions',
  request: { query: PaginationQuery },
  responses: { 200: ok(paginationSchema(SessionSchema), 'Newest first'), ...errors(400, 401) },
})

export const getLiveSessionRoute = createRoute({
  method: 'get',
  path: '/sessions/{id}',
  operationId: 'getLiveSession', security: liveViewerAccess,
  tags,
  summary: 'A live session',
  description: 'The owner (access token) sees everything; guests need a viewer token (Bearer or `?token=`) unless the session is open. Ended sessions: 410 for guests.',
  request: { params: Id },
  responses: { 200: ok(SessionEnvelope, 'Session'), ...errors(401, 404, 410) },
})

export const updateLiveSessionRoute = createRoute({
  method: 'put',
  path: '/sessions/{id}',
  operationId: 'updateLiveSession',
  tags,
  ...auth,
  summary: 'Edit a live session',
  description: 'Owner only. `regenerateCode` or a new `accessCode` invalidates every viewer token. Guests get `session.updated`.',
  request: { params: Id, body: jsonBody(UpdateSession) },
  responses: { 200: ok(SessionEnvelope, 'Updated'), ...errors(400, 401, 404) },
})

export const deleteLiveSessionRoute = createRoute({
  method: 'delete',
  path: '/sessions/{id}',
  operationId: 'deleteLiveSession',
  tags,
  ...auth,
  summary: 'Delete a live session and its photos',
  request: { params: Id },
  responses: { 200: ok(z.object({ deleted: z.literal(true) }), 'Deleted'), ...errors(401, 404) },
})

export const verifyLiveAccessCodeRoute = createRoute({
  method: 'post',
  path: '/sessions/{id}/verify',
  operationId: 'verifyLiveAccessCode', security: noAuth,
  tags,
  summary: 'Enter the access code',
  description:
    'Answers a viewer token scoped to this session and guest (12 hours, the end time, or until the code changes). Open sessions need no code. ' +
    'Send a `deviceId` to stay the same guest across verifies (likes and views count once per guest). ' +
    'Wrong codes: 401, counted per network (IPv4 address or IPv6 /64: 20 per 10 minutes) and per session (200 per 10 minutes, after which ' +
    'new devices are paused until the window ends and the owner gets `session.verify_paused`), then 429 with Retry-After. ' +
    'A device that verified before still gets in with the right code while throttled. New guests: 300 per network per 10 minutes. Ended: 410.',
  request: { params: Id, body: jsonBody(VerifyBody) },
  responses: { 200: ok(VerifiedSchema, 'Welcome'), ...errors(400, 401, 404, 410, 429) },
})

export const uploadLiveWatermarkRoute = createRoute({
  method: 'post',
  path: '/sessions/{id}/watermark',
  operationId: 'uploadLiveWatermark',
  tags,
  ...auth,
  summary: 'Upload the watermark (PNG)',
  description:
    'Multipart `watermark`: a PNG with transparency, at most 1 MB. Drawn on what guests see (thumb, preview, preview downloads), never on originals. Placement via PUT `watermark`.',
  request: {
    params: Id,
    body: { required: true, content: { 'multipart/form-data': { schema: { type: 'object', properties: { watermark: { type: 'string', format: 'binary' } } } } } },
  },
  responses: { 200: ok(SessionEnvelope, 'Stored'), ...errors(400, 401, 404, 413, 415, 422) },
})

/** Mounted at `/` (not under /api/live): the guest page's address is the session's `viewerUrl`. */
export const getLivePageRoute = createRoute({
  method: 'get',
  path: '/live/{id}',
  operationId: 'getLivePage', security: noAuth,
  tags,
  summary: 'Guest web page of a live session (HTML)',
  description: 'Access code form (skipped for open sessions), live grid, lightbox, downloads per policy, photo-wall mode (`?wall=1`). Served from this origin only (CSP).',
  request: { params: Id },
  responses: { 200: { description: 'HTML page', content: { 'text/html': { schema: { type: 'string' } } } } },
})
