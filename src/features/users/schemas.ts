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

// The statistics are mostly works data: the works feature declares them (and reads them in one statement).
export { UserStatsSchema, type UserStats } from '../works/social/schemas'

export const UserIdParam = z.object({ id: z.string().max(64) })
