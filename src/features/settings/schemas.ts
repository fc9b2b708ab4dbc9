import { z } from '@hono/zod-openapi'

/** Any value a setting can hold (each key narrows it: see its `type`). */
export const SettingValueSchema = z
  .union([z.string(), z.number(), z.boolean(), z.null()])
  .openapi('SettingValue', { description: 'A JSON scalar; each setting accepts only its own `type`', example: true })

export const SettingKeyParam = z.object({
  key: z.string().min(1).max(64).openapi({ param: { name: 'key', in: 'path' }, example: 'maintenance' }),
})

export const SettingSchema = z
  .object({
    key: z.string().openapi({ example: 'maintenance' }),
    value: SettingValueSchema,
    default: SettingValueSchema,
    type: z.string().openapi({ description: 'The accepted values, in words', example: 'boolean' }),
    description: z.string(),
    updatedAt: z.string().nullable().openapi({ description: 'Last change; null while the default applies', example: '2026-01-15T09:30:00.000Z' }),
    updatedBy: z.string().nullable().openapi({ description: 'The admin who made the last change' }),
  })
  .openapi('Setting')
export type SettingDto = z.infer<typeof SettingSchema>

export const SettingListSchema = z.object({ items: z.array(SettingSchema) }).openapi('SettingList')

export const SettingUpdateBody = z
  .object({ value: SettingValueSchema })
  .openapi('SettingUpdate', { example: { value: true } })

export const UpdatedSettingSchema = z
  .object({ setting: SettingSchema, before: SettingValueSchema.openapi({ description: 'The value before this change' }) })
  .openapi('UpdatedSetting')

export const AnnouncementSchema = z
  .object({
    announcement: z.string().nullable().openapi({ description: 'A notice to show everyone; null: none', example: 'Maintenance tonight 02:00–02:30 UTC' }),
    maintenance: z.boolean().openapi({ description: 'True while writes are paused (503 MAINTENANCE); reads keep working' }),
  })
  .openapi('Announcement')
