import { createRoute, z } from '@hono/zod-openapi'
import { requireAuth } from '../../lib/auth'
import { bearerAuth, errors, jsonBody, noAuth, ok } from '../../lib/openapi'
import { UserResponse } from '../auth/schemas'
import { PasswordChange, ProfileUpdate, UserIdParam, UserStatsSchema } from './schemas'

const tags = ['Users']
const auth = { security: bearerAuth, middleware: [requireAuth] }

export const getProfileRoute = createRoute({
  method: 'get', path: '/profile', operationId: 'getProfile', tags, ...auth, summary: 'My profile',
  responses: { 200: ok(UserResponse, 'Profile'), ...errors(401) },
})

export const updateProfileRoute = createRoute({
  method: 'put', path: '/profile', operationId: 'updateProfile', tags, ...auth, summary: 'Update my profile',
  description: 'Send only the fields to change. Empty string or null clears `bio`, `website`, `location`, `avatarUrl`. Unknown fields are ignored.',
  request: { body: jsonBody(ProfileUpdate) },
  responses: { 200: ok(UserResponse, 'Updated profile'), ...errors(400, 401, 409) },
})

export const changePasswordRoute = createRoute({
  method: 'put', path: '/password', operationId: 'changePassword', tags, ...auth, summary: 'Change my password',
  description:
    'Every other session of this account is revoked (their sockets close with 4401); this one stays signed in. ' +
    'Wrong current passwords count against the same per account and network budget as sign-in (see `POST /api/auth/login`): ' +
    '429 with Retry-After during backoff, 423 ACCOUNT_LOCKED from the 10th consecutive failure.',
  request: { body: jsonBody(PasswordChange) },
  responses: { 200: ok(z.object({ changed: z.literal(true) }), 'Password changed'), ...errors(400, 401, 423, 429) },
})

export const uploadAvatarRoute = createRoute({
  method: 'post', path: '/avatar', operationId: 'uploadAvatar', tags, ...auth, summary: 'Upload my avatar',
  description: 'Multipart field `avatar`: JPEG, PNG or WebP (detected from the bytes), at most 2 MB.',
  request: {
    body: {
      required: true,
      content: {
        'multipart/form-data': {
          schema: { type: 'object', required: ['avatar'], properties: { avatar: { type: 'string', format: 'binary' } } },
        },
      },
    },
  },
  responses: { 200: ok(UserResponse, 'Avatar stored'), ...errors(400, 401, 413, 415, 422) },
})

export const getUserStatsRoute = createRoute({
  method: 'get', path: '/stats', operationId: 'getUserStats', tags, ...auth, summary: 'My usage statistics',
  description:
    'Works, views, likes, follows, tasks and credits, read in one statement (also at `GET /api/stats/user`). `monthlyWorks` ' +
    'counts works created since the 1st of the current month (00:00 UTC); `weeklyViews` counts views of your works in the ' +
    'last 7 × 24 hours. `works`, `views` and `likes` repeat `totalWorks`, `totalViews` and `totalLikes` for older clients.',
  responses: { 200: ok(UserStatsSchema, 'Counts'), ...errors(401) },
})

export const getUserAvatarRoute = createRoute({
  method: 'get', path: '/{id}/avatar', operationId: 'getUserAvatar', security: noAuth, tags, summary: "A user's avatar image (public)",
  request: { params: UserIdParam },
  responses: {
    200: { description: 'Image bytes', content: { 'image/*': { schema: { type: 'string', format: 'binary' } } } },
    304: { description: 'Not modified' },
    ...errors(404),
  },
})
