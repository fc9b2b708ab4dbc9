import { badRequest, notFound } from '../../../lib/errors'
import { paginate } from '../../../lib/openapi'
import { hitRateLimits, RATE_LIMITS } from '../../../lib/rate-limit'
import { notifyUserFollowed } from './events'
import type { FollowStateSchema, FollowUserSchema } from './schemas'
import type { z } from '@hono/zod-openapi'

type FollowState = z.infer<typeof FollowStateSchema>
type FollowUser = z.infer<typeof FollowUserSchema>

const FOLLOW = `INSERT INTO follows (follower_id, followee_id, created_at)
  SELECT ?1, ?2, ?3 WHERE EXISTS (SELECT 1 FROM users WHERE id = ?2)
  ON CONFLICT (follower_id, followee_id) DO NOTHING RETURNING created_at AS createdAt`
const UNFOLLOW = 'DELETE FROM follows WHERE follower_id = ?1 AND followee_id = ?2'
/** After the write, in the same batch: no row when the followee does not exist. */
const STATE = `SELECT (SELECT COUNT(*) FROM follows WHERE followee_id = t.id) AS followersCount,
    EXISTS (SELECT 1 FROM follows WHERE follower_id = me.id AND followee_id = t.id) AS isFollowing,
    me.username, me.avatar_url AS avatarUrl
  FROM users t JOIN users me ON me.id = ?1 WHERE t.id = ?2`

interface StateRow {
  followersCount: number
  isFollowing: number
  username: string
  avatarUrl: string | null
}

/**
 * Follows (`follow: true`) or unfollows `followeeId` for `followerId`: idempotent (following
 * twice answers the same), one D1 batch with the state after the write. Not yourself (400);
 * an unknown user is 404. A new follow is announced to the followee (coalesced). Rate-limited per
 * user, follows and unfollows alike: `RATE_LIMITS.followsPerUser*`, 429 with Retry-After.
 */
export async function setFollow(env: Env, followerId: string, followeeId: string, follow: boolean, now = Date.now()) {
  if (followerId === followeeId) throw badRequest('You cannot follow yourself', [{ field: 'id', message: 'Must be another user' }])
  const d1 = env.DB
  await hitRateLimits(d1, [
    [`follows:minute:${followerId}`, RATE_LIMITS.followsPerUserMinute],
    [`follows:day:${followerId}`, RATE_LIMITS.followsPerUserDay],
  ], now)
  const [write, read] = await d1.batch([
    follow ? d1.prepare(FOLLOW).bind(followerId, followeeId, now) : d1.prepare(UNFOLLOW).bind(followerId, followeeId),
    d1.prepare(STATE).bind(followerId, followeeId),
  ])
  const row = read!.results[0] as StateRow | undefined
  if (!row) throw notFound('User')
  const state: FollowState = { userId: followeeId, isFollowing: row.isFollowing === 1, followersCount: row.followersCount }
  const inserted = follow && write!.results.length > 0
  const by = { id: followerId, username: row.username, avatarUrl: row.avatarUrl }
  return { state, notify: inserted ? notifyUserFollowed(env, followeeId, row.followersCount, by) : null }
}

interface FollowUserRow {
  id: string
  username: string
  avatarUrl: string | null
  bio: string | null
  isFollowing: number
}

/**
 * One page of a user's followers (`followers`) or of the users they follow (`following`),
 * newest follow first, each with whether the viewer follows them; with the total and the
 * user's existence (404) in one D1 batch.
 */
export async function listFollows(env: Env, viewerId: string | null, userId: string, direction: 'followers' | 'following', page: number, limit: number) {
  const [mine, other] = direction === 'followers' ? ['followee_id', 'follower_id'] : ['follower_id', 'followee_id']
  const d1 = env.DB
  const [total, items] = await d1.batch([
    d1.prepare(`SELECT (SELECT COUNT(*) FROM follows WHERE ${mine} = u.id) AS n FROM users u WHERE u.id = ?1`).bind(userId),
    d1
      .prepare(
        `SELECT u.id, u.username, u.avatar_url AS avatarUrl, u.bio,
            EXISTS (SELECT 1 FROM follows v WHERE v.follower_id = ?2 AND v.followee_id = u.id) AS isFollowing
           FROM follows f JOIN users u ON u.id = f.${other}
          WHERE f.${mine} = ?1 ORDER BY f.created_at DESC, f.${other} DESC LIMIT ?3 OFFSET ?4`,
      )
      .bind(userId, viewerId, limit, (page - 1) * limit),
  ])
  const count = total!.results[0] as { n: number } | undefined
  if (!count) throw notFound('User')
  const rows = items!.results as FollowUserRow[]
  const list: FollowUser[] = rows.map((r) => ({ id: r.id, username: r.username, avatarUrl: r.avatarUrl, bio: r.bio, isFollowing: r.isFollowing === 1 }))
  return paginate(list, count.n, page, limit)
}
