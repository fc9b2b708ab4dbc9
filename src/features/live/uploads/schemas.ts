import { z } from '@hono/zod-openapi'

/** R2 needs every part but the last to be the same size, at least 5 MiB. */
export const PART_SIZE = 5 * 1024 * 1024

export const UploadSchema = z
  .object({
    id: z.string(),
    filename: z.string().nullable(),
    total: z.number().int(),
    received: z.number().int(),
    partSize: z.number().int(),
    totalParts: z.number().int(),
    parts: z.array(z.number().int()).openapi({ description: 'Part numbers received so far (1-based)' }),
    createdAt: z.string(),
  })
  .openapi('LiveUpload', {
    example: {
      id: 'upl_01JD4SA1B2C3D4E5F6G7H8J9K0',
      filename: 'DSC_0412.jpg',
      total: 14_680_064,
      received: 5_242_880,
      partSize: PART_SIZE,
      totalParts: 3,
      parts: [1],
      createdAt: '2026-06-20T19:40:00.000Z',
    },
  })
export type UploadDto = z.output<typeof UploadSchema>

export const UploadEnvelope = z.object({ upload: UploadSchema })

export const StartUpload = z
  .object({ size: z.number().int().min(1), filename: z.string().max(200).optional() })
  .openapi('StartLiveUpload', { example: { size: 14_680_064, filename: 'DSC_0412.jpg' } })

export const SessionParams = z.object({ id: z.string().max(64) })
export const UploadParams = z.object({ id: z.string().max(64), uploadId: z.string().max(64) })
export const PartParams = UploadParams.extend({ partNumber: z.coerce.number().int().min(1).max(10_000) })
