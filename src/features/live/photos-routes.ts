import { createRoute, z } from '@hono/zod-openapi'
import { and, asc, desc, eq, gt, inArray, isNull, sql } from 'drizzle-orm'
import type { Context } from 'hono'
import { LIVE_PHOTO_STATUSES, livePhotos, liveSessions, type LivePhoto, type LiveSession } from '../../db/schema'
import type { AppEnv, Db } from '../../env'
import { requireAuth } from '../../lib/auth'
import { inChunks } from '../../lib/d1-chunks'
import { forbidden, notFound, sessionEnded, unauthorized } from '../../lib/errors'
import { bearerAuth, createRouter, errors, jsonBody, ok } from '../../lib/openapi'
import { verifyResourceSignature } from '../../lib/signed-urls'
import { finishDerivatives } from '../images/service'
import { inspectAll, parseUpload } from '../images/upload'
import { type LiveViewer, loadOwnSession, loadSession, presentedToken, resolveViewer } from './access'
import { liveRoom, publishToRoom } from './events'
import { addPhotos, bareDto, bothDtos, deletePhotos, imagesById, liveResource, photoDtos, photoEvents, type PhotoVariant, toPhotoDto } from './photos'
import { PhotoSchema } from './schemas'
import { prepareGuestVariants, serveLiveVariant } from './serve'
import { pageRows } from '../../lib/pager'

const tags = ['Live photos']
const auth = { security: bearerAuth, middleware: [requireAuth] }
const Id = z.object({ id: z.string().max(64) })

const upload = createRoute({
  method: 'post', path: '/sessions/{id}/photos', tags, ...auth, summary: 'Upload photos to a live session',
  description:
    'Owner only. Multipart `photo` (one) or `photos` (up to 20), same checks and derivatives as /api/images/upload (all or nothing). ' +
    '`auto` moderation publishes at once (`photo.added` to everyone); `manual` holds them as pending (only the owner hears of them). ' +
    'For big files on venue networks use the resumable uploads under /uploads.',
  request: { params: Id, body: { required: true, content: { 'multipart/form-data': { schema: { type: 'object', properties: { photo: { type: 'string', format: 'binary' }, photos: { type: 'array', items: { type: 'string', format: 'binary' } } } } } } } },
  responses: { 201: ok(z.object({ photos: z.array(PhotoSchema) }), 'Stored'), ...errors(400, 401, 404, 413, 415, 422) },
})

const list = createRoute({
  method: 'get', path: '/sessions/{id}/photos', tags, summary: 'Photos of a live session',
  description:
    'Guests see approved photos only. With `after=<seq>`: photos uploaded after that seq, oldest first (a live feed; follow `nextAfter`). ' +
    'Without: `sort=newest` (default) or `taken` (capture time) with `page`/`limit`; `nextAfter` is then the newest seq, to follow from. ' +
    'The owner may filter by `status`.',
  request: {
    params: Id,
    query: z.object({
      after: z.coerce.number().int().min(0).optional(),
      sort: z.enum(['newest', 'taken']).default('newest'),
      page: z.coerce.number().int().min(1).default(1),
      limit: z.coerce.number().int().min(1).max(100).default(50),
      status: z.enum(LIVE_PHOTO_STATUSES).optional(),
      featured: z.enum(['true', 'false']).optional(),
      token: z.string().optional(),
    }),
  },
  responses: {
    200: ok(
      z.object({
        items: z.array(PhotoSchema),
        nextAfter: z.number().int(),
        seq: z.number().int().openapi({ description: 'The live event seq when this list was read: open the WebSocket with `after=<seq>` to get exactly what changed since' }),
        pagination: z.record(z.string(), z.unknown()).optional(),
      }),
      'Photos',
    ),
    ...errors(400, 401, 404, 410),
  },
})

const detail = createRoute({
  method: 'get', path: '/photos/{id}', tags, summary: 'One photo (counts a guest view)',
  request: { params: Id, query: z.object({ token: z.string().optional() }) },
  responses: { 200: ok(z.object({ photo: PhotoSchema }), 'Photo'), ...errors(401, 404, 410) },
})

const PhotoUpdate = z
  .object({
    caption: z.string().trim().max(500).nullable().optional(),
    status: z.enum(LIVE_PHOTO_STATUSES).optional(),
    featured: z.boolean().optional(),
  })
  .refine((b) => Object.values(b).some((v) => v !== undefined), { message: 'Nothing to update' })
  .openapi('LivePhotoUpdate')

const update = createRoute({
  method: 'put', path: '/photos/{id}', tags, ...auth, summary: 'Moderate or caption a photo',
  request: { params: Id, body: jsonBody(PhotoUpdate) },
  responses: { 200: ok(z.object({ photo: PhotoSchema }), 'Updated'), ...errors(400, 401, 404) },
})

const remove = createRoute({
  method: 'delete', path: '/photos/{id}', tags, ...auth, summary: 'Delete a photo', request: { params: Id },
  responses: { 200: ok(z.object({ deleted: z.literal(true) }), 'Deleted'), ...errors(401, 404) },
})

const batch = createRoute({
  method: 'post', path: '/photos/batch', tags, ...auth, summary: 'Moderate many photos',
  description: 'Owner only; every id must be a photo of one of your sessions (else 404 and nothing changes). Guests receive the resulting events in one frame.',
  request: { body: jsonBody(z.object({ ids: z.array(z.string().max(64)).min(1).max(100), action: z.enum(['approve', 'hide', 'delete', 'feature', 'unfeature']) }).openapi('LivePhotoBatch')) },
  responses: { 200: ok(z.object({ updated: z.number().int(), photos: z.array(PhotoSchema) }), 'Done'), ...errors(400, 401, 404) },
})

const like = createRoute({
  method: 'post', path: '/photos/{id}/like', tags, summary: 'Like a photo (once per guest)',
  description: 'Needs a viewer token (verify first, also for open sessions). Liking twice keeps one like.',
  request: { params: Id, query: z.object({ token: z.string().optional() }) },
  responses: { 200: ok(z.object({ liked: z.literal(true), likeCount: z.number().int() }), 'Liked'), ...errors(401, 404, 410) },
})

const variant = createRoute({
  method: 'get', path: '/photos/{id}/{variant}', tags, summary: 'Photo bytes for guests',
  description:
    '`thumb` and `preview` (watermarked for guests when the session has a watermark), `download` per the download policy ' +
    '(none: 403; preview: the guest preview; original: the original without metadata). Signed URLs from the photo, a viewer token, or the owner.',
  request: { params: Id.extend({ variant: z.enum(['thumb', 'preview', 'download']) }), query: z.object({ exp: z.string().optional(), sig: z.string().optional(), token: z.string().optional() }) },
  responses: { 200: { description: 'Image bytes', content: { 'image/*': { schema: { type: 'string', format: 'binary' } } } }, 304: { description: 'Not modified' }, ...errors(401, 403, 404, 410) },
})

/** The photo and its session in one D1 round trip. */
async function loadPhoto(c: Context<AppEnv>, id: string): Promise<{ photo: LivePhoto; session: LiveSession }> {
  const [row] = await c.var.db.select().from(livePhotos).innerJoin(liveSessions, eq(livePhotos.sessionId, liveSessions.id)).where(and(eq(livePhotos.id, id), isNull(liveSessions.deletedAt)))
  if (!row) throw notFound('Photo')
  return { photo: row.live_photos, session: row.live_sessions }
}

/** Guests see approved photos only; to them anything else does not exist. */
function assertVisible(viewer: LiveViewer, photo: LivePhoto) {
  if (viewer.role !== 'owner' && photo.status !== 'approved') throw notFound('Photo')
}

async function eventsFor(db: Db, before: LivePhoto | null, after: LivePhoto | null, id: string) {
  if (!after) return photoEvents(before, null, id)
  const [dto, guestDto] = await bothDtos(db, after)
  return photoEvents(before, { ...after, dto, guestDto }, id)
}

export const livePhotoRoutes = createRouter()
  .openapi(upload, async (c) => {
    const session = await loadOwnSession(c, c.req.valid('param').id)
    const { files } = await parseUpload(c.env, c.req.raw, ['photo', 'photos', 'photos[]'])
    const inspected = await inspectAll(c.env, files)
    const { photos, stored } = await addPhotos(c.env, c.var.db, session, inspected)
    c.executionCtx.waitUntil(finishDerivatives(c.env, c.var.db, stored, inspected))
    const events = (await Promise.all(photos.map((p) => eventsFor(c.var.db, null, p, p.id)))).flat()
    c.executionCtx.waitUntil(prepareGuestVariants(c.env, c.var.db, session, photos.filter((p) => p.status === 'approved')))
    await publishToRoom(c.env, session, events)
    const dtos = await photoDtos(c.env, c.var.db, session, photos, true)
    return c.json({ success: true as const, data: { photos: dtos } }, 201)
  })
  .openapi(list, async (c) => {
    const session = await loadSession(c, c.req.valid('param').id)
    const viewer = await resolveViewer(c, session)
    const q = c.req.valid('query')
    const owner = viewer.role === 'owner'
    const status = owner ? q.status : 'approved'
    const where = and(
      eq(livePhotos.sessionId, session.id),
      status ? eq(livePhotos.status, status) : undefined,
      q.featured ? eq(livePhotos.featured, q.featured === 'true') : undefined,
      q.after !== undefined ? gt(livePhotos.seq, q.after) : undefined,
    )
    const db = c.var.db
    // Read before the photos: whatever changes after this seq reaches the socket that resumes from it.
    const seq = await liveRoom(c.env, session.id).currentSeq().catch(() => 0)
    if (q.after !== undefined) {
      const rows = await db.select().from(livePhotos).where(where).orderBy(asc(livePhotos.seq)).limit(q.limit)
      const items = await photoDtos(c.env, db, session, rows, owner)
      return c.json({ success: true as const, data: { items, nextAfter: rows.at(-1)?.seq ?? q.after, seq } }, 200)
    }
    const order = q.sort === 'taken' ? [sql`${livePhotos.takenAt} IS NULL`, desc(livePhotos.takenAt), desc(livePhotos.seq)] : [desc(livePhotos.seq)]
    const { rows, total: n } = await pageRows(db, livePhotos, where, order, q)
    const items = await photoDtos(c.env, db, session, rows, owner)
    const totalPages = Math.max(1, Math.ceil(n / q.limit))
    return c.json({
      success: true as const,
      data: {
        items,
        nextAfter: session.photoSeq,
        seq,
        pagination: { page: q.page, limit: q.limit, total: n, totalPages, hasNext: q.page < totalPages, hasPrev: q.page > 1 },
      },
    }, 200)
  })
  .openapi(detail, async (c) => {
    const { photo, session } = await loadPhoto(c, c.req.valid('param').id)
    const viewer = await resolveViewer(c, session)
    assertVisible(viewer, photo)
    if (viewer.role === 'guest' && viewer.guestId) {
      // Once per guest: the trigger on live_photo_views counts only rows actually inserted.
      const [, counted] = await c.env.DB.batch<{ viewCount: number }>([
        c.env.DB.prepare('INSERT INTO live_photo_views (photo_id, guest_id, created_at) VALUES (?1, ?2, ?3) ON CONFLICT DO NOTHING').bind(photo.id, viewer.guestId, Date.now()),
        c.env.DB.prepare('SELECT view_count AS viewCount FROM live_photos WHERE id = ?1').bind(photo.id),
      ])
      photo.viewCount = counted?.results[0]?.viewCount ?? photo.viewCount
    }
    const [dto] = await photoDtos(c.env, c.var.db, session, [photo], viewer.role === 'owner')
    return c.json({ success: true as const, data: { photo: dto! } }, 200)
  })
  .openapi(update, async (c) => {
    const { photo, session } = await loadPhoto(c, c.req.valid('param').id)
    if (session.ownerId !== c.var.user.id) throw notFound('Photo')
    const body = c.req.valid('json')
    const [after] = await c.var.db
      .update(livePhotos)
      .set({ caption: body.caption, status: body.status, featured: body.featured, updatedAt: new Date() })
      .where(eq(livePhotos.id, photo.id))
      .returning()
    if (after!.status === 'approved' && photo.status !== 'approved') c.executionCtx.waitUntil(prepareGuestVariants(c.env, c.var.db, session, [after!]))
    await publishToRoom(c.env, session, await eventsFor(c.var.db, photo, after!, photo.id))
    const [dto] = await photoDtos(c.env, c.var.db, session, [after!], true)
    return c.json({ success: true as const, data: { photo: dto! } }, 200)
  })
  .openapi(remove, async (c) => {
    const { photo, session } = await loadPhoto(c, c.req.valid('param').id)
    if (session.ownerId !== c.var.user.id) throw notFound('Photo')
    await deletePhotos(c.env, c.var.db, [photo])
    await publishToRoom(c.env, session, photoEvents(photo, null, photo.id))
    return c.json({ success: true as const, data: { deleted: true as const } }, 200)
  })
  .openapi(batch, async (c) => {
    const { ids, action } = c.req.valid('json')
    const unique = [...new Set(ids)]
    const db = c.var.db
    // D1 binds at most 100 parameters: every IN list goes in chunks.
    const photos = await inChunks(db, unique, (part) => db.select().from(livePhotos).where(inArray(livePhotos.id, part)))
    const sessionIds = [...new Set(photos.map((p) => p.sessionId))]
    const sessions = await inChunks(db, sessionIds, (part) => db.query.liveSessions.findMany({ where: (s, { and, eq, inArray, isNull }) => and(inArray(s.id, part), eq(s.ownerId, c.var.user.id), isNull(s.deletedAt)) }))
    const owned = photos.filter((p) => sessions.some((s) => s.id === p.sessionId))
    if (owned.length !== unique.length) {
      const missing = unique.filter((id) => !owned.some((p) => p.id === id))
      throw notFound(`Photo ${missing.slice(0, 5).join(', ')}`, { missing })
    }
    if (action === 'delete') {
      await deletePhotos(c.env, db, owned)
      for (const session of sessions) {
        await publishToRoom(c.env, session, owned.filter((p) => p.sessionId === session.id).flatMap((p) => photoEvents(p, null, p.id)))
      }
      return c.json({ success: true as const, data: { updated: owned.length, photos: [] } }, 200)
    }
    const set =
      action === 'approve' ? { status: 'approved' as const } : action === 'hide' ? { status: 'hidden' as const } : { featured: action === 'feature' }
    const now = new Date()
    const updated = await inChunks(db, unique, (part) => db.update(livePhotos).set({ ...set, updatedAt: now }).where(inArray(livePhotos.id, part)).returning())
    const images = await imagesById(db, updated.map((p) => p.imageId))
    const dtos = []
    for (const session of sessions) {
      const mine = updated.filter((p) => p.sessionId === session.id)
      const events = mine.flatMap((p) => {
        const image = images.get(p.imageId)
        return photoEvents(owned.find((o) => o.id === p.id)!, { ...p, dto: bareDto(p, image, true), guestDto: bareDto(p, image, false) }, p.id)
      })
      if (set.status === 'approved') c.executionCtx.waitUntil(prepareGuestVariants(c.env, db, session, mine.filter((p) => p.status === 'approved')))
      await publishToRoom(c.env, session, events)
      dtos.push(...(await Promise.all(mine.map((p) => toPhotoDto(c.env, session, p, images.get(p.imageId), true)))))
    }
    return c.json({ success: true as const, data: { updated: updated.length, photos: dtos } }, 200)
  })
  .openapi(like, async (c) => {
    const { photo, session } = await loadPhoto(c, c.req.valid('param').id)
    const viewer = await resolveViewer(c, session)
    assertVisible(viewer, photo)
    if (viewer.role !== 'guest' || !viewer.guestId) throw unauthorized('Likes need a viewer token: POST /api/live/sessions/:id/verify first')
    // Once per guest (a guest is a device): the trigger on live_photo_likes counts inserted rows only.
    const [, counted] = await c.env.DB.batch<{ likeCount: number }>([
      c.env.DB.prepare('INSERT INTO live_photo_likes (photo_id, guest_id, created_at) VALUES (?1, ?2, ?3) ON CONFLICT DO NOTHING').bind(photo.id, viewer.guestId, Date.now()),
      c.env.DB.prepare('SELECT like_count AS likeCount FROM live_photos WHERE id = ?1').bind(photo.id),
    ])
    return c.json({ success: true as const, data: { liked: true as const, likeCount: counted?.results[0]?.likeCount ?? 0 } }, 200)
  })
  .openapi(variant, async (c) => {
    const { id, variant: name } = c.req.valid('param')
    const { photo, session } = await loadPhoto(c, id)
    const q = c.req.valid('query')
    let viewer: LiveViewer
    if (await verifyResourceSignature(c.env, liveResource(photo.id, name, session.codeVersion), q.exp, q.sig)) {
      // A signed URL proves the holder was allowed to see this session; state still applies.
      const token = presentedToken(c)
      viewer = token ? await resolveViewer(c, session, token).catch(() => ({ role: 'guest' as const, guestId: null })) : { role: 'guest', guestId: null }
      if (viewer.role === 'guest' && (session.status === 'ended' || (session.endsAt && session.endsAt.getTime() <= Date.now()))) {
        throw sessionEnded()
      }
    } else {
      viewer = await resolveViewer(c, session)
    }
    assertVisible(viewer, photo)
    if (name === 'download' && viewer.role === 'guest' && session.downloadPolicy === 'none') {
      throw forbidden('The photographer does not allow downloads in this session')
    }
    return serveLiveVariant(c, { photo, session, variant: name as PhotoVariant, owner: viewer.role === 'owner' })
  })

