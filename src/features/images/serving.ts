import type { Image } from '../../db/schema'
import type { Db } from '../../env'
import { authenticate, bearerToken } from '../../lib/auth'
import { notFound } from '../../lib/errors'
import { respondWithObject } from '../../lib/r2-response'
import { verifyResourceSignature } from '../../lib/signed-urls'
import type { Variant, VariantOptions } from './schemas'
import { ensureCleanOriginal, ensurePreview } from './service'

type Access = 'owner' | 'grant'

/**
 * Who may see the bytes: the owner (bearer token), a signed URL for this image and variant, or
 * anyone when the image is public. Everyone else, and a deleted image, is 404 (a work that holds
 * a deleted image serves it through its own signed URLs, `/api/works/{id}/images/...`).
 */
async function resolveAccess(env: Env, image: Image | undefined, variant: Variant, q: VariantOptions, authorization: string | undefined): Promise<Access> {
  const token = bearerToken(authorization)
  const viewer = token ? await authenticate(env, token) : null
  if (!image || image.deletedAt) throw notFound('Image')
  if (viewer?.id === image.ownerId) return 'owner'
  if (await verifyResourceSignature(env, `image:${image.id}:${variant}`, q.exp, q.sig)) return 'grant'
  if (image.visibility === 'public') return 'grant'
  throw notFound('Image')
}

/**
 * Serves one variant of an image: the preview is made on first need, anyone but the owner gets
 * the metadata-free original. Caching follows visibility (derivatives of public images are
 * immutable); originals answer Range requests.
 */
export async function serveImageVariant(
  env: Env,
  db: Db,
  request: Request,
  target: { id: string; variant: Variant; options: VariantOptions },
): Promise<Response> {
  const { id, variant, options } = target
  const found = await db.query.images.findFirst({ where: (i, { eq }) => eq(i.id, id) })
  const access = await resolveAccess(env, found, variant, options, request.headers.get('Authorization') ?? undefined)
  const img = found!
  let key: string
  if (variant === 'thumb') key = img.thumbKey
  else if (variant === 'preview') {
    await ensurePreview(env, db, img)
    key = img.previewKey
  } else key = access === 'owner' ? img.originalKey : await ensureCleanOriginal(env, db, img)

  const isOriginal = variant === 'original'
  const isPublic = img.visibility === 'public'
  return respondWithObject(env.MEDIA, key, {
    request,
    cacheControl: isPublic
      ? isOriginal ? 'public, max-age=86400' : 'public, max-age=31536000, immutable'
      : isOriginal ? 'private, max-age=3600' : 'private, max-age=86400',
    ranges: isOriginal,
    vary: isOriginal ? 'Authorization' : undefined,
    filename: { base: `${(img.filename ?? img.id).replace(/\.[^.]+$/, '')}${isOriginal ? '' : `-${variant}`}`, download: options.download === '1' },
    fallbackType: img.mime,
    missing: () => notFound('Image'),
  })
}
