import { eq } from 'drizzle-orm'
import { livePhotos, type Image, type LivePhoto, type LiveSession } from '../../../db/schema'
import type { Db } from '../../../env'
import { notFound } from '../../../lib/errors'
import { respondWithObject } from '../../../lib/r2-response'
import { storageKeys } from '../../../lib/storage-keys'
import { fitInside, PREVIEW_SIDE, THUMB_SIDE } from '../../images/pipeline'
import { ensureCleanOriginal, ensurePreview } from '../../images/service'
import { drawWatermark, type Watermark, WatermarkSchema } from '../../images/watermark'
import { imagesById } from './dto'
import type { PhotoVariant } from './schemas'
import { errorText, log } from '../../../lib/logger'

/** Renders in flight in this isolate, by photo and variant: concurrent guests share one. */
const rendering = new Map<string, Promise<string | null>>()

/**
 * A guest-facing derivative with the session's watermark, made once and stored: at approval
 * (`prepareGuestVariants`), or on first request, single-flight per photo and variant.
 */
async function ensureGuestVariant(env: Env, db: Db, session: LiveSession, photo: LivePhoto, image: Image, variant: 'thumb' | 'preview') {
  const existing = variant === 'thumb' ? photo.guestThumbKey : photo.guestPreviewKey
  if (existing) return existing
  const parsed = WatermarkSchema.safeParse(session.watermark)
  if (!parsed.success) return null
  const flight = `${photo.id}:${variant}`
  let render = rendering.get(flight)
  if (!render) {
    render = renderGuestVariant(env, db, photo, image, variant, parsed.data).finally(() => rendering.delete(flight))
    rendering.set(flight, render)
  }
  return render
}

async function renderGuestVariant(env: Env, db: Db, photo: LivePhoto, image: Image, variant: 'thumb' | 'preview', watermark: Watermark) {
  const original = await env.MEDIA.get(image.originalKey)
  if (!original) throw notFound('Photo')
  const side = variant === 'thumb' ? THUMB_SIDE : PREVIEW_SIDE
  const base = fitInside(image.width, image.height, side)
  const chain = env.IMAGES.input(original.body).transform({ width: side, height: side, fit: 'scale-down' })
  const result = await (await drawWatermark(env, chain, base, watermark)).output({ format: 'image/webp', quality: 82 })
  const bytes = new Uint8Array(await new Response(result.image()).arrayBuffer())
  const key = storageKeys.liveGuest(image.ownerId, image.id, variant)
  await env.MEDIA.put(key, bytes, { httpMetadata: { contentType: 'image/webp' } })
  await db
    .update(livePhotos)
    .set(variant === 'thumb' ? { guestThumbKey: key } : { guestPreviewKey: key })
    .where(eq(livePhotos.id, photo.id))
  return key
}

/**
 * Renders the watermarked guest thumb and preview of photos guests are about to see (run in
 * `waitUntil` when photos are approved), so a room full of guests does not each trigger one.
 */
export async function prepareGuestVariants(env: Env, db: Db, session: LiveSession, photos: LivePhoto[]) {
  if (photos.length === 0 || !WatermarkSchema.safeParse(session.watermark).success) return
  const images = await imagesById(db, photos.map((p) => p.imageId))
  for (const photo of photos) {
    const image = images.get(photo.imageId)
    if (!image) continue
    for (const variant of ['thumb', 'preview'] as const) {
      await ensureGuestVariant(env, db, session, photo, image, variant).catch((error: unknown) =>
        log.warn('guest variant not prepared', { photoId: photo.id, error: errorText(error) }),
      )
    }
  }
}

/** Serves a live photo variant with ETag/304 and the right caching. */
export async function serveLiveVariant(
  env: Env,
  db: Db,
  request: Request,
  { photo, session, variant, owner }: { photo: LivePhoto; session: LiveSession; variant: PhotoVariant; owner: boolean },
) {
  const image = await db.query.images.findFirst({ where: (i, { eq }) => eq(i.id, photo.imageId) })
  if (!image) throw notFound('Photo')
  let key: string
  let download = false
  const wantsOriginal = variant === 'download' && (owner || session.downloadPolicy === 'original')
  if (wantsOriginal) {
    key = owner ? image.originalKey : await ensureCleanOriginal(env, db, image)
    download = true
  } else {
    const size = variant === 'thumb' ? 'thumb' : 'preview'
    download = variant === 'download'
    const guestKey = owner ? null : await ensureGuestVariant(env, db, session, photo, image, size)
    if (guestKey) key = guestKey
    else if (size === 'thumb') key = image.thumbKey
    else {
      await ensurePreview(env, db, image)
      key = image.previewKey
    }
  }
  return respondWithObject(env.MEDIA, key, {
    request,
    cacheControl: owner ? 'private, max-age=3600' : 'private, max-age=600',
    filename: { base: `${photo.id}${variant === 'download' ? '' : `-${variant}`}`, download },
    fallbackType: image.mime,
    missing: () => notFound('Photo'),
  })
}
