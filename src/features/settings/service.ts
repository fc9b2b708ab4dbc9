import { settings } from '../../db/schema'
import type { Db } from '../../env'
import { config } from '../../lib/config'
import { badRequest } from '../../lib/errors'
import { log } from '../../lib/logger'
import { defaultSettings, SETTINGS, SETTING_KEYS, type SettingKey, type SettingValues } from './registry'

/**
 * Runtime settings: one D1 read per isolate per `SETTINGS_CACHE_SECONDS` (default 10 s), so a
 * change reaches every isolate within that time. A stored value that no longer fits its type
 * (the registry changed) falls back to the default and is logged, never failing a request.
 */

let cached: { values: SettingValues; readAt: number } | null = null

export async function readSettings(env: Env, now = Date.now()): Promise<SettingValues> {
  const ttlMs = config(env).SETTINGS_CACHE_SECONDS * 1000
  if (cached && now - cached.readAt < ttlMs) return cached.values
  const { results } = await env.DB.prepare('SELECT key, value FROM settings').all<{ key: string; value: string }>()
  const values = defaultSettings() as Record<SettingKey, unknown>
  for (const row of results) {
    if (!(SETTING_KEYS as string[]).includes(row.key)) continue
    const key = row.key as SettingKey
    let parsed: unknown
    try {
      parsed = JSON.parse(row.value)
    } catch {
      parsed = undefined
    }
    const checked = SETTINGS[key].schema.safeParse(parsed)
    if (checked.success) values[key] = checked.data
    else log.warn('stored setting ignored: wrong type', { key })
  }
  cached = { values: values as SettingValues, readAt: now }
  return cached.values
}

/** One setting's current value. */
export async function getSetting<K extends SettingKey>(env: Env, key: K): Promise<SettingValues[K]> {
  return (await readSettings(env))[key]
}

/** Forgets this isolate's copy (after a change made here, and in tests). */
export function forgetCachedSettings(): void {
  cached = null
}

/**
 * Validates and stores a setting. Answers the value before and after, for the audit log.
 * A value of the wrong type is 400 naming the expected type.
 */
export async function putSetting<K extends SettingKey>(
  env: Env,
  db: Db,
  key: K,
  value: unknown,
  actorId: string | null,
): Promise<{ before: SettingValues[K]; after: SettingValues[K] }> {
  const checked = SETTINGS[key].schema.safeParse(value)
  if (!checked.success) throw badRequest(`Setting ${key} must be ${SETTINGS[key].type}`, { field: 'value', expected: SETTINGS[key].type })
  forgetCachedSettings()
  const before = (await readSettings(env))[key]
  const now = new Date()
  await db
    .insert(settings)
    .values({ key, value: JSON.stringify(checked.data), updatedBy: actorId, updatedAt: now })
    .onConflictDoUpdate({ target: settings.key, set: { value: JSON.stringify(checked.data), updatedBy: actorId, updatedAt: now } })
  forgetCachedSettings()
  return { before, after: checked.data as SettingValues[K] }
}
