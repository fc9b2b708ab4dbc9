import { eq } from 'drizzle-orm'
import { images, works } from '../../../db/schema'
import type { Db } from '../../../env'
import { notFound } from '../../../lib/errors'
import { respondWithObject } from '../../../lib/r2-response'
import { ensureCleanOriginal, ensurePreview } from '../../images/service'
import { publicWorkImageUrl } from '../shared/rows'
import type { WorkImageVariant } from './schemas'

/**
 * The public bytes of a published work: `/api/works/{id}/images/{variant}?v={publishVersion}`,
 * no token. Only the URLs of the current publication answer (a missing or other `v` is 404), so
 * a work made private and public again gets new URLs and never meets an old cached copy.
 *
 * Thumb and preview are immutable (`public, max-age=31536000, immutable`) and kept in this data
 * centre's Workers cache (`caches.default`, keyed by the full URL): a hit answers before any D1
 * or R2 read. The original is served metadata-free (`ensureCleanOriginal`), cached for a day by
 * clients and the CDN, and not put in the Workers cache (it can be large; it is rarely asked for).
 */

const IMMUTABLE = 'public, max-age=31536000, immutable'
const ORIGINAL = 'public, max-age=86400'

const cacheable = (variant: WorkImageVariant) => variant !== 'original'

/** Where the work's public image URL lives in the Workers cache. */
const cacheKey = (origin: string, workId: string, variant: WorkImageVariant, version: number) =>
  `${origin}${publicWorkImageUrl(workId, variant, version)}`

export async function servePublicWorkImage(
  env: Env,
  db: Db,
  request: Request,
  target: { id: string; variant: WorkImageVariant; version: number | undefined },
): Promise<Response> {
  const { id, variant, version } = target
  if (version === undefined) throw notFound('Image')
  const key = cacheKey(new URL(request.url).origin, id, variant, version)
  if (cacheable(variant)) {
    // The cache answers conditional requests (If-None-Match) itself. Its responses have
    // immutable headers, and the app's middleware adds some: copy.
    const hit = await caches.default.match(new Request(key, { headers: conditionalHeaders(request) }))
    if (hit) return new Response(hit.body, hit)
  }
  const [row] = await db
    .select({ image: images, publishedAt: works.publishedAt, publishVersion: works.publishVersion })
    .from(works)
    .innerJoin(images, eq(images.id, works.imageId))
    .where(eq(works.id, id))
    .limit(1)
  if (!row || row.publishedAt === null || row.publishVersion !== version) throw notFound('Image')
  const image = row.image
  let objectKey: string
  if (variant === 'thumb') objectKey = image.thumbKey
  else if (variant === 'preview') {
    await ensurePreview(env, db, image)
    objectKey = image.previewKey
  } else objectKey = await ensureCleanOriginal(env, db, image)
  const response = await respondWithObject(env.MEDIA, objectKey, {
    request,
    cacheControl: cacheable(variant) ? IMMUTABLE : ORIGINAL,
    ranges: variant === 'original',
    filename: { base: variant === 'original' ? id : `${id}-${variant}`, download: false },
    fallbackType: image.mime,
    missing: () => notFound('Image'),
  })
  // Only a full answer is stored (a 304 carries no body); awaited, so the next request finds it.
  if (cacheable(variant) && response.status === 200) await caches.default.put(key, response.clone())
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
 * private or deleted). Best effort: other data centres and clients keep their copies until they
 * expire; the URLs themselves stop answering from D1 at once, and the next publication has new ones.
 */
export async function purgePublicImages(origin: string, published: ReadonlyArray<{ id: string; version: number }>): Promise<void> {
  await Promise.all(
    published.flatMap(({ id, version }) =>
      (['thumb', 'preview'] as const).map((variant) => caches.default.delete(cacheKey(origin, id, variant, version)).catch(() => false)),
    ),
  )
}
