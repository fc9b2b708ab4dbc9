import { z } from '@hono/zod-openapi'
import { DOWNLOAD_POLICIES, LIVE_MODERATIONS, LIVE_PHOTO_STATUSES, LIVE_SESSION_STATUSES } from '../../db/schema'

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

export const CreateSession = z.object(SessionFields).openapi('CreateLiveSession')

export const UpdateSession = z
  .object({
    ...SessionFields,
    title: SessionFields.title.optional(),
    regenerateCode: z.boolean().optional().openapi({ description: 'New 6-digit code; every viewer token stops working' }),
    watermark: WatermarkSettings.nullable().optional().openapi({ description: 'Placement of the uploaded watermark; null removes it' }),
  })
  .openapi('UpdateLiveSession')

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
  .openapi('LiveSession')

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
  .openapi('LivePhoto')
