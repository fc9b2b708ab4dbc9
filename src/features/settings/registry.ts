import { z } from '@hono/zod-openapi'

/**
 * Every runtime setting: its type (a zod schema, which also validates admin changes), default and
 * meaning. A setting without a row in D1 has its default. Add a key here and it exists; there is
 * nothing else to register.
 */
export const SETTINGS = {
  worksReview: {
    schema: z.enum(['on', 'off']),
    type: 'enum: on | off',
    default: 'on' as const,
    description: 'Whether a work made public waits for an admin to approve it (on) or appears in the gallery at once (off).',
  },
  generationsPerHour: {
    schema: z.number().int().min(0).max(100_000),
    type: 'integer ≥ 0',
    default: 10,
    description: 'Generation tasks a user (not an admin) may create in any rolling hour; 0 means no limit.',
  },
} satisfies Record<string, { schema: z.ZodType; type: string; default: unknown; description: string }>

export type SettingKey = keyof typeof SETTINGS
export type SettingValues = { [K in SettingKey]: z.infer<(typeof SETTINGS)[K]['schema']> }
export const SETTING_KEYS = Object.keys(SETTINGS) as [SettingKey, ...SettingKey[]]

export function isSettingKey(key: string): key is SettingKey {
  return Object.hasOwn(SETTINGS, key)
}

/** The defaults of every setting. */
export function defaultSettings(): SettingValues {
  return Object.fromEntries(SETTING_KEYS.map((key) => [key, SETTINGS[key].default])) as SettingValues
}
