import { notFound } from '../../lib/errors'
import { auditStatement } from '../audit/service'
import { defaultSettings, isSettingKey, SETTINGS, SETTING_KEYS, type SettingKey } from './registry'
import type { SettingDto } from './schemas'
import { putSetting, readStoredSettings, type StoredSetting } from './service'

/** Settings for admins: every key with its value, default, type and last change. */

function toDto(env: Env, key: SettingKey, stored: StoredSetting | undefined): SettingDto {
  const fallback = defaultSettings(env)[key]
  return {
    key,
    value: (stored ? stored.value : fallback) as SettingDto['value'],
    default: fallback,
    type: SETTINGS[key].type,
    description: SETTINGS[key].description,
    updatedAt: stored ? new Date(stored.updatedAt).toISOString() : null,
    updatedBy: stored?.updatedBy ?? null,
  }
}

/** Every setting, read from D1 now (not this isolate's cache: an admin sees what is stored). */
export async function listSettings(env: Env): Promise<SettingDto[]> {
  const stored = await readStoredSettings(env)
  return SETTING_KEYS.map((key) => toDto(env, key, stored.get(key)))
}

/**
 * An admin changes a setting: the value and its audit row (`settings.update`, before and after)
 * in one D1 batch. Unknown key 404; a value of the wrong type 400 naming the type. Other
 * isolates apply it within `SETTINGS_CACHE_SECONDS`.
 */
export async function updateSetting(env: Env, key: string, value: unknown, actorId: string) {
  if (!isSettingKey(key)) throw notFound(`Setting ${key}`, { keys: SETTING_KEYS })
  const { before } = await putSetting(env, key, value, actorId, (change) => [
    auditStatement(env, { actorId, action: 'settings.update', targetType: 'setting', targetId: key, before: change.before, after: change.after }),
  ])
  const stored = await readStoredSettings(env)
  return { setting: toDto(env, key, stored.get(key)), before: before as SettingDto['value'] }
}
