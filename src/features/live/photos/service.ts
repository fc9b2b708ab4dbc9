import { and, asc, desc, eq, gt, inArray, isNull, sql } from 'drizzle-orm'
import { livePhotos, liveSessions, type LivePhoto, type LiveSession } from '../../../db/schema'
import type { Db } from '../../../env'
import { inChunks } from '../../../lib/d1-chunks'
import { forbidden, notFound, sessionEnded, unauthorized } from '../../../lib/errors'
import { newId } from '../../../lib/ids'
import { pageRows } from '../../../lib/pager'
import { verifyResourceSignature } from '../../../lib/signed-urls'
import type { InspectedImage } from '../../images/pipeline'
import { finishDerivatives, releaseImage, storeImages } from '../../images/service'
import { liveRoom, publishToRoom } from '../room/service'
import { type LiveViewer, resolveViewer } from '../shared/access'
import { hasEnded } from '../shared/ended'
import { imagesById, liveResource, photoDtos } from './dto'
import { changeEvents } from './events'
import type { ListPhotosQuery, PhotoVariant } from './schemas'
import { prepareGuestVariants } from './serve'

/** Work that may finish after the response (`c.executionCtx.waitUntil` in a route). */
export type WaitUntil = (work: Promise<unknown>) => void

/**
 * Stores inspected photos in a session: images (type `live`), then photo rows numbered from the
 * session's counter. If the rows cannot be written, the images are released again.
 */
export async function addPhotos(env: Env, db: Db, session: LiveSession, inspected: InspectedImage[], captions: Array<string | null> = []) {
  // Two holders: the owner's image record and the photo (deleting either keeps the other working).
  const stored = await storeImages(env, db, session.ownerId, inspected, { type: 'live', liveSessionId: session.id, references: 2 })
  try {
    const [counter] = await db
      .update(liveSessions)
      .set({ photoSeq: sql`${liveSessions.photoSeq} + ${stored.length}`, updatedAt: new Date() })
      .where(eq(liveSessions.id, session.id))
      .returning({ photoSeq: liveSessions.photoSeq })
    const first = counter!.photoSeq - stored.length + 1
    const now = new Date()
    const status = session.moderation === 'auto' ? ('approved' as const) : ('pending' as const)
    const rows = stored.map((image, i) => ({
      id: newId('lph'),
      sessionId: session.id,
      imageId: image.id,
      seq: first + i,
      caption: captions[i] ?? null,
      status,
      featured: false,
      takenAt: image.takenAt,
      createdAt: now,
      updatedAt: now,
    }))
    const [head, ...rest] = rows.map((row) => db.insert(livePhotos).values(row))
    if (head) await db.batch([head, ...rest])
    return { photos: rows.map((r) => ({ ...r, viewCount: 0, likeCount: 0, guestThumbKey: null, guestPreviewKey: null })) as LivePhoto[], stored }
  } catch (error) {
    for (const image of stored) await releaseImage(env, db, image, { ownerDelete: true, holders: 1 })
    throw error
  }
}

/**
 * Publishes inspected photos to a session (the owner's upload, or a finished resumable upload):
 * stored, announced to the room (`photo.added`; guests only for approved ones), derivatives and
 * watermarked guest variants finished after the response. Answers the owner's view.
 */
export async function publishPhotos(env: Env, db: Db, session: LiveSession, inspected: InspectedImage[], waitUntil: WaitUntil) {
  const { photos, stored } = await addPhotos(env, db, session, inspected)
  waitUntil(finishDerivatives(env, db, stored, inspected))
  const events = (await Promise.all(photos.map((p) => changeEvents(db, null, p, p.id)))).flat()
  waitUntil(prepareGuestVariants(env, db, session, photos.filter((p) => p.status === 'approved')))
  await publishToRoom(env, session, events)
  return photoDtos(env, db, session, photos, true)
}

/**
 * Deletes photos: each releases its own reference and the owner's record of the image (a photo
 * deleted from its session leaves no ghost in the owner's library); R2 goes when nothing else,
 * such as a task using it as input, still references the image.
 */
export async function deletePhotos(env: Env, db: Db, photos: LivePhoto[]) {
  if (photos.length === 0) return
  // Only photos this call really deleted release their image: a concurrent delete of the same
  // photo (batch, single, session cleanup) must not release it twice.
  const deleted = await inChunks(db, photos.map((p) => p.id), (ids) => db.delete(livePhotos).where(inArray(livePhotos.id, ids)).returning({ imageId: livePhotos.imageId }))
  const imageRows = await imagesById(db, deleted.map((p) => p.imageId))
  for (const image of imageRows.values()) await releaseImage(env, db, image, { ownerDelete: true, holders: 1 })
  const guestKeys = photos.flatMap((p) => [p.guestThumbKey, p.guestPreviewKey]).filter((k): k is string => Boolean(k))
  if (guestKeys.length) await env.MEDIA.delete(guestKeys)
}

/** The photo and its (not deleted) session in one D1 round trip, or 404. */
export async function loadPhoto(db: Db, id: string): Promise<{ photo: LivePhoto; session: LiveSession }> {
  const [row] = await db
    .select()
    .from(livePhotos)
    .innerJoin(liveSessions, eq(livePhotos.sessionId, liveSessions.id))
    .where(and(eq(livePhotos.id, id), isNull(liveSessions.deletedAt)))
  if (!row) throw notFound('Photo')
  return { photo: row.live_photos, session: row.live_sessions }
}

/** The photo if `userId` owns its session; anyone else's is 404. */
export async function loadOwnPhoto(db: Db, id: string, userId: string) {
  const found = await loadPhoto(db, id)
  if (found.session.ownerId !== userId) throw notFound('Photo')
  return found
}

/** Guests see approved photos only; to them anything else does not exist. */
export function assertVisible(viewer: LiveViewer, photo: LivePhoto) {
  if (viewer.role !== 'owner' && photo.status !== 'approved') throw notFound('Photo')
}

/**
 * A page of a session's photos: guests see approved ones only. `after`: the feed after that seq,
 * oldest first; otherwise newest (or capture time) first with page/limit. `seq` is the room's
 * event seq, read BEFORE the photos: whatever changes after it reaches a socket resuming from it.
 */
export async function listPhotos(env: Env, db: Db, session: LiveSession, owner: boolean, q: ListPhotosQuery) {
  const status = owner ? q.status : 'approved'
  const where = and(
    eq(livePhotos.sessionId, session.id),
    status ? eq(livePhotos.status, status) : undefined,
    q.featured ? eq(livePhotos.featured, q.featured === 'true') : undefined,
    q.after !== undefined ? gt(livePhotos.seq, q.after) : undefined,
  )
  const seq = await liveRoom(env, session.id).currentSeq().catch(() => 0)
  if (q.after !== undefined) {
    const rows = await db.select().from(livePhotos).where(where).orderBy(asc(livePhotos.seq)).limit(q.limit)
    return { items: await photoDtos(env, db, session, rows, owner), nextAfter: rows.at(-1)?.seq ?? q.after, seq }
  }
  const order = q.sort === 'taken' ? [sql`${livePhotos.takenAt} IS NULL`, desc(livePhotos.takenAt), desc(livePhotos.seq)] : [desc(livePhotos.seq)]
  const { rows, total } = await pageRows(db, livePhotos, where, order, q)
  const totalPages = Math.max(1, Math.ceil(total / q.limit))
  return {
    items: await photoDtos(env, db, session, rows, owner),
    nextAfter: session.photoSeq,
    seq,
    pagination: { page: q.page, limit: q.limit, total, totalPages, hasNext: q.page < totalPages, hasPrev: q.page > 1 },
  }
}

/** Counts a guest's view once (the trigger on live_photo_views counts inserted rows only); answers the count. */
export async function countView(env: Env, photo: LivePhoto, guestId: string): Promise<number> {
  const [, counted] = await env.DB.batch<{ viewCount: number }>([
    env.DB.prepare('INSERT INTO live_photo_views (photo_id, guest_id, created_at) VALUES (?1, ?2, ?3) ON CONFLICT DO NOTHING').bind(photo.id, guestId, Date.now()),
    env.DB.prepare('SELECT view_count AS viewCount FROM live_photos WHERE id = ?1').bind(photo.id),
  ])
  return counted?.results[0]?.viewCount ?? photo.viewCount
}

/** A guest likes a photo once (a guest is a device); answers the like count. */
export async function likePhoto(env: Env, viewer: LiveViewer, photo: LivePhoto): Promise<number> {
  if (viewer.role !== 'guest' || !viewer.guestId) throw unauthorized('Likes need a viewer token: POST /api/live/sessions/:id/verify first')
  const [, counted] = await env.DB.batch<{ likeCount: number }>([
    env.DB.prepare('INSERT INTO live_photo_likes (photo_id, guest_id, created_at) VALUES (?1, ?2, ?3) ON CONFLICT DO NOTHING').bind(photo.id, viewer.guestId, Date.now()),
    env.DB.prepare('SELECT like_count AS likeCount FROM live_photos WHERE id = ?1').bind(photo.id),
  ])
  return counted?.results[0]?.likeCount ?? 0
}

/**
 * Who asks for a variant's bytes. A signed URL proves the holder was allowed to see this session
 * (a token, if any, may still make them the owner); the session's state still applies. Without
 * a valid signature: a token, or an open session. Guests of `none` downloads: 403.
 */
export async function variantViewer(
  env: Env,
  { photo, session, variant }: { photo: LivePhoto; session: LiveSession; variant: PhotoVariant },
  { exp, sig, token }: { exp: string | undefined; sig: string | undefined; token: string | null },
): Promise<LiveViewer> {
  let viewer: LiveViewer
  if (await verifyResourceSignature(env, liveResource(photo.id, variant, session.codeVersion), exp, sig)) {
    viewer = token ? await resolveViewer(env, session, token).catch(() => ({ role: 'guest' as const, guestId: null })) : { role: 'guest', guestId: null }
    if (viewer.role === 'guest' && hasEnded(session)) throw sessionEnded()
  } else {
    viewer = await resolveViewer(env, session, token)
  }
  assertVisible(viewer, photo)
  if (variant === 'download' && viewer.role === 'guest' && session.downloadPolicy === 'none') {
    throw forbidden('The photographer does not allow downloads in this session')
  }
  return viewer
}
