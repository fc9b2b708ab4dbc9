import type { AuthUser } from '../../env'
import { invalidModel, rateLimited } from '../../lib/errors'
import { listModels } from './providers/models'
import { getSetting } from '../settings/service'

/** The rolling window of the per-user generation limit. */
export const GENERATION_WINDOW_MS = 60 * 60_000

/**
 * A requested model must be one `GET /api/models` answers, from whatever source it answers
 * (ComfyUI's checkpoints, cached there for 5 minutes, else the default list): 400 INVALID_MODEL.
 */
export async function assertKnownModel(env: Env, model: string): Promise<void> {
  const { models } = await listModels(env)
  const allowed = models.map((m) => m.value)
  if (!allowed.includes(model)) throw invalidModel(model, allowed)
}

/** Generations the user may start per rolling hour; 0 = no limit (admins, or the setting at 0). */
export async function hourlyGenerationLimit(env: Env, user: AuthUser): Promise<number> {
  if (user.role === 'admin') return 0
  return getSetting(env, 'generationsPerHour')
}

/**
 * The guard for the task INSERT … SELECT … WHERE: true while the user has created fewer than
 * `limit` tasks in the window. Binds ?2 = user id, `limitParam` = limit, `sinceParam` = window start.
 * It runs inside the charge batch, so parallel requests are counted one after another.
 */
export function underHourlyLimitSql(limitParam: number, sinceParam: number): string {
  return `(?${limitParam} = 0 OR (SELECT COUNT(*) FROM tasks WHERE user_id = ?2 AND created_at > ?${sinceParam}) < ?${limitParam})`
}

/**
 * Why a guarded insert wrote nothing, when it was the limit: 429 RATE_LIMITED with Retry-After =
 * seconds until enough tasks leave the window for one more (normally: until the oldest leaves).
 * Null when the user is under the limit (the balance was short instead).
 */
export async function hourlyLimitError(env: Env, userId: string, limit: number, now: number) {
  if (limit === 0) return null
  const since = now - GENERATION_WINDOW_MS
  const { n } = (await env.DB.prepare('SELECT COUNT(*) AS n FROM tasks WHERE user_id = ?1 AND created_at > ?2').bind(userId, since).first<{ n: number }>())!
  if (n < limit) return null
  // With n tasks in the window, one more fits once the (n - limit + 1) oldest have left it.
  const leaving = await env.DB.prepare('SELECT created_at AS at FROM tasks WHERE user_id = ?1 AND created_at > ?2 ORDER BY created_at LIMIT 1 OFFSET ?3')
    .bind(userId, since, n - limit)
    .first<{ at: number }>()
  const retryAfter = Math.max(1, Math.ceil(((leaving?.at ?? now) + GENERATION_WINDOW_MS - now) / 1000))
  return rateLimited(retryAfter, `At most ${limit} generations per hour; try again in ${retryAfter} s`)
}
