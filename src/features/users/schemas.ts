import { z } from '@hono/zod-openapi'
import { EmailSchema, PasswordSchema, UsernameSchema } from '../auth/schemas'

const HttpUrl = z
  .url({ protocol: /^https?$/, error: 'Must be an http(s) URL' })
  .max(500)

export const ProfileUpdate = z
  .object({
    username: UsernameSchema.optional(),
    email: EmailSchema.optional(),
    bio: z.string().trim().max(200, 'Bio must be at most 200 characters').nullable().optional(),
    website: z.union([HttpUrl, z.literal('')]).nullable().optional(),
    location: z.string().trim().max(100).nullable().optional(),
    avatarUrl: z.union([HttpUrl, z.literal('')]).nullable().optional(),
  })
  .refine((b) => Object.values(b).some((v) => v !== undefined), { message: 'Nothing to update' })
  .openapi('ProfileUpdate', { example: { bio: 'Street and portrait photographer', website: 'https://ada.example.com', location: '' } })

export type ProfileChanges = z.output<typeof ProfileUpdate>

export const PasswordChange = z
  .object({ currentPassword: z.string().min(1).max(128), newPassword: PasswordSchema })
  .refine((b) => b.currentPassword !== b.newPassword, {
    message: 'New password must differ from the current one',
    path: ['newPassword'],
  })
  .openapi('PasswordChange', { example: { currentPassword: 'correct-horse-9', newPassword: 'battery-staple-7' } })

export const UserStatsSchema = z
  .object({
    works: z.number().int().openapi({ description: 'Generated images kept (not deleted)' }),
    views: z.number().int().openapi({ description: 'Views of your public works (the gallery is not public yet: 0)' }),
    likes: z.number().int().openapi({ description: 'Likes of your public works (the gallery is not public yet: 0)' }),
    tasks: z.number().int().openapi({ description: 'Generation tasks submitted' }),
    creditsSpent: z.number().int().openapi({ description: 'Charged minus refunded' }),
  })
  .openapi('UserStats', { example: { works: 12, views: 0, likes: 0, tasks: 7, creditsSpent: 14 } })

export type UserStats = z.infer<typeof UserStatsSchema>

export const UserIdParam = z.object({ id: z.string().max(64) })
