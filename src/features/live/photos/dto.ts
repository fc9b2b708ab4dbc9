import type { Image, LivePhoto, LiveSession } from '../../../db/schema'
import type { Db } from '../../../env'
import { inChunks } from '../../../lib/d1-chunks'
import { iso } from '../../../lib/openapi'
import { signResource, stableExpiry } from '../../../lib/signed-urls'
import type { LivePhotoDto, PhotoVariant } from './schemas'

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
export async function toPhotoDto(env: Env, session: LiveSession, photo: LivePhoto, image: Image | undefined, owner: boolean): Promise<LivePhotoDto> {
  return withUrls(env, bareDto(photo, image, owner), session, owner)
}

export async function photoDtos(env: Env, db: Db, session: LiveSession, photos: LivePhoto[], owner: boolean): Promise<LivePhotoDto[]> {
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
