import { z } from '@hono/zod-openapi'
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
  .openapi('Image')

export const ImageIdParam = z.object({ id: z.string().max(64) })

export const VariantParam = ImageIdParam.extend({ variant: z.enum(['thumb', 'preview', 'original']) })

export const VariantQuery = z.object({
  exp: z.string().optional().openapi({ description: 'Signed URL expiry (unix seconds)' }),
  sig: z.string().optional().openapi({ description: 'Signed URL signature' }),
  download: z.enum(['0', '1']).optional().openapi({ description: '1: Content-Disposition attachment' }),
})
