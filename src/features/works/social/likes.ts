import { notFound } from '../../../lib/errors'
import { hitRateLimits, RATE_LIMITS } from '../../../lib/rate-limit'
import { type Actor, notifyWorkLiked } from './events'
import type { LikeStateSchema } from './schemas'
import type { z } from '@hono/zod-openapi'

type LikeState = z.infer<typeof LikeStateSchema>

/** The work `?1` as `?2` may act on it: in the gallery, or their own. */
const VISIBLE = 'EXISTS (SELECT 1 FROM works WHERE id = ?1 AND (published_at IS NOT NULL OR user_id = ?2))'

/**
 * Toggle as one upsert: a missing like is inserted (stamped now); an existing one is marked with
 * the impossible stamp -1, and the next statement deletes marked rows. Both run in the same batch
 * (one transaction, no other request in between), so the decision "like or unlike" and the write
 * are atomic: parallel toggles of one user serialise, each flips the state once. The counter
 * triggers see only the INSERT and the DELETE (an UPDATE of `created_at` fires none).
 */
const TOGGLE = `INSERT INTO work_likes (work_id, user_id, created_at) SELECT ?1, ?2, ?3 WHERE ${VISIBLE}
  ON CONFLICT (work_id, user_id) DO UPDATE SET created_at = -1 RETURNING created_at AS createdAt`
const DELETE_MARKED = 'DELETE FROM work_likes WHERE work_id = ?1 AND user_id = ?2 AND created_at = -1'
const LIKE = `INSERT INTO work_likes (work_id, user_id, created_at) SELECT ?1, ?2, ?3 WHERE ${VISIBLE}
  ON CONFLICT (work_id, user_id) DO NOTHING RETURNING created_at AS createdAt`
const UNLIKE = `DELETE FROM work_likes WHERE work_id = ?1 AND user_id = ?2 AND ${VISIBLE}`
/** The state after the writes, read in the same batch; no row: not found (or not visible to `?2`). */
const STATE = `SELECT w.user_id AS ownerId, w.likes_count AS likesCount,
    EXISTS (SELECT 1 FROM work_likes l WHERE l.work_id = w.id AND l.user_id = ?2) AS isLiked,
    u.username, u.avatar_url AS avatarUrl
  FROM works w JOIN users u ON u.id = ?2
  WHERE w.id = ?1 AND (w.published_at IS NOT NULL OR w.user_id = ?2)`

interface StateRow {
  ownerId: string
  likesCount: number
  isLiked: number
  username: string
  avatarUrl: string | null
}

/**
 * Likes (`liked: true`), unlikes (`false`) or toggles (`undefined`) work `workId` for `userId`,
 * and answers the state after this request's own write, read in the same batch (one D1 round
 * trip). Only works in the gallery or the caller's own; anything else is 404. A new like is
 * announced to the owner (coalesced, never for one's own work); an unlike is not. Rate-limited per
 * user, every request counting (like, unlike or toggle): `RATE_LIMITS.likesPerUser*`, 429 with Retry-After.
 */
export async function setLike(
  env: Env,
  userId: string,
  workId: string,
  liked: boolean | undefined,
  now = Date.now(),
): Promise<{ state: LikeState; notify: Promise<void> | null }> {
  const d1 = env.DB
  await hitRateLimits(d1, [
    [`likes:minute:${userId}`, RATE_LIMITS.likesPerUserMinute],
    [`likes:day:${userId}`, RATE_LIMITS.likesPerUserDay],
  ], now)
  const writes =
    liked === undefined
      ? [d1.prepare(TOGGLE).bind(workId, userId, now), d1.prepare(DELETE_MARKED).bind(workId, userId)]
      : [d1.prepare(liked ? LIKE : UNLIKE).bind(workId, userId, ...(liked ? [now] : []))]
  const results = await d1.batch([...writes, d1.prepare(STATE).bind(workId, userId)])
  const row = results[results.length - 1]!.results[0] as StateRow | undefined
  if (!row) throw notFound('Work')
  const inserted = liked !== false && (results[0]!.results as Array<{ createdAt: number }>).some((r) => r.createdAt !== -1)
  const state = { isLiked: row.isLiked === 1, likesCount: row.likesCount }
  const by: Actor = { id: userId, username: row.username, avatarUrl: row.avatarUrl }
  return { state, notify: inserted ? notifyWorkLiked(env, row.ownerId, workId, row.likesCount, by) : null }
}
