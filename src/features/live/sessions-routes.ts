import { createRoute, z } from '@hono/zod-openapi'
import { and, count, desc, eq, isNull, sql } from 'drizzle-orm'
import type { Context } from 'hono'
import { livePhotos, liveSessions, type LiveSession } from '../../db/schema'
import type { AppEnv } from '../../env'
import { clientIp, requireAuth } from '../../lib/auth'
import { badRequest, invalidImage, payloadTooLarge, sessionEnded, unsupportedMediaType } from '../../lib/errors'
import { newId } from '../../lib/ids'
import { sniffImageMime } from '../../lib/media'
import { bearerAuth, createRouter, errors, iso, jsonBody, ok, PaginationQuery, paginate, paginationSchema } from '../../lib/openapi'
import { storageKeys } from '../../lib/storage-keys'
import { hasEnded, loadOwnSession, loadSession, resolveViewer } from './access'
import { startSessionCleanup } from './cleanup'
import { liveRoom, publishToRoom, roomContext } from './events'
import { verifyGuest } from './guests'
import { CreateSession, SessionSchema, UpdateSession } from './schemas'
import { signViewerToken, VIEWER_TOKEN_SECONDS } from './viewer-tokens'
import { errorText, log } from '../../lib/logger'
import { pageRows } from '../../lib/pager'

const tags = ['Live sessions']
const auth = { security: bearerAuth, middleware: [requireAuth] }
const Id = z.object({ id: z.string().max(64) })


function generateCode(): string {
  return String(crypto.getRandomValues(new Uint32Array(1))[0]! % 1_000_000).padStart(6, '0')
}

export function toSessionDto(session: LiveSession, owner: boolean, photoCount?: number) {
  return {
    id: session.id,
    title: session.title,
    description: session.description,
    coverImageId: session.coverImageId,
    startsAt: iso(session.startsAt),
    endsAt: iso(session.endsAt),
    status: session.status,
    ended: hasEnded(session),
    open: session.accessCode === null,
    ...(owner ? { accessCode: session.accessCode, watermark: session.watermark ?? null } : {}),
    moderation: session.moderation,
    downloadPolicy: session.downloadPolicy,
    ...(photoCount !== undefined ? { photoCount } : {}),
    viewerUrl: `/live/${session.id}`,
    createdAt: session.createdAt.toISOString(),
    updatedAt: session.updatedAt.toISOString(),
  }
}

const dateOrNull = (v: string | null | undefined) => (v === undefined ? undefined : v === null ? null : new Date(v))

function checkWindow(startsAt: Date | null | undefined, endsAt: Date | null | undefined) {
  if (startsAt && endsAt && endsAt <= startsAt) throw badRequest('endsAt must be after startsAt', [{ field: 'endsAt', message: 'Must be after startsAt' }])
}

const create = createRoute({
  method: 'post', path: '/sessions', tags, ...auth, summary: 'Create a live session',
  description: 'Answers 201 with a generated 6-digit `accessCode` unless you give one, or `accessCode: null` for an open session.',
  request: { body: jsonBody(CreateSession) },
  responses: { 201: ok(z.object({ session: SessionSchema }), 'Created'), ...errors(400, 401) },
})
const listMine = createRoute({
  method: 'get', path: '/sessions', tags, ...auth, summary: 'My live sessions',
  request: { query: PaginationQuery },
  responses: { 200: ok(paginationSchema(SessionSchema), 'Newest first'), ...errors(400, 401) },
})
const detail = createRoute({
  method: 'get', path: '/sessions/{id}', tags, summary: 'A live session',
  description: 'The owner (access token) sees everything; guests need a viewer token (Bearer or `?token=`) unless the session is open. Ended sessions: 410 for guests.',
  request: { params: Id },
  responses: { 200: ok(z.object({ session: SessionSchema }), 'Session'), ...errors(401, 404, 410) },
})
const update = createRoute({
  method: 'put', path: '/sessions/{id}', tags, ...auth, summary: 'Edit a live session',
  description: 'Owner only. `regenerateCode` or a new `accessCode` invalidates every viewer token. Guests get `session.updated`.',
  request: { params: Id, body: jsonBody(UpdateSession) },
  responses: { 200: ok(z.object({ session: SessionSchema }), 'Updated'), ...errors(400, 401, 404) },
})
const remove = createRoute({
  method: 'delete', path: '/sessions/{id}', tags, ...auth, summary: 'Delete a live session and its photos',
  request: { params: Id },
  responses: { 200: ok(z.object({ deleted: z.literal(true) }), 'Deleted'), ...errors(401, 404) },
})
const VerifyBody = z
  .object({
    accessCode: z.string().max(32).optional(),
    deviceId: z
      .string()
      .regex(/^[A-Za-z0-9_-]{16,64}$/, 'deviceId must be 16-64 letters, digits, _ or -')
      .optional()
      .openapi({ description: 'A random id the client keeps (the guest page keeps one in localStorage): the same device is the same guest' }),
    nickname: z.string().trim().max(40).optional(),
  })
  .openapi('VerifyAccessCode')

const verify = createRoute({
  method: 'post', path: '/sessions/{id}/verify', tags, summary: 'Enter the access code',
  description:
    'Answers a viewer token scoped to this session and guest (12 hours, the end time, or until the code changes). Open sessions need no code. ' +
    'Send a `deviceId` to stay the same guest across verifies (likes and views count once per guest). ' +
    'Wrong codes: 401, counted per network (IPv4 address or IPv6 /64: 20 per 10 minutes) and per session (200 per 10 minutes, after which ' +
    'new devices are paused until the window ends and the owner gets `session.verify_paused`), then 429 with Retry-After. ' +
    'A device that verified before still gets in with the right code while throttled. New guests: 300 per network per 10 minutes. Ended: 410.',
  request: { params: Id, body: jsonBody(VerifyBody) },
  responses: {
    200: ok(z.object({ viewerToken: z.string(), expiresIn: z.number().int(), guestId: z.string(), session: SessionSchema }), 'Welcome'),
    ...errors(400, 401, 404, 410, 429),
  },
})
const watermark = createRoute({
  method: 'post', path: '/sessions/{id}/watermark', tags, ...auth, summary: 'Upload the watermark (PNG)',
  description: 'Multipart `watermark`: a PNG with transparency, at most 1 MB. Drawn on what guests see (thumb, preview, preview downloads), never on originals. Placement via PUT `watermark`.',
  request: { params: Id, body: { required: true, content: { 'multipart/form-data': { schema: { type: 'object', properties: { watermark: { type: 'string', format: 'binary' } } } } } } },
  responses: { 200: ok(z.object({ session: SessionSchema }), 'Stored'), ...errors(400, 401, 404, 413, 415, 422) },
})

async function photoCount(c: Context<AppEnv>, sessionId: string) {
  const [row] = await c.var.db.select({ n: count() }).from(livePhotos).where(eq(livePhotos.sessionId, sessionId))
  return row?.n ?? 0
}

export const liveSessionRoutes = createRouter()
  .openapi(create, async (c) => {
    const body = c.req.valid('json')
    const startsAt = dateOrNull(body.startsAt) ?? null
    const endsAt = dateOrNull(body.endsAt) ?? null
    checkWindow(startsAt, endsAt)
    const now = new Date()
    const [session] = await c.var.db
      .insert(liveSessions)
      .values({
        id: newId('lvs'),
        ownerId: c.var.user.id,
        title: body.title,
        description: body.description ?? null,
        coverImageId: body.coverImageId ?? null,
        startsAt,
        endsAt,
        status: body.status ?? 'live',
        accessCode: body.accessCode === undefined ? generateCode() : body.accessCode,
        moderation: body.moderation ?? 'auto',
        downloadPolicy: body.downloadPolicy ?? 'preview',
        createdAt: now,
        updatedAt: now,
      })
      .returning()
    return c.json({ success: true as const, data: { session: toSessionDto(session!, true, 0) } }, 201)
  })
  .openapi(listMine, async (c) => {
    const { page, limit } = c.req.valid('query')
    const db = c.var.db
    const where = and(eq(liveSessions.ownerId, c.var.user.id), isNull(liveSessions.deletedAt))
    const { rows, total } = await pageRows(db, liveSessions, where, [desc(liveSessions.createdAt), desc(liveSessions.id)], { page, limit })
    return c.json({ success: true as const, data: paginate(rows.map((s) => toSessionDto(s, true)), total, page, limit) }, 200)
  })
  .openapi(detail, async (c) => {
    const session = await loadSession(c, c.req.valid('param').id)
    const viewer = await resolveViewer(c, session)
    const owner = viewer.role === 'owner'
    return c.json({ success: true as const, data: { session: toSessionDto(session, owner, owner ? await photoCount(c, session.id) : undefined) } }, 200)
  })
  .openapi(update, async (c) => {
    const current = await loadOwnSession(c, c.req.valid('param').id)
    const body = c.req.valid('json')
    const startsAt = dateOrNull(body.startsAt)
    const endsAt = dateOrNull(body.endsAt)
    checkWindow(startsAt === undefined ? current.startsAt : startsAt, endsAt === undefined ? current.endsAt : endsAt)
    const newCode = body.regenerateCode ? generateCode() : body.accessCode
    const codeChanges = newCode !== undefined && newCode !== current.accessCode
    if (body.watermark && !current.watermark?.key) throw badRequest('Upload a watermark PNG first (POST /api/live/sessions/:id/watermark)')
    const [session] = await c.var.db
      .update(liveSessions)
      .set({
        title: body.title,
        description: body.description,
        coverImageId: body.coverImageId,
        startsAt,
        endsAt,
        status: body.status,
        moderation: body.moderation,
        downloadPolicy: body.downloadPolicy,
        // In SQL: two concurrent code changes never share a version.
        ...(codeChanges ? { accessCode: newCode, codeVersion: sql`${liveSessions.codeVersion} + 1` } : {}),
        ...(body.watermark !== undefined
          ? { watermark: body.watermark === null ? null : { ...current.watermark!, ...body.watermark, key: current.watermark!.key } }
          : {}),
        updatedAt: new Date(),
      })
      .where(eq(liveSessions.id, current.id))
      .returning()
    await publishToRoom(c.env, session!, [{ type: 'session.updated', data: { session: toSessionDto(session!, false) }, audience: 'all' }])
    // A new code or an ended session must end what guests already have, sockets included (a later
    // `endsAt` is enforced by the room's alarm).
    if (codeChanges || (hasEnded(session!) && !hasEnded(current))) {
      await liveRoom(c.env, session!.id)
        .revokeGuests(codeChanges ? 'The access code changed' : 'This live session has ended', roomContext(c.env, session!))
        .catch((error: unknown) => log.warn('revoking guests failed', { error: errorText(error) }))
    }
    return c.json({ success: true as const, data: { session: toSessionDto(session!, true, await photoCount(c, session!.id)) } }, 200)
  })
  .openapi(remove, async (c) => {
    const session = await loadOwnSession(c, c.req.valid('param').id)
    // Gone for everyone at once; the room closes its sockets and deletes the photos in pages
    // (a session can hold thousands), then the row. The cron sweep restarts a cleanup that stalled.
    await c.var.db.update(liveSessions).set({ deletedAt: new Date() }).where(eq(liveSessions.id, session.id))
    await startSessionCleanup(c.env, session.id)
    return c.json({ success: true as const, data: { deleted: true as const } }, 200)
  })
  .openapi(verify, async (c) => {
    const session = await loadSession(c, c.req.valid('param').id)
    if (hasEnded(session)) throw sessionEnded()
    const guest = await verifyGuest(c.env, session, c.req.valid('json'), clientIp(c.req.raw.headers))
    const token = await signViewerToken(c.env, { sessionId: session.id, guestId: guest.guestId, codeVersion: session.codeVersion }, viewerLifetime(session))
    return c.json({ success: true as const, data: { viewerToken: token.token, expiresIn: token.expiresIn, guestId: guest.guestId, session: toSessionDto(session, false) } }, 200)
  })
  .openapi(watermark, async (c) => {
    const session = await loadOwnSession(c, c.req.valid('param').id)
    if (!(c.req.header('Content-Type') ?? '').startsWith('multipart/form-data')) throw badRequest('Send multipart/form-data with a `watermark` file')
    const form = await c.req.formData().catch(() => {
      throw badRequest('Malformed multipart body')
    })
    const file = form.get('watermark')
    if (!(file instanceof File)) throw badRequest('watermark file field is required')
    if (file.size > 1024 * 1024) throw payloadTooLarge('Watermark is larger than 1 MB')
    const bytes = new Uint8Array(await file.arrayBuffer())
    if (sniffImageMime(bytes) !== 'image/png') throw unsupportedMediaType('Watermark must be a PNG')
    const info = await c.env.IMAGES.info(new Blob([bytes]).stream()).catch(() => null)
    if (!info || !('width' in info)) throw invalidImage('Watermark could not be decoded')
    const key = storageKeys.watermark(session.ownerId, session.id)
    await c.env.MEDIA.put(key, bytes, { httpMetadata: { contentType: 'image/png' } })
    const settings = { position: 'bottom-right', opacity: 0.6, scale: 0.2, ...(session.watermark ?? {}), key }
    const [updated] = await c.var.db.update(liveSessions).set({ watermark: settings, updatedAt: new Date() }).where(eq(liveSessions.id, session.id)).returning()
    // Guest derivatives made with the old watermark are stale.
    await c.var.db.update(livePhotos).set({ guestThumbKey: null, guestPreviewKey: null }).where(eq(livePhotos.sessionId, session.id))
    return c.json({ success: true as const, data: { session: toSessionDto(updated!, true) } }, 200)
  })

/** Viewer tokens end with the session when it has an end time. */
function viewerLifetime(session: LiveSession): number {
  if (!session.endsAt) return VIEWER_TOKEN_SECONDS
  const left = Math.floor((session.endsAt.getTime() - Date.now()) / 1000)
  return Math.max(60, Math.min(VIEWER_TOKEN_SECONDS, left))
}
