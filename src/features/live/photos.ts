import { eq, inArray, sql } from 'drizzle-orm'
import { livePhotos, liveSessions, type Image, type LivePhoto, type LiveSession } from '../../db/schema'
import type { Db } from '../../env'
import { inChunks } from '../../lib/d1-chunks'
import { newId } from '../../lib/ids'
import { iso } from '../../lib/openapi'
import { signResource, stableExpiry } from '../../lib/signed-urls'
import type { RoomEvent } from '../../realtime/live-room'
import type { InspectedImage } from '../images/pipeline'
import { releaseImage, storeImages } from '../images/service'

export type PhotoVariant = 'thumb' | 'preview' | 'download'

/** What a guest URL signs: the photo, the variant and the code version (a new code ends old URLs). */
export const liveResource = (photoId: string, variant: string, codeVersion: number) => `live:${photoId}:${variant}:${codeVersion}`

/** What delivering a photo needs to know about its session, at the moment it is delivered. */
export interface UrlContext {
  codeVersion: number
  downloadPolicy: LiveSession['downloadPolicy']
}

/**
 * A photo as guests (or, with `owner`, the photographer) see it, without image URLs: events are
 * stored like this and get their URLs when they are delivered (`withUrls`), so a replayed event
 * never carries a URL signed for an old code or an expired window.
 */
export function bareDto(photo: LivePhoto, image: Pick<Image, 'width' | 'height' | 'thumbhash'> | undefined, owner: boolean) {
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
    viewCount: photo.viewCount,
    likeCount: photo.likeCount,
    createdAt: photo.createdAt.toISOString(),
    updatedAt: photo.updatedAt.toISOString(),
    ...(owner ? { imageId: photo.imageId } : {}),
  }
}
export type BarePhoto = ReturnType<typeof bareDto>

const signatures = new Map<string, string>()

/** Signed variant URL; signatures are memoised per isolate (the expiry is stable for hours). */
async function variantUrl(env: Env, photoId: string, variant: PhotoVariant, codeVersion: number, exp: number) {
  const resource = liveResource(photoId, variant, codeVersion)
  const memo = `${resource}:${exp}`
  let query = signatures.get(memo)
  if (!query) {
    query = await signResource(env, resource, exp)
    if (signatures.size > 50_000) signatures.clear()
    signatures.set(memo, query)
  }
  return `/api/live/photos/${photoId}/${variant}?${query}`
}

/** The photo with its image URLs, signed now for the session's current code and policy. */
export async function withUrls<T extends { id: string }>(env: Env, photo: T, context: UrlContext, owner: boolean) {
  const exp = stableExpiry()
  const canDownload = owner || context.downloadPolicy !== 'none'
  const [thumbUrl, previewUrl, downloadUrl] = await Promise.all([
    variantUrl(env, photo.id, 'thumb', context.codeVersion, exp),
    variantUrl(env, photo.id, 'preview', context.codeVersion, exp),
    canDownload ? variantUrl(env, photo.id, 'download', context.codeVersion, exp) : null,
  ])
  return { ...photo, thumbUrl, previewUrl, downloadUrl }
}

/** A photo as guests (or, with `owner`, the photographer) see it. Image URLs are signed. */
export async function toPhotoDto(env: Env, session: LiveSession, photo: LivePhoto, image: Image | undefined, owner: boolean) {
  return withUrls(env, bareDto(photo, image, owner), session, owner)
}

export async function photoDtos(env: Env, db: Db, session: LiveSession, photos: LivePhoto[], owner: boolean) {
  const byId = await imagesById(db, photos.map((p) => p.imageId))
  return Promise.all(photos.map((p) => toPhotoDto(env, session, p, byId.get(p.imageId), owner)))
}

/** Image rows by id, in chunks under D1's 100-parameter limit. */
export async function imagesById(db: Db, ids: string[]): Promise<Map<string, Image>> {
  const rows = await inChunks(db, ids, (part) => db.query.images.findMany({ where: (i, { inArray }) => inArray(i.id, part) }))
  return new Map(rows.map((r) => [r.id, r]))
}

/** The owner's and the guests' view of one photo (no URLs: the room adds them on delivery). */
export async function bothDtos(db: Db, photo: LivePhoto) {
  const image = await db.query.images.findFirst({ where: (i, { eq }) => eq(i.id, photo.imageId), columns: { width: true, height: true, thumbhash: true } })
  return [bareDto(photo, image, true), bareDto(photo, image, false)] as const
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
  // Only photos this call really deleted release their image: a concurrent delete of the same
  // photo (batch, single, session cleanup) must not release it twice.
  const deleted = await inChunks(db, photos.map((p) => p.id), (ids) => db.delete(livePhotos).where(inArray(livePhotos.id, ids)).returning({ imageId: livePhotos.imageId }))
  const imageRows = await imagesById(db, deleted.map((p) => p.imageId))
  for (const image of imageRows.values()) await releaseImage(env, db, image, { ownerDelete: true, holders: 1 })
  const guestKeys = photos.flatMap((p) => [p.guestThumbKey, p.guestPreviewKey]).filter((k): k is string => Boolean(k))
  if (guestKeys.length) await env.MEDIA.delete(guestKeys)
}


