import { eq } from 'drizzle-orm'
import { images, works } from '../../../db/schema'
import type { Db } from '../../../env'
import { notFound } from '../../../lib/errors'
import { respondWithObject } from '../../../lib/r2-response'
import { verifyResourceSignature } from '../../../lib/signed-urls'
import { ensureCleanOriginal, ensurePreview } from '../../images/service'
import { publicWorkImageUrl, workImageResource } from '../shared/rows'
import type { WorkImageVariant } from './schemas'

/**
 * The bytes of a work's picture: `/api/works/{id}/images/{variant}`.
 * - A work in the gallery, no token, with `?v={publishVersion}`: only the URLs of the current
 *   publication answer (a missing or other `v` is 404), so a work made private and public again
 *   gets new URLs and never meets an old cached copy. Thumb and preview are immutable for clients
 *   and kept in this data centre's Workers cache (`caches.default`, keyed by the full URL) for at
 *   most `EDGE_SECONDS`: a hit answers before any D1 or R2 read, and a work taken down stops being
 *   served everywhere within that time (at once here: `purgePublicImages`). The original is
 *   served metadata-free (`ensureCleanOriginal`), cached a day by clients, not in the Workers
 *   cache (it can be large; it is rarely asked for).
 * - A work not in the gallery: only with its owner's signed URL (`work:{id}:{variant}`, made by
 *   `toWorkDto`), privately cached. These URLs belong to the work, not to the image, so deleting
 *   the image from the library does not break the work, and deleting the work ends them.
 */

const IMMUTABLE = 'public, max-age=31536000, immutable'
const ORIGINAL = 'public, max-age=86400'
const PRIVATE = 'private, max-age=3600'
/** How long a data centre keeps a public thumb or preview before asking D1 again. */
export const EDGE_SECONDS = 300

const cacheable = (variant: WorkImageVariant) => variant !== 'original'

/** Where the work's public image URL lives in the Workers cache. */
const cacheKey = (origin: string, workId: string, variant: WorkImageVariant, version: number) =>
  `${origin}${publicWorkImageUrl(workId, variant, version)}`

export async function servePublicWorkImage(
  env: Env,
  db: Db,
  request: Request,
  target: { id: string; variant: WorkImageVariant; version: number | undefined; exp?: string | undefined; sig?: string | undefined },
): Promise<Response> {
  const { id, variant, version } = target
  const signed = target.sig !== undefined && (await verifyResourceSignature(env, workImageResource(id, variant), target.exp, target.sig))
  if (version === undefined && !signed) throw notFound('Image')
  const key = version === undefined ? null : cacheKey(new URL(request.url).origin, id, variant, version)
  if (key && !signed && cacheable(variant)) {
    // The cache answers conditional requests (If-None-Match) itself. Clients get the immutable
    // header; the stored copy carries the short edge lifetime.
    const hit = await caches.default.match(new Request(key, { headers: conditionalHeaders(request) }))
    if (hit) {
      const answer = new Response(hit.body, hit)
      answer.headers.set('Cache-Control', IMMUTABLE)
      return answer
    }
  }
  const [row] = await db
    .select({ image: images, publishedAt: works.publishedAt, publishVersion: works.publishVersion })
    .from(works)
    .innerJoin(images, eq(images.id, works.imageId))
    .where(eq(works.id, id))
    .limit(1)
  if (!row) throw notFound('Image')
  const isPublic = !signed
  if (isPublic && (row.publishedAt === null || row.publishVersion !== version)) throw notFound('Image')
  const image = row.image
  let objectKey: string
  if (variant === 'thumb') objectKey = image.thumbKey
  else if (variant === 'preview') {
    await ensurePreview(env, db, image)
    objectKey = image.previewKey
  } else objectKey = await ensureCleanOriginal(env, db, image)
  const response = await respondWithObject(env.MEDIA, objectKey, {
    request,
    cacheControl: !isPublic ? PRIVATE : cacheable(variant) ? IMMUTABLE : ORIGINAL,
    ranges: variant === 'original',
    filename: { base: variant === 'original' ? id : `${id}-${variant}`, download: false },
    fallbackType: image.mime,
    missing: () => notFound('Image'),
  })
  // Only a full public answer is stored (a 304 carries no body); awaited, so the next request finds it.
  if (key && isPublic && cacheable(variant) && response.status === 200) {
    const stored = response.clone()
    const copy = new Response(stored.body, stored)
    copy.headers.set('Cache-Control', `public, max-age=${EDGE_SECONDS}`)
    await caches.default.put(key, copy)
  }
  return response
}

function conditionalHeaders(request: Request): Headers {
  const headers = new Headers()
  const etag = request.headers.get('If-None-Match')
  if (etag) headers.set('If-None-Match', etag)
  return headers
}

/**
 * Drops this data centre's cached thumb and preview of works that just left the gallery (made
 * private, rejected or deleted). Other data centres drop theirs within `EDGE_SECONDS`; clients
 * that already loaded an image keep it; the URLs stop answering from D1 at once, and the next
 * publication has new ones.
 */
export async function purgePublicImages(origin: string, published: ReadonlyArray<{ id: string; version: number }>): Promise<void> {
  await Promise.all(
    published.flatMap(({ id, version }) =>
      (['thumb', 'preview'] as const).map((variant) => caches.default.delete(cacheKey(origin, id, variant, version)).catch(() => false)),
    ),
  )
}
