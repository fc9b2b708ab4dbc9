import { createRoute, z } from '@hono/zod-openapi'
import type { Context } from 'hono'
import type { AppEnv } from '../../env'
import type { Image } from '../../db/schema'
import { authenticate, bearerToken, requireAuth } from '../../lib/auth'
import { notFound } from '../../lib/errors'
import { respondWithObject } from '../../lib/r2-response'
import { bearerAuth, createRouter, errors, ok, PaginationQuery, paginate, paginationSchema } from '../../lib/openapi'
import { verifyResourceSignature } from '../../lib/signed-urls'
import { ImageIdParam, ImageSchema, VariantParam, VariantQuery } from './schemas'
import {
  ensureCleanOriginal,
  ensurePreview,
  finishDerivatives,
  findOwnImage,
  listOwnImages,
  releaseImage,
  storeImages,
  toImageDto,
  type Variant,
} from './service'
import { inspectAll, MAX_FILES_PER_UPLOAD, parseUpload, UploadJson } from './upload'

const tags = ['Images']
const auth = { security: bearerAuth, middleware: [requireAuth] }

const upload = createRoute({
  method: 'post', path: '/upload', tags, ...auth, summary: 'Upload images',
  description:
    `Multipart \`image\` (one) or \`images\` (up to ${MAX_FILES_PER_UPLOAD}), or JSON \`{data}\` / \`{images:[...]}\` with base64 or data URLs; ` +
    'optional `sessionId` and `type` (`uploaded` | `avatar`). The bytes decide the format (JPEG, PNG, WebP, GIF, AVIF, HEIC); ' +
    'a declared non-image type is 415, unknown formats 415, over `MAX_IMAGE_BYTES` (50 MB) 413, over 12,000 px a side or ' +
    '100 megapixels or undecodable 422. **All or nothing**: if any file is bad, nothing is stored and `details.files` lists ' +
    'each bad file (`index`, `filename`, `code`, `error`). The thumb and ThumbHash exist when this answers; the preview ' +
    'follows in the background (`variantsReady.preview`) and is made on first request if needed.',
  request: {
    body: {
      required: true,
      content: {
        'multipart/form-data': {
          schema: {
            type: 'object',
            properties: {
              image: { type: 'string', format: 'binary' },
              images: { type: 'array', items: { type: 'string', format: 'binary' }, maxItems: MAX_FILES_PER_UPLOAD },
              sessionId: { type: 'string' },
              type: { type: 'string', enum: ['uploaded', 'avatar'] },
            },
          },
        },
        // Documented with the zod schema; parsed by the handler (it also takes multipart).
        'application/json': { schema: z.toJSONSchema(UploadJson, { io: 'input', unrepresentable: 'any' }) as Record<string, unknown> },
      },
    },
  },
  responses: { 201: ok(z.object({ images: z.array(ImageSchema) }), 'Stored images'), ...errors(400, 401, 413, 415, 422) },
})

const list = createRoute({
  method: 'get', path: '/', tags, ...auth, summary: 'My images',
  request: { query: PaginationQuery.extend({ sessionId: z.string().max(64).optional(), type: ImageSchema.shape.type.optional() }) },
  responses: { 200: ok(paginationSchema(ImageSchema), 'A page of images, newest first'), ...errors(400, 401) },
})

const detail = createRoute({
  method: 'get', path: '/{id}', tags, ...auth, summary: 'Image metadata',
  request: { params: ImageIdParam },
  responses: { 200: ok(z.object({ image: ImageSchema }), 'Metadata'), ...errors(401, 404) },
})

const remove = createRoute({
  method: 'delete', path: '/{id}', tags, ...auth, summary: 'Delete an image',
  description: 'Gone from your lists at once; storage is freed when nothing else (a task, a live photo) references it.',
  request: { params: ImageIdParam },
  responses: { 200: ok(z.object({ deleted: z.literal(true) }), 'Deleted'), ...errors(401, 404) },
})

const variantRoute = createRoute({
  method: 'get', path: '/{id}/{variant}', tags, summary: 'Image bytes',
  description:
    "The owner's bearer token, a signed URL (`?exp=&sig=`, as in the metadata's `variants`), or a public image. " +
    'Everyone else gets 404. Anyone but the owner gets the original without metadata (no GPS). ETag/If-None-Match, ' +
    'Range on originals, immutable caching for derivatives of public images, `?download=1` for an attachment.',
  request: { params: VariantParam, query: VariantQuery },
  responses: {
    200: { description: 'Image bytes', content: { 'image/*': { schema: { type: 'string', format: 'binary' } } } },
    206: { description: 'Partial content (Range)' },
    304: { description: 'Not modified' },
    ...errors(401, 404),
  },
})

type Access = 'owner' | 'grant'

async function resolveAccess(c: Context<AppEnv>, image: Image | undefined, variant: Variant, q: z.infer<typeof VariantQuery>): Promise<Access> {
  const token = bearerToken(c.req.header('Authorization'))
  const viewer = token ? await authenticate(c.env, token) : null
  if (!image || image.deletedAt) throw notFound('Image')
  if (viewer?.id === image.ownerId) return 'owner'
  if (await verifyResourceSignature(c.env, `image:${image.id}:${variant}`, q.exp, q.sig)) return 'grant'
  if (image.visibility === 'public') return 'grant'
  throw notFound('Image')
}

export const imageRoutes = createRouter()
  .openapi(upload, async (c) => {
    const { files, options } = await parseUpload(c.env, c.req.raw)
    const inspected = await inspectAll(c.env, files)
    const stored = await storeImages(c.env, c.var.db, c.var.user.id, inspected, { type: options.type, sessionId: options.sessionId })
    c.executionCtx.waitUntil(finishDerivatives(c.env, c.var.db, stored, inspected))
    const data = await Promise.all(stored.map((image) => toImageDto(c.env, image, true)))
    return c.json({ success: true as const, data: { images: data }, message: `${data.length} image(s) stored` }, 201)
  })
  .openapi(list, async (c) => {
    const { page, limit, sessionId, type } = c.req.valid('query')
    const { rows, total } = await listOwnImages(c.var.db, c.var.user.id, { sessionId, type }, page, limit)
    const items = await Promise.all(rows.map((image) => toImageDto(c.env, image, true)))
    return c.json({ success: true as const, data: paginate(items, total, page, limit) }, 200)
  })
  .openapi(detail, async (c) => {
    const image = await findOwnImage(c.var.db, c.var.user.id, c.req.valid('param').id)
    if (!image) throw notFound('Image')
    return c.json({ success: true as const, data: { image: await toImageDto(c.env, image, true) } }, 200)
  })
  .openapi(remove, async (c) => {
    const image = await findOwnImage(c.var.db, c.var.user.id, c.req.valid('param').id)
    if (!image) throw notFound('Image')
    await releaseImage(c.env, c.var.db, image, { ownerDelete: true })
    return c.json({ success: true as const, data: { deleted: true as const }, message: 'Image deleted' }, 200)
  })
  .openapi(variantRoute, async (c) => {
    const { id, variant } = c.req.valid('param')
    const query = c.req.valid('query')
    const image = await c.var.db.query.images.findFirst({ where: (i, { eq }) => eq(i.id, id) })
    const access = await resolveAccess(c, image, variant, query)
    const img = image!
    let key: string
    if (variant === 'thumb') key = img.thumbKey
    else if (variant === 'preview') {
      await ensurePreview(c.env, c.var.db, img)
      key = img.previewKey
    } else key = access === 'owner' ? img.originalKey : await ensureCleanOriginal(c.env, c.var.db, img)

    const isOriginal = variant === 'original'
    const isPublic = img.visibility === 'public'
    return respondWithObject(c.env.MEDIA, key, {
      request: c.req.raw,
      cacheControl: isPublic
        ? isOriginal ? 'public, max-age=86400' : 'public, max-age=31536000, immutable'
        : isOriginal ? 'private, max-age=3600' : 'private, max-age=86400',
      ranges: isOriginal,
      vary: isOriginal ? 'Authorization' : undefined,
      filename: { base: `${(img.filename ?? img.id).replace(/\.[^.]+$/, '')}${isOriginal ? '' : `-${variant}`}`, download: query.download === '1' },
      fallbackType: img.mime,
      missing: () => notFound('Image'),
    })
  })
