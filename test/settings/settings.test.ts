import { env } from 'cloudflare:test'
import { describe, expect, it } from 'vitest'
import { forgetCachedSettings, getSetting, putSetting, readSettings } from '../../src/features/settings/service'
import { ApiError } from '../../src/lib/errors'


describe('runtime settings', () => {
  it('answer the registry default until a value is stored, then the stored value', async () => {
    forgetCachedSettings()
    expect(await getSetting(env, 'worksReview')).toBe('on')
    expect(await getSetting(env, 'generationsPerHour')).toBe(10)
    const change = await putSetting(env, 'generationsPerHour', 3, 'usr_admin')
    expect(change).toEqual({ before: 10, after: 3 })
    expect(await getSetting(env, 'generationsPerHour')).toBe(3)
    const row = await env.DB.prepare('SELECT value, updated_by AS by FROM settings WHERE key = ?1').bind('generationsPerHour').first()
    expect(row).toEqual({ value: '3', by: 'usr_admin' })
  })

  it('refuse a value of the wrong type with 400 naming the type, storing nothing', async () => {
    for (const [key, value] of [
      ['worksReview', true],
      ['worksReview', 'maybe'],
      ['generationsPerHour', '5'],
      ['generationsPerHour', -1],
      ['generationsPerHour', 2.5],
    ] as const) {
      const error = await putSetting(env, key, value, null).catch((e: unknown) => e)
      expect(error).toBeInstanceOf(ApiError)
      expect((error as ApiError).code).toBe('VALIDATION_ERROR')
      expect((error as ApiError).message).toContain(key)
    }
    expect(await getSetting(env, 'worksReview')).toBe('on')
  })

  it('ignore a stored value that no longer fits its type (the default applies)', async () => {
    await env.DB.prepare("INSERT OR REPLACE INTO settings (key, value, updated_at) VALUES ('worksReview', '\"sometimes\"', 0)").run()
    forgetCachedSettings()
    expect(await getSetting(env, 'worksReview')).toBe('on')
  })

  it('are read from D1 once per SETTINGS_CACHE_SECONDS per isolate', async () => {
    const cachedEnv = { ...env, SETTINGS_CACHE_SECONDS: '60' } as Env
    forgetCachedSettings()
    const t0 = Date.now()
    await putSetting(cachedEnv, 'worksReview', 'off', null)
    expect((await readSettings(cachedEnv, t0)).worksReview).toBe('off')
    // Another isolate changes it: this one keeps its copy until the TTL runs out.
    await env.DB.prepare("UPDATE settings SET value = '\"on\"' WHERE key = 'worksReview'").run()
    expect((await readSettings(cachedEnv, t0 + 59_000)).worksReview).toBe('off')
    expect((await readSettings(cachedEnv, t0 + 61_000)).worksReview).toBe('on')
    forgetCachedSettings()
  })
})
