import { optionalViewer } from '../../../lib/auth'
import { createRouter } from '../../../lib/openapi'
import { addComment, deleteComment, listComments } from './comments'
import { listFollows, setFollow } from './follows'
import { setLike } from './likes'
import { publicProfile } from './profiles'
import {
  createCommentRoute,
  deleteCommentRoute,
  followUserRoute,
  getPublicProfileRoute,
  getStatsUserRoute,
  likeWorkRoute,
  listCommentsRoute,
  listFollowersRoute,
  listFollowingRoute,
  unfollowUserRoute,
} from './routes'
import { readUserStats } from './stats'

/**
 * Likes, comments, follows, public profiles and stats (mounted at `/api`, after the users routes).
 * Middleware is per route only: this router sits at `/api` and must not touch other routes.
 * Owner notifications go out after the answer (`waitUntil`).
 */
export const socialRoutes = createRouter()
  .openapi(likeWorkRoute, async (c) => {
    // The body is optional: without one the validator passes nothing, and the request toggles.
    const body = c.req.valid('json') as { liked?: boolean } | undefined
    const { state, notify } = await setLike(c.env, c.var.user.id, c.req.valid('param').id, body?.liked)
    if (notify) c.executionCtx.waitUntil(notify)
    return c.json({ success: true as const, data: state }, 200)
  })
  .openapi(listCommentsRoute, async (c) => {
    const viewer = await optionalViewer(c.env, c.req.header('Authorization'))
    const { page, limit } = c.req.valid('query')
    return c.json({ success: true as const, data: await listComments(c.env, viewer, c.req.valid('param').id, page, limit) }, 200)
  })
  .openapi(createCommentRoute, async (c) => {
    const { comment, commentsCount, notify } = await addComment(c.env, c.var.user, c.req.valid('param').id, c.req.valid('json').text)
    c.executionCtx.waitUntil(notify)
    return c.json({ success: true as const, data: { comment, commentsCount }, message: 'Comment added' }, 201)
  })
  .openapi(deleteCommentRoute, async (c) => {
    const data = await deleteComment(c.env, c.var.user, c.req.valid('param').id)
    return c.json({ success: true as const, data, message: 'Comment deleted' }, 200)
  })
  .openapi(followUserRoute, async (c) => {
    const { state, notify } = await setFollow(c.env, c.var.user.id, c.req.valid('param').id, true)
    if (notify) c.executionCtx.waitUntil(notify)
    return c.json({ success: true as const, data: state }, 200)
  })
  .openapi(unfollowUserRoute, async (c) => {
    const { state } = await setFollow(c.env, c.var.user.id, c.req.valid('param').id, false)
    return c.json({ success: true as const, data: state }, 200)
  })
  .openapi(listFollowersRoute, async (c) => {
    const viewer = await optionalViewer(c.env, c.req.header('Authorization'))
    const { page, limit } = c.req.valid('query')
    const data = await listFollows(c.env, viewer?.id ?? null, c.req.valid('param').id, 'followers', page, limit)
    return c.json({ success: true as const, data }, 200)
  })
  .openapi(listFollowingRoute, async (c) => {
    const viewer = await optionalViewer(c.env, c.req.header('Authorization'))
    const { page, limit } = c.req.valid('query')
    const data = await listFollows(c.env, viewer?.id ?? null, c.req.valid('param').id, 'following', page, limit)
    return c.json({ success: true as const, data }, 200)
  })
  .openapi(getPublicProfileRoute, async (c) => {
    const viewer = await optionalViewer(c.env, c.req.header('Authorization'))
    return c.json({ success: true as const, data: await publicProfile(c.env, viewer?.id ?? null, c.req.valid('param').id) }, 200)
  })
  .openapi(getStatsUserRoute, async (c) => {
    return c.json({ success: true as const, data: await readUserStats(c.env.DB, c.var.user.id) }, 200)
  })
