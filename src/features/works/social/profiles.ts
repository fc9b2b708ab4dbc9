import { notFound } from '../../../lib/errors'
import type { PublicProfile } from './schemas'

interface ProfileRow {
  id: string
  username: string
  avatarUrl: string | null
  bio: string | null
  website: string | null
  location: string | null
  createdAt: number
  worksCount: number
  followersCount: number
  followingCount: number
  isFollowing: number
}

/**
 * A user's public profile, with counts and whether the viewer follows them, in one statement.
 * Never the email, role or credits. `worksCount` counts works in the gallery only.
 */
export async function publicProfile(env: Env, viewerId: string | null, userId: string): Promise<PublicProfile> {
  const row = await env.DB.prepare(
    `SELECT u.id, u.username, u.avatar_url AS avatarUrl, u.bio, u.website, u.location, u.created_at AS createdAt,
       (SELECT COUNT(*) FROM works WHERE user_id = u.id AND published_at IS NOT NULL) AS worksCount,
       (SELECT COUNT(*) FROM follows WHERE followee_id = u.id) AS followersCount,
       (SELECT COUNT(*) FROM follows WHERE follower_id = u.id) AS followingCount,
       EXISTS (SELECT 1 FROM follows WHERE follower_id = ?2 AND followee_id = u.id) AS isFollowing
     FROM users u WHERE u.id = ?1`,
  )
    .bind(userId, viewerId)
    .first<ProfileRow>()
  if (!row) throw notFound('User')
  return {
    id: row.id,
    username: row.username,
    avatarUrl: row.avatarUrl,
    bio: row.bio,
    website: row.website,
    location: row.location,
    worksCount: row.worksCount,
    followersCount: row.followersCount,
    followingCount: row.followingCount,
    isFollowing: row.isFollowing === 1,
    createdAt: new Date(row.createdAt).toISOString(),
  }
}
