import { createRoute, z } from '@hono/zod-openapi'
import { requireAuth } from '../../lib/auth'
import { bearerAuth, bearerOrSignedUrl, errors, ok, paginationSchema } from '../../lib/openapi'
import { ImageIdParam, ImageListQuery, ImageSchema, VariantParam, VariantQuery } from './schemas'
import { MAX_FILES_PER_UPLOAD, UploadJson } from './upload'

const tags = ['Images']
const auth = { security: bearerAuth, middleware: [requireAuth] }

export const uploadImagesRoute = createRoute({
  method: 'post', path: '/upload', operationId: 'uploadImages', tags, ...auth, summary: 'Upload images',
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
        'application/json': {
          schema: z.toJSONSchema(UploadJson, { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>,
          example: { images: [{ data: 'data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==', filename: 'dot.png' }], sessionId: 'shoot-2026-03' },
        },
      },
    },
  },
  responses: { 201: ok(z.object({ images: z.array(ImageSchema) }), 'Stored images'), ...errors(400, 401, 413, 415, 422) },
})

export const listImagesRoute = createRoute({
  method: 'get', path: '/', operationId: 'listImages', tags, ...auth, summary: 'My images',
  request: { query: ImageListQuery },
  responses: { 200: ok(paginationSchema(ImageSchema), 'A page of images, newest first'), ...errors(400, 401) },
})

export const getImageRoute = createRoute({
  method: 'get', path: '/{id}', operationId: 'getImage', tags, ...auth, summary: 'Image metadata',
  request: { params: ImageIdParam },
  responses: { 200: ok(z.object({ image: ImageSchema }), 'Metadata'), ...errors(401, 404) },
})

export const deleteImageRoute = createRoute({
  method: 'delete', path: '/{id}', operationId: 'deleteImage', tags, ...auth, summary: 'Delete an image',
  description: 'Gone from your lists at once; storage is freed when nothing else (a task, a live photo) references it.',
  request: { params: ImageIdParam },
  responses: { 200: ok(z.object({ deleted: z.literal(true) }), 'Deleted'), ...errors(401, 404) },
})

export const getImageVariantRoute = createRoute({
  method: 'get', path: '/{id}/{variant}', operationId: 'getImageVariant', security: bearerOrSignedUrl, tags, summary: 'Image bytes',
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
