import type { Context } from 'hono'
import { eq } from 'drizzle-orm'
import { livePhotos, type Image, type LivePhoto, type LiveSession } from '../../db/schema'
import type { AppEnv } from '../../env'
import { notFound } from '../../lib/errors'
import { storageKeys } from '../../lib/storage-keys'
import { fitInside, PREVIEW_SIDE, THUMB_SIDE } from '../images/pipeline'
import { ensureCleanOriginal, ensurePreview } from '../images/service'
import { drawWatermark, WatermarkSchema } from '../images/watermark'
import type { PhotoVariant } from './photos'

/**
 * A guest-facing derivative with the session's watermark, made on first request and stored
 * (only photos guests actually open cost a transformation).
 */
async function ensureGuestVariant(env: Env, c: Context<AppEnv>, session: LiveSession, photo: LivePhoto, image: Image, variant: 'thumb' | 'preview') {
  const existing = variant === 'thumb' ? photo.guestThumbKey : photo.guestPreviewKey
  if (existing) return existing
  const parsed = WatermarkSchema.safeParse(session.watermark)
  if (!parsed.success) return null
  const original = await env.MEDIA.get(image.originalKey)
  if (!original) throw notFound('Photo')
  const side = variant === 'thumb' ? THUMB_SIDE : PREVIEW_SIDE
  const base = fitInside(image.width, image.height, side)
  const chain = env.IMAGES.input(original.body).transform({ width: side, height: side, fit: 'scale-down' })
  const result = await (await drawWatermark(env, chain, base, parsed.data)).output({ format: 'image/webp', quality: 82 })
  const bytes = new Uint8Array(await new Response(result.image()).arrayBuffer())
  const key = storageKeys.liveGuest(image.ownerId, image.id, variant)
  await env.MEDIA.put(key, bytes, { httpMetadata: { contentType: 'image/webp' } })
  await c.var.db
    .update(livePhotos)
    .set(variant === 'thumb' ? { guestThumbKey: key } : { guestPreviewKey: key })
    .where(eq(livePhotos.id, photo.id))
  return key
}

/** Serves a live photo variant with ETag/304 and the right caching. */
export async function serveLiveVariant(
  c: Context<AppEnv>,
  { photo, session, variant, owner }: { photo: LivePhoto; session: LiveSession; variant: PhotoVariant; owner: boolean },
) {
  const image = await c.var.db.query.images.findFirst({ where: (i, { eq }) => eq(i.id, photo.imageId) })
  if (!image) throw notFound('Photo')
  let key: string
  let download = false
  const wantsOriginal = variant === 'download' && (owner || session.downloadPolicy === 'original')
  if (wantsOriginal) {
    key = owner ? image.originalKey : await ensureCleanOriginal(c.env, c.var.db, image)
    download = true
  } else {
    const size = variant === 'thumb' ? 'thumb' : 'preview'
    download = variant === 'download'
    const guestKey = owner ? null : await ensureGuestVariant(c.env, c, session, photo, image, size)
    if (guestKey) key = guestKey
    else if (size === 'thumb') key = image.thumbKey
    else {
      await ensurePreview(c.env, c.var.db, image)
      key = image.previewKey
    }
  }
  const object = await c.env.MEDIA.get(key, { onlyIf: c.req.raw.headers })
  if (!object) throw notFound('Photo')
  const headers = new Headers()
  object.writeHttpMetadata(headers)
  headers.set('ETag', object.httpEtag)
  headers.set('Cache-Control', owner ? 'private, max-age=3600' : 'private, max-age=600')
  headers.set('X-Content-Type-Options', 'nosniff')
  const ext = (object.httpMetadata?.contentType ?? image.mime).split('/')[1]?.replace('jpeg', 'jpg') ?? 'bin'
  headers.set('Content-Disposition', `${download ? 'attachment' : 'inline'}; filename="${photo.id}${variant === 'download' ? '' : `-${variant}`}.${ext}"`)
  if (!('body' in object)) return c.body(null, 304, Object.fromEntries(headers))
  headers.set('Content-Length', String(object.size))
  return c.body(object.body, 200, Object.fromEntries(headers))
}
