import { z } from '@hono/zod-openapi'
import { DOWNLOAD_POLICIES, LIVE_MODERATIONS, LIVE_SESSION_STATUSES } from '../../../db/schema'

export const AccessCode = z.string().regex(/^[A-Za-z0-9]{4,12}$/, 'Access code must be 4-12 letters or digits')

/** Placement changes in an update: no defaults, so fields not sent keep their current values. */
export const WatermarkSettings = z
  .object({
    position: z.enum(['center', 'top-left', 'top-right', 'bottom-left', 'bottom-right']).optional(),
    opacity: z.number().min(0).max(1).optional(),
    scale: z.number().min(0.05).max(1).optional(),
  })
  .openapi('WatermarkSettings')

const SessionFields = {
  title: z.string().trim().min(1).max(100),
  description: z.string().trim().max(2000).nullable().optional(),
  startsAt: z.iso.datetime({ offset: true }).nullable().optional(),
  endsAt: z.iso.datetime({ offset: true }).nullable().optional().openapi({ description: 'After this, guests get 410 SESSION_ENDED' }),
  status: z.enum(LIVE_SESSION_STATUSES).optional(),
  accessCode: AccessCode.nullable().optional().openapi({
    description: 'Omit to get a generated 6-digit code; null for an open session (no code)',
  }),
  moderation: z.enum(LIVE_MODERATIONS).optional(),
  downloadPolicy: z.enum(DOWNLOAD_POLICIES).optional(),
  coverImageId: z.string().max(64).nullable().optional(),
}

export const CreateSession = z.object(SessionFields).openapi('CreateLiveSession', {
  example: { title: 'Anna & Ben, wedding', endsAt: '2026-06-21T02:00:00.000Z', moderation: 'auto', downloadPolicy: 'preview' },
})
export type CreateSession = z.output<typeof CreateSession>

export const UpdateSession = z
  .object({
    ...SessionFields,
    title: SessionFields.title.optional(),
    regenerateCode: z.boolean().optional().openapi({ description: 'New 6-digit code; every viewer token stops working' }),
    watermark: WatermarkSettings.nullable().optional().openapi({ description: 'Placement of the uploaded watermark; null removes it' }),
  })
  .openapi('UpdateLiveSession', { example: { title: 'Anna & Ben, wedding party', regenerateCode: true, watermark: { position: 'bottom-right', opacity: 0.5 } } })
export type UpdateSession = z.output<typeof UpdateSession>

export const SessionSchema = z
  .object({
    id: z.string(),
    title: z.string(),
    description: z.string().nullable(),
    coverImageId: z.string().nullable(),
    startsAt: z.string().nullable(),
    endsAt: z.string().nullable(),
    status: z.enum(LIVE_SESSION_STATUSES),
    ended: z.boolean(),
    open: z.boolean().openapi({ description: 'No access code needed' }),
    accessCode: z.string().nullable().optional().openapi({ description: 'Owner only' }),
    moderation: z.enum(LIVE_MODERATIONS),
    watermark: z.record(z.string(), z.unknown()).nullable().optional(),
    downloadPolicy: z.enum(DOWNLOAD_POLICIES),
    photoCount: z.number().int().optional(),
    viewerUrl: z.string(),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .openapi('LiveSession', {
    example: {
      id: 'lvs_01JD4S2B7C9D1E3F5G7H9J1K3M',
      title: 'Anna & Ben, wedding',
      description: null,
      coverImageId: null,
      startsAt: null,
      endsAt: '2026-06-21T02:00:00.000Z',
      status: 'live',
      ended: false,
      open: false,
      accessCode: '493027',
      moderation: 'auto',
      watermark: null,
      downloadPolicy: 'preview',
      photoCount: 0,
      viewerUrl: '/live/lvs_01JD4S2B7C9D1E3F5G7H9J1K3M',
      createdAt: '2026-06-20T15:00:00.000Z',
      updatedAt: '2026-06-20T15:00:00.000Z',
    },
  })

export const VerifyBody = z
  .object({
    accessCode: z.string().max(32).optional(),
    deviceId: z
      .string()
      .regex(/^[A-Za-z0-9_-]{16,64}$/, 'deviceId must be 16-64 letters, digits, _ or -')
      .optional()
      .openapi({ description: 'A random id the client keeps (the guest page keeps one in localStorage): the same device is the same guest' }),
    nickname: z.string().trim().max(40).optional(),
  })
  .openapi('VerifyAccessCode', { example: { accessCode: '493027', deviceId: '9f2c4e7a1b3d5f6081a2c3e4f5a6b7c8', nickname: 'Aunt Mia' } })
export type VerifyBody = z.output<typeof VerifyBody>

export const VerifiedSchema = z
  .object({ viewerToken: z.string(), expiresIn: z.number().int(), guestId: z.string(), session: SessionSchema })
  .openapi('LiveViewerWelcome')
export type LiveSessionDto = z.output<typeof SessionSchema>
