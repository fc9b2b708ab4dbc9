import { publishToUserCoalesced } from '../../hub/service'

/** An actor as social events show it. */
export interface Actor {
  id: string
  username: string
  avatarUrl: string | null
}

/**
 * Owner notifications of the social routes, coalesced per work (or per profile) on the owner's
 * hub: a burst within about a second reaches the owner as one frame with the highest count.
 * Never sent to the actor themself. Best effort (a failed push is logged by the hub service).
 */
export function notifyWorkLiked(env: Env, ownerId: string, workId: string, likesCount: number, by: Actor): Promise<void> {
  if (ownerId === by.id) return Promise.resolve()
  return publishToUserCoalesced(env, ownerId, `work.liked:${workId}`, { type: 'work.liked', data: { workId, likesCount, by } }, likesCount)
}

export function notifyWorkCommented(
  env: Env,
  ownerId: string,
  workId: string,
  commentsCount: number,
  comment: { id: string; text: string; author: Actor; createdAt: string },
): Promise<void> {
  if (ownerId === comment.author.id) return Promise.resolve()
  const event = { type: 'work.commented' as const, data: { workId, commentsCount, comment } }
  return publishToUserCoalesced(env, ownerId, `work.commented:${workId}`, event, commentsCount)
}

export function notifyUserFollowed(env: Env, followeeId: string, followersCount: number, by: Actor): Promise<void> {
  if (followeeId === by.id) return Promise.resolve()
  return publishToUserCoalesced(env, followeeId, 'user.followed', { type: 'user.followed', data: { followersCount, by } }, followersCount)
}
