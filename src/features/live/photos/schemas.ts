import { z } from '@hono/zod-openapi'
import { LIVE_PHOTO_STATUSES } from '../../../db/schema'

export const PhotoIdParams = z.object({ id: z.string().max(64).openapi({ example: 'lph_01JD4S6Q2W8V3N5M7K9P0R1T2Y' }) })
export const SessionIdParams = z.object({ id: z.string().max(64).openapi({ example: 'lvs_01JD4S2B7C9D1E3F5G7H9J1K3M' }) })

/** One photo as guests see it (the owner's copy adds `imageId`). */
export const PHOTO_EXAMPLE = {
  id: 'lph_01JD4S6Q2W8V3N5M7K9P0R1T2Y',
  sessionId: 'lvs_01JD4S2B7C9D1E3F5G7H9J1K3M',
  seq: 42,
  caption: 'First dance',
  status: 'approved',
  featured: false,
  takenAt: '2026-06-20T19:42:11.000Z',
  width: 6000,
  height: 4000,
  thumbhash: 'HBkSHYSIeHiPiHh8eJd4eTN0EEQG',
  thumbUrl: '/api/live/photos/lph_01JD4S6Q2W8V3N5M7K9P0R1T2Y/thumb?exp=1782000000&sig=3q2-7w',
  previewUrl: '/api/live/photos/lph_01JD4S6Q2W8V3N5M7K9P0R1T2Y/preview?exp=1782000000&sig=8fJ0aQ',
  downloadUrl: '/api/live/photos/lph_01JD4S6Q2W8V3N5M7K9P0R1T2Y/download?exp=1782000000&sig=Zx91Lm',
  viewCount: 17,
  likeCount: 5,
  createdAt: '2026-06-20T19:42:30.000Z',
  updatedAt: '2026-06-20T19:42:30.000Z',
} as const

export const PhotoSchema = z
  .object({
    id: z.string(),
    sessionId: z.string(),
    seq: z.number().int().openapi({ description: 'Upload order in the session: the `after` cursor of photo lists' }),
    caption: z.string().nullable(),
    status: z.enum(LIVE_PHOTO_STATUSES),
    featured: z.boolean(),
    takenAt: z.string().nullable(),
    width: z.number().int().nullable(),
    height: z.number().int().nullable(),
    thumbhash: z.string().nullable(),
    thumbUrl: z.string(),
    previewUrl: z.string(),
    downloadUrl: z.string().nullable().openapi({ description: 'Null when the download policy is none' }),
    viewCount: z.number().int(),
    likeCount: z.number().int(),
    imageId: z.string().optional().openapi({ description: 'Owner only' }),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .openapi('LivePhoto', { example: PHOTO_EXAMPLE })
export type LivePhotoDto = z.output<typeof PhotoSchema>

/** The answer to an upload: the owner's records of the stored photos. */
export const UploadedPhotosSchema = z
  .object({ photos: z.array(PhotoSchema) })
  .openapi('LivePhotosUploaded', { example: { photos: [{ ...PHOTO_EXAMPLE, imageId: 'img_01JD4S6Q2W8V3N5M7K9P0R1T2Y' }] } })

/** One stored photo (a finished resumable upload). */
export const UploadedPhotoSchema = z
  .object({ photo: PhotoSchema })
  .openapi('LivePhotoUploaded', { example: { photo: { ...PHOTO_EXAMPLE, imageId: 'img_01JD4S6Q2W8V3N5M7K9P0R1T2Y' } } })

export const PHOTO_VARIANTS = ['thumb', 'preview', 'download'] as const
export type PhotoVariant = (typeof PHOTO_VARIANTS)[number]

export const ListPhotosQuery = z.object({
  after: z.coerce.number().int().min(0).optional().openapi({ example: 40 }),
  sort: z.enum(['newest', 'taken']).default('newest'),
  page: z.coerce.number().int().min(1).default(1),
  limit: z.coerce.number().int().min(1).max(100).default(50),
  status: z.enum(LIVE_PHOTO_STATUSES).optional(),
  featured: z.enum(['true', 'false']).optional(),
  token: z.string().optional(),
})
export type ListPhotosQuery = z.output<typeof ListPhotosQuery>

export const PhotoListSchema = z
  .object({
    items: z.array(PhotoSchema),
    nextAfter: z.number().int(),
    seq: z.number().int().openapi({ description: 'The live event seq when this list was read: open the WebSocket with `after=<seq>` to get exactly what changed since' }),
    pagination: z.record(z.string(), z.unknown()).optional(),
  })
  .openapi('LivePhotoList', { example: { items: [PHOTO_EXAMPLE], nextAfter: 42, seq: 57 } })

export const PhotoUpdate = z
  .object({
    caption: z.string().trim().max(500).nullable().optional(),
    status: z.enum(LIVE_PHOTO_STATUSES).optional(),
    featured: z.boolean().optional(),
  })
  .refine((b) => Object.values(b).some((v) => v !== undefined), { message: 'Nothing to update' })
  .openapi('LivePhotoUpdate', { example: { caption: 'First dance', status: 'approved', featured: true } })
export type PhotoUpdate = z.output<typeof PhotoUpdate>

export const BATCH_ACTIONS = ['approve', 'hide', 'delete', 'feature', 'unfeature'] as const
export type BatchAction = (typeof BATCH_ACTIONS)[number]

export const PhotoBatch = z
  .object({ ids: z.array(z.string().max(64)).min(1).max(100), action: z.enum(BATCH_ACTIONS) })
  .openapi('LivePhotoBatch', { example: { ids: ['lph_01JD4S6Q2W8V3N5M7K9P0R1T2Y', 'lph_01JD4S7A1B2C3D4E5F6G7H8J9K'], action: 'approve' } })
