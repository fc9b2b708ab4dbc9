import { z } from '@hono/zod-openapi'
import { PaginationQuery } from '../../lib/openapi'
import { IMAGE_TYPES, IMAGE_VISIBILITIES } from '../../db/schema'

const VariantUrls = z.object({
  thumb: z.string().openapi({ description: 'Signed URL, longest side ≤ 256, WebP' }),
  preview: z.string().openapi({ description: 'Signed URL, longest side ≤ 1600, WebP' }),
  original: z.string().openapi({ description: 'Signed URL; metadata-free for anyone but the owner' }),
})

export const ImageSchema = z
  .object({
    id: z.string(),
    type: z.enum(IMAGE_TYPES),
    visibility: z.enum(IMAGE_VISIBILITIES),
    sessionId: z.string().nullable(),
    liveSessionId: z.string().nullable(),
    taskId: z.string().nullable(),
    filename: z.string().nullable(),
    mime: z.string().openapi({ description: 'Detected from the bytes' }),
    width: z.number().int().openapi({ description: 'Displayed width, after EXIF orientation' }),
    height: z.number().int(),
    size: z.number().int().openapi({ description: 'Bytes of the original' }),
    sha256: z.string(),
    thumbhash: z.string().nullable().openapi({ description: 'ThumbHash placeholder, base64' }),
    exif: z
      .record(z.string(), z.unknown())
      .nullable()
      .openapi({ description: 'takenAt, make, model, lens, exposureTime, fNumber, iso, focalLength, orientation; `gps` only for the owner' }),
    takenAt: z.string().nullable(),
    variants: VariantUrls,
    variantsReady: z.object({ thumb: z.boolean(), preview: z.boolean(), original: z.boolean() }),
    variantsExpireAt: z.string().openapi({ description: 'When the signed variant URLs stop working' }),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .openapi('Image', {
    example: {
      id: 'img_2b7x9q4m1k',
      type: 'uploaded',
      visibility: 'private',
      sessionId: 'shoot-2026-03',
      liveSessionId: null,
      taskId: null,
      filename: 'harbour.jpg',
      mime: 'image/jpeg',
      width: 4000,
      height: 3000,
      size: 5242880,
      sha256: '9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08',
      thumbhash: '1QcSHQRnh493V4dIh4eXh1h4kJUI',
      exif: { takenAt: '2026-03-01T08:12:45.000Z', make: 'FUJIFILM', model: 'X-T5', iso: 200 },
      takenAt: '2026-03-01T08:12:45.000Z',
      variants: {
        thumb: '/api/images/img_2b7x9q4m1k/thumb?exp=1772409600&sig=Qm9vdGg',
        preview: '/api/images/img_2b7x9q4m1k/preview?exp=1772409600&sig=UHJldmlldw',
        original: '/api/images/img_2b7x9q4m1k/original?exp=1772409600&sig=T3JpZ2luYWw',
      },
      variantsReady: { thumb: true, preview: true, original: true },
      variantsExpireAt: '2026-03-02T00:00:00.000Z',
      createdAt: '2026-03-01T09:30:00.000Z',
      updatedAt: '2026-03-01T09:30:05.000Z',
    },
  })

export const ImageListQuery = PaginationQuery.extend({
  sessionId: z.string().max(64).optional(),
  type: ImageSchema.shape.type.optional(),
})

export const ImageIdParam = z.object({ id: z.string().max(64) })

export const VARIANTS = ['thumb', 'preview', 'original'] as const
export type Variant = (typeof VARIANTS)[number]

export const VariantParam = ImageIdParam.extend({ variant: z.enum(VARIANTS) })

export const VariantQuery = z.object({
  exp: z.string().optional().openapi({ description: 'Signed URL expiry (unix seconds)' }),
  sig: z.string().optional().openapi({ description: 'Signed URL signature' }),
  download: z.enum(['0', '1']).optional().openapi({ description: '1: Content-Disposition attachment' }),
})
export type VariantOptions = z.output<typeof VariantQuery>
