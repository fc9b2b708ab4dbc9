import { createRoute, z } from '@hono/zod-openapi'
import { requireAuth } from '../../../lib/auth'
import { bearerAuth, bearerOrTokenQuery, errors, jsonBody, livePhotoBytesAccess, liveViewerAccess, ok } from '../../../lib/openapi'
import { ListPhotosQuery, PHOTO_VARIANTS, PhotoBatch, PhotoIdParams, PhotoListSchema, PhotoSchema, PhotoUpdate, SessionIdParams, UploadedPhotosSchema } from './schemas'

const tags = ['Live photos']
const auth = { security: bearerAuth, middleware: [requireAuth] }
const TokenQuery = z.object({ token: z.string().optional() })

export const uploadLivePhotosRoute = createRoute({
  method: 'post',
  path: '/sessions/{id}/photos',
  operationId: 'uploadLivePhotos',
  tags,
  ...auth,
  summary: 'Upload photos to a live session',
  description:
    'Owner only. Multipart `photo` (one) or `photos` (up to 20), same checks and derivatives as /api/images/upload (all or nothing). ' +
    '`auto` moderation publishes at once (`photo.added` to everyone); `manual` holds them as pending (only the owner hears of them). ' +
    'For big files on venue networks use the resumable uploads under /uploads.',
  request: {
    params: SessionIdParams,
    body: {
      required: true,
      content: {
        'multipart/form-data': {
          schema: { type: 'object', properties: { photo: { type: 'string', format: 'binary' }, photos: { type: 'array', items: { type: 'string', format: 'binary' } } } },
        },
      },
    },
  },
  responses: { 201: ok(UploadedPhotosSchema, 'Stored'), ...errors(400, 401, 404, 413, 415, 422) },
})

export const listLivePhotosRoute = createRoute({
  method: 'get',
  path: '/sessions/{id}/photos',
  operationId: 'listLivePhotos', security: liveViewerAccess,
  tags,
  summary: 'Photos of a live session',
  description:
    'Guests see approved photos only. With `after=<seq>`: photos uploaded after that seq, oldest first (a live feed; follow `nextAfter`). ' +
    'Without: `sort=newest` (default) or `taken` (capture time) with `page`/`limit`; `nextAfter` is then the newest seq, to follow from. ' +
    'The owner may filter by `status`.',
  request: { params: SessionIdParams, query: ListPhotosQuery },
  responses: {
    200: ok(PhotoListSchema, 'Photos'),
    ...errors(400, 401, 404, 410),
  },
})

export const getLivePhotoRoute = createRoute({
  method: 'get',
  path: '/photos/{id}',
  operationId: 'getLivePhoto', security: liveViewerAccess,
  tags,
  summary: 'One photo (counts a guest view)',
  request: { params: PhotoIdParams, query: TokenQuery },
  responses: { 200: ok(z.object({ photo: PhotoSchema }), 'Photo'), ...errors(401, 404, 410) },
})

export const updateLivePhotoRoute = createRoute({
  method: 'put',
  path: '/photos/{id}',
  operationId: 'updateLivePhoto',
  tags,
  ...auth,
  summary: 'Moderate or caption a photo',
  request: { params: PhotoIdParams, body: jsonBody(PhotoUpdate) },
  responses: { 200: ok(z.object({ photo: PhotoSchema }), 'Updated'), ...errors(400, 401, 404) },
})

export const deleteLivePhotoRoute = createRoute({
  method: 'delete',
  path: '/photos/{id}',
  operationId: 'deleteLivePhoto',
  tags,
  ...auth,
  summary: 'Delete a photo',
  request: { params: PhotoIdParams },
  responses: { 200: ok(z.object({ deleted: z.literal(true) }), 'Deleted'), ...errors(401, 404) },
})

export const moderateLivePhotosRoute = createRoute({
  method: 'post',
  path: '/photos/batch',
  operationId: 'moderateLivePhotos',
  tags,
  ...auth,
  summary: 'Moderate many photos',
  description: 'Owner only; every id must be a photo of one of your sessions (else 404 and nothing changes). Guests receive the resulting events in one frame.',
  request: { body: jsonBody(PhotoBatch) },
  responses: { 200: ok(z.object({ updated: z.number().int(), photos: z.array(PhotoSchema) }), 'Done'), ...errors(400, 401, 404) },
})

export const likeLivePhotoRoute = createRoute({
  method: 'post',
  path: '/photos/{id}/like',
  operationId: 'likeLivePhoto', security: bearerOrTokenQuery,
  tags,
  summary: 'Like a photo (once per guest)',
  description: 'Needs a viewer token (verify first, also for open sessions). Liking twice keeps one like.',
  request: { params: PhotoIdParams, query: TokenQuery },
  responses: { 200: ok(z.object({ liked: z.literal(true), likeCount: z.number().int() }), 'Liked'), ...errors(401, 404, 410) },
})

export const getLivePhotoVariantRoute = createRoute({
  method: 'get',
  path: '/photos/{id}/{variant}',
  operationId: 'getLivePhotoVariant', security: livePhotoBytesAccess,
  tags,
  summary: 'Photo bytes for guests',
  description:
    '`thumb` and `preview` (watermarked for guests when the session has a watermark), `download` per the download policy ' +
    '(none: 403; preview: the guest preview; original: the original without metadata). Signed URLs from the photo, a viewer token, or the owner.',
  request: {
    params: PhotoIdParams.extend({ variant: z.enum(PHOTO_VARIANTS) }),
    query: z.object({ exp: z.string().optional(), sig: z.string().optional(), token: z.string().optional() }),
  },
  responses: {
    200: { description: 'Image bytes', content: { 'image/*': { schema: { type: 'string', format: 'binary' } } } },
    304: { description: 'Not modified' },
    ...errors(401, 403, 404, 410),
  },
})
