import { and, desc, eq, isNull, sql } from 'drizzle-orm'
import { images, type Image } from '../../db/schema'
import type { Db } from '../../env'
import { EXTENSION_BY_MIME, type ImageMime } from '../../lib/media'
import { iso } from '../../lib/openapi'
import { stableExpiry, signResource } from '../../lib/signed-urls'
import { newId } from '../../lib/ids'
import { storageKeys } from '../../lib/storage-keys'
import { invalidImage } from '../../lib/errors'
import { stripMetadata } from '../../lib/strip-metadata'
import { type InspectedImage, renderPreview } from './pipeline'
import type { Variant } from './schemas'
import { errorText, log } from '../../lib/logger'
import { pageRows } from '../../lib/pager'

export type ImageType = Image['type']

export interface ImageContext {
  type: ImageType
  sessionId?: string | null
  liveSessionId?: string | null
  taskId?: string | null
  visibility?: 'private' | 'public'
  /** Holders at creation: the owner's own record, plus one for a live photo that shows it. */
  references?: number
}

/**
 * Stores inspected images: originals and thumbs to R2, then every row in one D1 batch. If any
 * step fails, the R2 objects already written are deleted, so nothing is left half-stored.
 */
export async function storeImages(
  env: Env,
  db: Db,
  ownerId: string,
  inspected: InspectedImage[],
  context: ImageContext,
): Promise<Image[]> {
  const now = new Date()
  const rows = inspected.map((img) => {
    const id = newId('img')
    return {
      id,
      ownerId,
      type: context.type,
      visibility: context.visibility ?? 'private',
      sessionId: context.sessionId ?? null,
      liveSessionId: context.liveSessionId ?? null,
      taskId: context.taskId ?? null,
      filename: img.filename,
      mime: img.mime,
      width: img.width,
      height: img.height,
      bytes: img.original.size,
      sha256: img.sha256,
      exif: img.exif.exif ? { ...img.exif.exif } : null,
      gps: img.exif.gps,
      takenAt: img.exif.exif?.takenAt ? new Date(img.exif.exif.takenAt) : null,
      thumbhash: img.thumbhash,
      originalKey: storageKeys.image(ownerId, id, 'original', EXTENSION_BY_MIME[img.mime]),
      thumbKey: storageKeys.image(ownerId, id, 'thumb', 'webp'),
      previewKey: storageKeys.image(ownerId, id, 'preview', 'webp'),
      previewReady: false,
      refCount: context.references ?? 1,
      createdAt: now,
      updatedAt: now,
    } satisfies typeof images.$inferInsert
  })

  const written: string[] = []
  try {
    await Promise.all(
      rows.flatMap((row, i) => [
        env.MEDIA.put(row.originalKey, inspected[i]!.original, {
          httpMetadata: { contentType: row.mime },
          sha256: row.sha256,
        }).then(() => written.push(row.originalKey)),
        env.MEDIA.put(row.thumbKey, inspected[i]!.thumb, {
          httpMetadata: { contentType: 'image/webp' },
        }).then(() => written.push(row.thumbKey)),
      ]),
    )
    // One statement per row keeps each under D1's 100 bound parameters.
    const [first, ...rest] = rows.map((row) => db.insert(images).values(row))
    if (first) await db.batch([first, ...rest])
  } catch (error) {
    await env.MEDIA.delete(written)
    throw error
  }
  return rows.map((row) => ({ ...row, cleanOriginalKey: null, deletedAt: null }) as Image)
}

/** Makes (or takes the already started rendering) and stores the preview. Idempotent. */
export async function ensurePreview(env: Env, db: Db, image: Image, rendering?: Promise<Uint8Array>): Promise<void> {
  if (image.previewReady) return
  let preview: Uint8Array
  if (rendering) preview = await rendering
  else {
    const source = (await env.MEDIA.get(image.originalKey))?.body
    if (!source) throw new Error(`original missing for ${image.id}`)
    preview = await renderPreview(env, source)
  }
  await env.MEDIA.put(image.previewKey, preview, { httpMetadata: { contentType: 'image/webp' } })
  const marked = await db
    .update(images)
    .set({ previewReady: true, updatedAt: new Date() })
    .where(eq(images.id, image.id))
    .returning({ id: images.id })
  // Deleted while the preview was rendering: do not leave the file behind.
  if (marked.length === 0) await env.MEDIA.delete(image.previewKey)
  image.previewReady = true
}

/** Background derivative work after an upload answered; failures are logged, served lazily. */
export async function finishDerivatives(env: Env, db: Db, stored: Image[], inspected: InspectedImage[]) {
  await Promise.all(
    stored.map(async (image, i) => {
      try {
        await ensurePreview(env, db, image, inspected[i]!.preview)
      } catch (error) {
        log.error('preview failed', { imageId: image.id, error: errorText(error) })
      }
    }),
  )
}

/**
 * The original as anyone but its owner may see it: no EXIF/GPS, XMP, IPTC, MPF, JUMBF/C2PA or
 * comments, nothing after the end of the image. JPEG, PNG, WebP and GIF are cleaned losslessly by
 * whitelist; other formats (AVIF, HEIC) and files the parsers refuse are re-encoded at full size
 * once, and the re-encoded bytes go through the same whitelist, so nothing unparsed is ever
 * served (fail closed). Stored next to the original on first need.
 */
export async function ensureCleanOriginal(env: Env, db: Db, image: Image): Promise<string> {
  if (image.cleanOriginalKey) return image.cleanOriginalKey
  // Single-flight per image in this isolate: a room of guests downloading one original at once
  // holds one copy of it in memory, not one per request.
  let flight = cleaning.get(image.id)
  if (!flight) {
    flight = makeCleanOriginal(env, db, image).finally(() => cleaning.delete(image.id))
    cleaning.set(image.id, flight)
  }
  const key = await flight
  image.cleanOriginalKey = key
  return key
}

const cleaning = new Map<string, Promise<string>>()

async function makeCleanOriginal(env: Env, db: Db, image: Image): Promise<string> {
  const object = await env.MEDIA.get(image.originalKey)
  if (!object) throw new Error(`original missing for ${image.id}`)
  const bytes = new Uint8Array(await object.arrayBuffer())
  const orientation = typeof image.exif?.orientation === 'number' ? image.exif.orientation : 1
  let mime: ImageMime = image.mime as ImageMime
  let clean = stripMetadata(bytes, mime, orientation)
  if (!clean) {
    const target = mime === 'image/webp' ? 'image/webp' : mime === 'image/jpeg' ? 'image/jpeg' : 'image/png'
    const result = await env.IMAGES.input(new Blob([bytes]).stream()).output({ format: target, quality: 92 })
    // The binding applies the orientation while decoding, so the copy needs no orientation tag.
    clean = stripMetadata(new Uint8Array(await new Response(result.image()).arrayBuffer()), target, 1)
    if (!clean) throw invalidImage('This image cannot be shared without its metadata')
    mime = target
  }
  const key = storageKeys.image(image.ownerId, image.id, 'clean', EXTENSION_BY_MIME[mime])
  await env.MEDIA.put(key, clean, { httpMetadata: { contentType: mime } })
  await db.update(images).set({ cleanOriginalKey: key }).where(eq(images.id, image.id))
  return key
}

/**
 * Drops references. `ownerDelete` drops the owner's own record (once: it hides the image from
 * their lists at once); `holders` drops that many other references (a live photo, a task; by
 * default one when it is not an owner delete). The R2 objects and the row go when the last
 * reference goes (a task or live photo may still use the image after the owner deleted it).
 */
export async function releaseImage(env: Env, db: Db, image: Image, opts: { ownerDelete: boolean; holders?: number }) {
  const holders = opts.holders ?? (opts.ownerDelete ? 0 : 1)
  const ownerRecord = opts.ownerDelete ? sql`(CASE WHEN ${images.deletedAt} IS NULL THEN 1 ELSE 0 END)` : sql`0`
  const [after] = await db
    .update(images)
    .set({
      refCount: sql`${images.refCount} - ${holders} - ${ownerRecord}`,
      ...(opts.ownerDelete ? { deletedAt: sql`COALESCE(${images.deletedAt}, ${Date.now()})` } : {}),
      updatedAt: new Date(),
    })
    .where(and(eq(images.id, image.id), opts.ownerDelete && holders === 0 ? isNull(images.deletedAt) : undefined))
    .returning({ refCount: images.refCount })
  if (!after || after.refCount > 0) return
  const keys = [image.originalKey, image.thumbKey, image.previewKey, image.cleanOriginalKey].filter(
    (k): k is string => Boolean(k),
  )
  // Row first, files second: a preview that finishes in between finds no row and removes its
  // own file (ensurePreview), so no order of events leaves an orphan behind.
  await db.delete(images).where(and(eq(images.id, image.id), sql`${images.refCount} <= 0`))
  await env.MEDIA.delete(keys)
}

export async function findOwnImage(db: Db, ownerId: string, id: string): Promise<Image | undefined> {
  return db.query.images.findFirst({
    where: (i, { and, eq, isNull }) => and(eq(i.id, id), eq(i.ownerId, ownerId), isNull(i.deletedAt)),
  })
}

export async function listOwnImages(
  db: Db,
  ownerId: string,
  filters: { sessionId?: string | undefined; type?: ImageType | undefined },
  page: number,
  limit: number,
) {
  const where = and(
    eq(images.ownerId, ownerId),
    isNull(images.deletedAt),
    filters.sessionId ? eq(images.sessionId, filters.sessionId) : undefined,
    filters.type ? eq(images.type, filters.type) : undefined,
  )
  return pageRows(db, images, where, [desc(images.createdAt), desc(images.id)], { page, limit })
}

/** The image as the API shows it. GPS only when `viewerIsOwner`. Variant URLs are signed. */
export async function toImageDto(env: Env, image: Image, viewerIsOwner: boolean) {
  const exp = stableExpiry()
  const url = async (variant: Variant) =>
    `/api/images/${image.id}/${variant}?${await signResource(env, `image:${image.id}:${variant}`, exp)}`
  const [thumb, preview, original] = await Promise.all([url('thumb'), url('preview'), url('original')])
  const exif = image.exif ? { ...image.exif, ...(viewerIsOwner && image.gps ? { gps: image.gps } : {}) } : viewerIsOwner && image.gps ? { gps: image.gps } : null
  return {
    id: image.id,
    type: image.type,
    visibility: image.visibility,
    sessionId: image.sessionId,
    liveSessionId: image.liveSessionId,
    taskId: image.taskId,
    filename: image.filename,
    mime: image.mime,
    width: image.width,
    height: image.height,
    size: image.bytes,
    sha256: image.sha256,
    thumbhash: image.thumbhash,
    exif,
    takenAt: iso(image.takenAt),
    variants: { thumb, preview, original },
    variantsReady: { thumb: true, preview: image.previewReady, original: true },
    variantsExpireAt: new Date(exp * 1000).toISOString(),
    createdAt: image.createdAt.toISOString(),
    updatedAt: image.updatedAt.toISOString(),
  }
}
