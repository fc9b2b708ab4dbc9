import { config } from '../../lib/config'
import { badRequest } from '../../lib/errors'
import { log } from '../../lib/logger'
import { defaultSettings, SETTINGS, isSettingKey, type SettingKey, type SettingValues } from './registry'

/**
 * Runtime settings: one D1 read per isolate per `SETTINGS_CACHE_SECONDS` (default 10 s), so a
 * change reaches every isolate within that time. The cache keeps only the stored values; the
 * defaults are applied per read, because some depend on `env` (configuration). A stored value
 * that no longer fits its type (the registry changed) falls back to the default and is logged,
 * never failing a request.
 */

export interface StoredSetting {
  value: unknown
  updatedAt: number
  updatedBy: string | null
}

let cached: { stored: Map<SettingKey, StoredSetting>; readAt: number } | null = null

/** The stored, well-typed values (with who changed them and when), from D1. */
export async function readStoredSettings(env: Env): Promise<Map<SettingKey, StoredSetting>> {
  const { results } = await env.DB.prepare('SELECT key, value, updated_at, updated_by FROM settings').all<{
    key: string
    value: string
    updated_at: number
    updated_by: string | null
  }>()
  const stored = new Map<SettingKey, StoredSetting>()
  for (const row of results) {
    if (!isSettingKey(row.key)) continue
    let parsed: unknown
    try {
      parsed = JSON.parse(row.value)
    } catch {
      parsed = undefined
    }
    const checked = SETTINGS[row.key].schema.safeParse(parsed)
    if (checked.success) stored.set(row.key, { value: checked.data, updatedAt: row.updated_at, updatedBy: row.updated_by })
    else log.warn('stored setting ignored: wrong type', { key: row.key })
  }
  return stored
}

export async function readSettings(env: Env, now = Date.now()): Promise<SettingValues> {
  const ttlMs = config(env).SETTINGS_CACHE_SECONDS * 1000
  if (!cached || now - cached.readAt >= ttlMs) cached = { stored: await readStoredSettings(env), readAt: now }
  const values = defaultSettings(env) as Record<SettingKey, unknown>
  for (const [key, { value }] of cached.stored) values[key] = value
  return values as SettingValues
}

/** One setting's current value. */
export async function getSetting<K extends SettingKey>(env: Env, key: K): Promise<SettingValues[K]> {
  return (await readSettings(env))[key]
}

/** Forgets this isolate's copy (after a change made here, and in tests). */
export function forgetCachedSettings(): void {
  cached = null
}

export interface SettingChange<K extends SettingKey> {
  before: SettingValues[K]
  after: SettingValues[K]
}

/**
 * Validates and stores a setting, with `also(change)`'s statements in the same D1 batch (the
 * admin route puts the audit row there, so a change is never stored without its record).
 * Answers the value before and after. A value of the wrong type is 400 naming the expected type.
 * `before` is read just ahead of the batch: two admins changing one key in the same instant
 * may both record the same `before`.
 */
export async function putSetting<K extends SettingKey>(
  env: Env,
  key: K,
  value: unknown,
  actorId: string | null,
  also: (change: SettingChange<K>) => D1PreparedStatement[] = () => [],
): Promise<SettingChange<K>> {
  const checked = SETTINGS[key].schema.safeParse(value)
  if (!checked.success) throw badRequest(`Setting ${key} must be ${SETTINGS[key].type}`, { field: 'value', expected: SETTINGS[key].type })
  forgetCachedSettings()
  const change = { before: (await readSettings(env))[key], after: checked.data as SettingValues[K] }
  const json = JSON.stringify(checked.data)
  await env.DB.batch([
    env.DB.prepare(
      `INSERT INTO settings (key, value, updated_by, updated_at) VALUES (?1, ?2, ?3, ?4)
       ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_by = excluded.updated_by, updated_at = excluded.updated_at`,
    ).bind(key, json, actorId, Date.now()),
    ...also(change),
  ])
  forgetCachedSettings()
  return change
}

