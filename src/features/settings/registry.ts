import { z } from '@hono/zod-openapi'
import { config } from '../../lib/config'

/**
 * One runtime setting: its type (a zod schema, which also validates admin changes), the type as
 * admins read it, its default and meaning. The default is a function of `env` because some come
 * from configuration (`signupCredits` from `SIGNUP_CREDITS`): a deploy sets the starting value,
 * an admin may override it at run time.
 */
interface SettingDefinition<S extends z.ZodType> {
  schema: S
  type: string
  default: (env: Env) => z.output<S>
  description: string
}

/** Keeps each entry's value type tied to its schema (the default must fit it). */
const setting = <S extends z.ZodType>(definition: SettingDefinition<S>) => definition

export const ANNOUNCEMENT_MAX = 500

/**
 * Every runtime setting. A setting without a row in D1 has its default. Add a key here and it
 * exists (listed and changeable through `/api/admin/config`); there is nothing else to register.
 */
export const SETTINGS = {
  worksReview: setting({
    schema: z.enum(['on', 'off']),
    type: 'enum: on | off',
    default: () => 'on' as const,
    description: 'Whether a work made public waits for an admin to approve it (on) or appears in the gallery at once (off).',
  }),
  generationsPerHour: setting({
    schema: z.number().int().min(0).max(100_000),
    type: 'integer ≥ 0',
    default: () => 10,
    description: 'Generation tasks a user (not an admin) may create in any rolling hour; 0 means no limit.',
  }),
  signupCredits: setting({
    schema: z.number().int().min(0).max(1_000_000),
    type: 'integer ≥ 0',
    default: (env) => config(env).SIGNUP_CREDITS,
    description: 'Credits a new account starts with (default: the SIGNUP_CREDITS variable).',
  }),
  generationCostUnit: setting({
    schema: z.number().int().min(1).max(10_000),
    type: 'integer ≥ 1',
    default: () => 2,
    description:
      'Credits per 512x512 image at up to 30 steps when the scene sets no price; a task costs ceil(unit × batch × pixels / 512² × max(1, steps / 30)).',
  }),
  maintenance: setting({
    schema: z.boolean(),
    type: 'boolean',
    default: () => false,
    description: 'While true, writes by non-admins answer 503 MAINTENANCE (reads, sign-in, provider callbacks and payment notifications keep working).',
  }),
  announcement: setting({
    schema: z.string().trim().min(1).max(ANNOUNCEMENT_MAX).nullable(),
    type: `string (1–${ANNOUNCEMENT_MAX} characters) or null`,
    default: () => null,
    description: 'A notice clients show to everyone (GET /api/system/announcement); null shows none.',
  }),
}

export type SettingKey = keyof typeof SETTINGS
export type SettingValues = { [K in SettingKey]: z.output<(typeof SETTINGS)[K]['schema']> }
export const SETTING_KEYS = Object.keys(SETTINGS) as [SettingKey, ...SettingKey[]]

export function isSettingKey(key: string): key is SettingKey {
  return Object.hasOwn(SETTINGS, key)
}

/** The defaults of every setting for this deployment. */
export function defaultSettings(env: Env): SettingValues {
  return Object.fromEntries(SETTING_KEYS.map((key) => [key, SETTINGS[key].default(env)])) as SettingValues
}
