import { eq, inArray, sql } from 'drizzle-orm'
import { livePhotos, liveSessions, type Image, type LivePhoto, type LiveSession } from '../../db/schema'
import type { Db } from '../../env'
import { newId } from '../../lib/ids'
import { iso } from '../../lib/openapi'
import { signResource, stableExpiry } from '../../lib/signed-urls'
import type { RoomEvent } from '../../realtime/live-room'
import type { InspectedImage } from '../images/pipeline'
import { releaseImage, storeImages } from '../images/service'

export type PhotoVariant = 'thumb' | 'preview' | 'download'

/** What a guest URL signs: the photo, the variant and the code version (a new code ends old URLs). */
export const liveResource = (photoId: string, variant: string, codeVersion: number) => `live:${photoId}:${variant}:${codeVersion}`

/** A photo as guests (or, with `owner`, the photographer) see it. Image URLs are signed. */
export async function toPhotoDto(env: Env, session: LiveSession, photo: LivePhoto, image: Image | undefined, owner: boolean) {
  const exp = stableExpiry()
  const url = async (variant: PhotoVariant) =>
    `/api/live/photos/${photo.id}/${variant}?${await signResource(env, liveResource(photo.id, variant, session.codeVersion), exp)}`
  const canDownload = owner || session.downloadPolicy !== 'none'
  return {
    id: photo.id,
    sessionId: photo.sessionId,
    seq: photo.seq,
    caption: photo.caption,
    status: photo.status,
    featured: photo.featured,
    takenAt: iso(photo.takenAt),
    width: image?.width ?? null,
    height: image?.height ?? null,
    thumbhash: image?.thumbhash ?? null,
    thumbUrl: await url('thumb'),
    previewUrl: await url('preview'),
    downloadUrl: canDownload ? await url('download') : null,
    viewCount: photo.viewCount,
    likeCount: photo.likeCount,
    createdAt: photo.createdAt.toISOString(),
    updatedAt: photo.updatedAt.toISOString(),
    ...(owner ? { imageId: photo.imageId } : {}),
  }
}

export async function photoDtos(env: Env, db: Db, session: LiveSession, photos: LivePhoto[], owner: boolean) {
  const ids = photos.map((p) => p.imageId)
  const rows = ids.length ? await db.query.images.findMany({ where: (i, { inArray }) => inArray(i.id, ids) }) : []
  const byId = new Map(rows.map((r) => [r.id, r]))
  return Promise.all(photos.map((p) => toPhotoDto(env, session, p, byId.get(p.imageId), owner)))
}

/** The owner's and the guests' view of one photo, from one image lookup. */
export async function bothDtos(env: Env, db: Db, session: LiveSession, photo: LivePhoto) {
  const image = await db.query.images.findFirst({ where: (i, { eq }) => eq(i.id, photo.imageId) })
  return Promise.all([toPhotoDto(env, session, photo, image, true), toPhotoDto(env, session, photo, image, false)])
}

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
 * The events a change of a photo means, per audience: guests only ever hear of approved photos
 * (an approval is `photo.added` for them, a hide or delete `photo.removed`).
 */
export function photoEvents(
  before: Pick<LivePhoto, 'status'> | null,
  after: (LivePhoto & { dto: unknown; guestDto: unknown }) | null,
  id: string,
): RoomEvent[] {
  const wasPublic = before?.status === 'approved'
  const isPublic = after?.status === 'approved'
  const events: RoomEvent[] = []
  if (!after) {
    events.push({ type: 'photo.removed', data: { id }, audience: wasPublic ? 'all' : 'owner' })
    return events
  }
  if (!before) {
    events.push({ type: 'photo.added', data: { photo: after.dto }, audience: 'owner' })
    if (isPublic) events.push({ type: 'photo.added', data: { photo: after.guestDto }, audience: 'guests' })
    return events
  }
  if (isPublic && !wasPublic) {
    events.push({ type: 'photo.updated', data: { photo: after.dto }, audience: 'owner' })
    events.push({ type: 'photo.added', data: { photo: after.guestDto }, audience: 'guests' })
  } else if (!isPublic && wasPublic) {
    events.push({ type: 'photo.updated', data: { photo: after.dto }, audience: 'owner' })
    events.push({ type: 'photo.removed', data: { id }, audience: 'guests' })
  } else if (isPublic) {
    // Same change for both, but the owner's copy carries owner-only fields.
    events.push({ type: 'photo.updated', data: { photo: after.dto }, audience: 'owner' })
    events.push({ type: 'photo.updated', data: { photo: after.guestDto }, audience: 'guests' })
  } else {
    events.push({ type: 'photo.updated', data: { photo: after.dto }, audience: 'owner' })
  }
  return events
}

/**
 * Deletes photos: each releases its own reference and the owner's record of the image (a photo
 * deleted from its session leaves no ghost in the owner's library); R2 goes when nothing else,
 * such as a task using it as input, still references the image.
 */
export async function deletePhotos(env: Env, db: Db, photos: LivePhoto[]) {
  if (photos.length === 0) return
  await db.delete(livePhotos).where(inArray(livePhotos.id, photos.map((p) => p.id)))
  const imageRows = await db.query.images.findMany({ where: (i, { inArray }) => inArray(i.id, photos.map((p) => p.imageId)) })
  for (const image of imageRows) await releaseImage(env, db, image, { ownerDelete: true, holders: 1 })
  const guestKeys = photos.flatMap((p) => [p.guestThumbKey, p.guestPreviewKey]).filter((k): k is string => Boolean(k))
  if (guestKeys.length) await env.MEDIA.delete(guestKeys)
}


