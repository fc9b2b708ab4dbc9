import { createRoute } from '@hono/zod-openapi'
import { requireAuth } from '../../../lib/auth'
import { bearerAuth, bearerOrAnonymous, errors, jsonBody, ok, PaginationQuery } from '../../../lib/openapi'
import { WorkIdParam } from '../shared/schemas'
import {
  CommentBody,
  CommentCreatedSchema,
  CommentDeletedSchema,
  CommentIdParam,
  CommentPageSchema,
  FollowPageSchema,
  FollowStateSchema,
  LikeBody,
  LikeStateSchema,
  PublicProfileSchema,
  UserIdPathParam,
  UserStatsSchema,
} from './schemas'

const tags = ['Social']
const auth = { security: bearerAuth, middleware: [requireAuth] }
/** Signed in or not: a token, when sent, must be valid (401) and personalises the answer. */
const optionalAuth = { security: bearerOrAnonymous }
const VISIBILITY = 'Only works in the gallery (public and approved) or your own; any other work is 404.'

export const likeWorkRoute = createRoute({
  method: 'post', path: '/works/{id}/like', operationId: 'likeWork', tags, ...auth, summary: 'Like or unlike a work',
  description:
    'Without a body (or with `{}`) it toggles; with `{"liked": true|false}` it sets the state, so a double click or a ' +
    'retried request cannot undo itself. Answers the state after this request\'s own write. Safe under races: parallel ' +
    'requests serialise, and `likesCount` always equals the number of likes. ' + VISIBILITY +
    ' A new like notifies the owner on `/api/ws` (`work.liked`, coalesced per work, never for your own work). ' +
    'At most 60 requests a minute and 1,000 a day per user, likes and unlikes alike (429 RATE_LIMITED with Retry-After).',
  request: { params: WorkIdParam, body: { ...jsonBody(LikeBody), required: false } },
  responses: { 200: ok(LikeStateSchema, 'The like state after this request'), ...errors(400, 401, 404, 415, 429) },
})

export const listCommentsRoute = createRoute({
  method: 'get', path: '/works/{id}/comments', operationId: 'listWorkComments', tags, ...optionalAuth, summary: "A work's comments",
  description: `Newest first, paged. ${VISIBILITY} \`canDelete\` tells a signed-in viewer which ones they may delete. Comment text is plain text: render it as text, never as HTML.`,
  request: { params: WorkIdParam, query: PaginationQuery },
  responses: { 200: ok(CommentPageSchema, 'One page of comments'), ...errors(400, 401, 404) },
})

export const createCommentRoute = createRoute({
  method: 'post', path: '/works/{id}/comments', operationId: 'createWorkComment', tags, ...auth, summary: 'Comment on a work',
  description:
    `Plain text, 1 to 500 characters after trimming; newlines kept, other control characters refused (400). ${VISIBILITY} ` +
    'At most 10 comments a minute and 200 a day per user (429 RATE_LIMITED with Retry-After). The owner is notified on ' +
    '`/api/ws` (`work.commented`, coalesced per work, never for your own comments).',
  request: { params: WorkIdParam, body: jsonBody(CommentBody) },
  responses: { 201: ok(CommentCreatedSchema, 'The new comment and the work\'s comment count'), ...errors(400, 401, 404, 429) },
})

export const deleteCommentRoute = createRoute({
  method: 'delete', path: '/comments/{id}', operationId: 'deleteComment', tags, ...auth, summary: 'Delete a comment',
  description: 'By its author, the owner of the work, or an admin. Anyone else gets 404, as for a missing comment.',
  request: { params: CommentIdParam },
  responses: { 200: ok(CommentDeletedSchema, 'Deleted'), ...errors(401, 404) },
})

const FOLLOW_NOTES =
  'Idempotent: repeating it answers the same. Not yourself (400); an unknown user is 404. At most 30 requests a minute ' +
  'and 300 a day per user, follows and unfollows alike (429 RATE_LIMITED with Retry-After).'

export const followUserRoute = createRoute({
  method: 'post', path: '/users/{id}/follow', operationId: 'followUser', tags, ...auth, summary: 'Follow a user',
  description: `${FOLLOW_NOTES} A new follow notifies the user on \`/api/ws\` (\`user.followed\`, coalesced).`,
  request: { params: UserIdPathParam },
  responses: { 200: ok(FollowStateSchema, 'Following'), ...errors(400, 401, 404, 429) },
})

export const unfollowUserRoute = createRoute({
  method: 'delete', path: '/users/{id}/follow', operationId: 'unfollowUser', tags, ...auth, summary: 'Unfollow a user',
  description: FOLLOW_NOTES,
  request: { params: UserIdPathParam },
  responses: { 200: ok(FollowStateSchema, 'Not following'), ...errors(400, 401, 404, 429) },
})

export const listFollowersRoute = createRoute({
  method: 'get', path: '/users/{id}/followers', operationId: 'listFollowers', tags, ...optionalAuth, summary: "A user's followers",
  description: 'Newest follow first, paged. `isFollowing`: whether you (signed in) follow each of them.',
  request: { params: UserIdPathParam, query: PaginationQuery },
  responses: { 200: ok(FollowPageSchema, 'One page of users'), ...errors(400, 401, 404) },
})

export const listFollowingRoute = createRoute({
  method: 'get', path: '/users/{id}/following', operationId: 'listFollowing', tags, ...optionalAuth, summary: 'Users a user follows',
  description: 'Newest follow first, paged. `isFollowing`: whether you (signed in) follow each of them.',
  request: { params: UserIdPathParam, query: PaginationQuery },
  responses: { 200: ok(FollowPageSchema, 'One page of users'), ...errors(400, 401, 404) },
})

export const getPublicProfileRoute = createRoute({
  method: 'get', path: '/users/{id}', operationId: 'getPublicProfile', tags, ...optionalAuth, summary: "A user's public profile",
  description: 'Public fields and counts (never the email or credits); `isFollowing` for a signed-in viewer.',
  request: { params: UserIdPathParam },
  responses: { 200: ok(PublicProfileSchema, 'Profile'), ...errors(401, 404) },
})

export const getStatsUserRoute = createRoute({
  method: 'get', path: '/stats/user', operationId: 'getStatsUser', tags, ...auth, summary: 'My statistics',
  description:
    'The same answer as `GET /api/users/stats`. `monthlyWorks` counts works created since the 1st of the current month ' +
    '(00:00 UTC); `weeklyViews` counts views (one per viewer per work per day) of your works in the last 7 × 24 hours.',
  responses: { 200: ok(UserStatsSchema, 'Counts'), ...errors(401) },
})
