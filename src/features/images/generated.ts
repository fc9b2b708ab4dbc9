import { images, type Image, type Task } from '../../db/schema'
import type { Db } from '../../env'
import { inChunks } from '../../lib/d1-chunks'
import { invalidImage } from '../../lib/errors'
import { sha256Hex } from '../../lib/ids'
import { EXTENSION_BY_MIME, headerDimensions, sniffImageMime } from '../../lib/media'
import { storageKeys } from '../../lib/storage-keys'
import { inspectImage, PREVIEW_SIDE, renderPreview } from './pipeline'

/** One generated picture, as a provider hands it over. */
export interface GeneratedImage {
  bytes: Uint8Array
  /** A ready thumbnail (≤ 256 px) if the provider made one: saves an Images transformation. */
  thumb?: Uint8Array
  thumbhash?: string
}

/** Deterministic ids: a redelivered job writes the same rows and keys, never duplicates. */
export const generatedImageId = (taskId: string, index: number) => `img_${taskId.replace(/^tsk_/, '')}_${index}`

/**
 * Stores a task's results as the user's private `generated` images. Cost-aware: a provider's own
 * thumbnail and ThumbHash are used as they are, and an image that already fits the preview box
 * serves as its own preview, so the local provider costs no Images transformation at all.
 * Provider bytes are still never trusted: they pass the same inspection as uploads.
 */
export async function storeGeneratedImages(env: Env, db: Db, task: Task, generated: GeneratedImage[]): Promise<Image[]> {
  const now = new Date()
  const rows: Array<typeof images.$inferInsert> = []
  for (const [index, item] of generated.entries()) {
    const id = generatedImageId(task.id, index)
    const mime = sniffImageMime(item.bytes)
    if (!mime) throw invalidImage('Provider returned something that is not an image')
    let thumb = item.thumb
    let thumbhash = item.thumbhash ?? null
    let width: number
    let height: number
    let exifFields: Record<string, unknown> | null = null
    if (thumb) {
      // The provider made its own thumbnail (the local renderer does): read the size from the
      // header when it is there, else ask the binding (info() is free).
      const size = headerDimensions(item.bytes, mime) ?? (await env.IMAGES.info(new Blob([item.bytes]).stream()))
      if (!('width' in size)) throw invalidImage('Provider returned a vector image')
      width = size.width
      height = size.height
    } else {
      const inspected = await inspectImage(env, { blob: new Blob([item.bytes]), declaredType: mime, filename: null })
      inspected.preview.catch(() => {})
      thumb = inspected.thumb
      thumbhash = thumbhash ?? inspected.thumbhash
      width = inspected.width
      height = inspected.height
      exifFields = inspected.exif.exif ? { ...inspected.exif.exif } : null
    }
    const originalKey = storageKeys.image(task.userId, id, 'original', EXTENSION_BY_MIME[mime])
    const thumbKey = storageKeys.image(task.userId, id, 'thumb', thumb === item.thumb ? 'png' : 'webp')
    const fitsPreview = Math.max(width, height) <= PREVIEW_SIDE
    const previewKey = fitsPreview ? originalKey : storageKeys.image(task.userId, id, 'preview', 'webp')
    await Promise.all([
      env.MEDIA.put(originalKey, item.bytes, { httpMetadata: { contentType: mime } }),
      env.MEDIA.put(thumbKey, thumb, { httpMetadata: { contentType: sniffImageMime(thumb) ?? 'image/webp' } }),
      fitsPreview ? null : renderPreview(env, new Blob([item.bytes]).stream()).then((p) => env.MEDIA.put(previewKey, p, { httpMetadata: { contentType: 'image/webp' } })),
    ])
    rows.push({
      id,
      ownerId: task.userId,
      type: 'generated',
      visibility: 'private',
      taskId: task.id,
      filename: `${task.id}-${index + 1}.${EXTENSION_BY_MIME[mime]}`,
      mime,
      width,
      height,
      bytes: item.bytes.length,
      sha256: await sha256Hex(item.bytes),
      exif: exifFields,
      thumbhash,
      originalKey,
      thumbKey,
      previewKey,
      previewReady: true,
      refCount: 1,
      createdAt: now,
      updatedAt: now,
    })
  }
  const [first, ...rest] = rows.map((row) => db.insert(images).values(row).onConflictDoNothing())
  if (first) await db.batch([first, ...rest])
  const ids = rows.map((r) => r.id)
  return inChunks(db, ids, (chunk) => db.query.images.findMany({ where: (i, { inArray }) => inArray(i.id, chunk) }))
}
