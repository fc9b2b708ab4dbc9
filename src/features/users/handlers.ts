import { clientIp } from '../../lib/auth'
import { badRequest, notFound } from '../../lib/errors'
import { createRouter } from '../../lib/openapi'
import { respondWithObject } from '../../lib/r2-response'
import { toUserDto } from '../auth/dto'
import {
  changePasswordRoute,
  getProfileRoute,
  getUserAvatarRoute,
  getUserStatsRoute,
  updateProfileRoute,
  uploadAvatarRoute,
} from './routes'
import { avatarKeyOf, changeOwnPassword, getProfile, replaceAvatar, updateProfile, userStats } from './service'

export const userRoutes = createRouter()
  .openapi(getProfileRoute, async (c) => {
    const user = await getProfile(c.var.db, c.var.user.id)
    return c.json({ success: true as const, data: { user: toUserDto(user) } }, 200)
  })
  .openapi(updateProfileRoute, async (c) => {
    const user = await updateProfile(c.env, c.var.db, c.var.user.id, c.req.valid('json'))
    return c.json({ success: true as const, data: { user: toUserDto(user) }, message: 'Profile updated' }, 200)
  })
  .openapi(changePasswordRoute, async (c) => {
    const { currentPassword, newPassword } = c.req.valid('json')
    const change = { currentPassword, newPassword, keepSessionId: c.var.user.sessionId, ip: clientIp(c.req.raw.headers) }
    await changeOwnPassword(c.env, c.var.db, c.var.user.id, change)
    return c.json({ success: true as const, data: { changed: true as const }, message: 'Password changed' }, 200)
  })
  .openapi(uploadAvatarRoute, async (c) => {
    if (!(c.req.header('Content-Type') ?? '').startsWith('multipart/form-data')) {
      throw badRequest('Send multipart/form-data with an `avatar` file field')
    }
    const form = await c.req.parseBody().catch(() => {
      throw badRequest('Malformed multipart body')
    })
    if (form.avatar === undefined) throw badRequest('avatar file field is required', [{ field: 'avatar', message: 'Required' }])
    const user = await replaceAvatar(c.env, c.var.db, c.var.user.id, form.avatar)
    return c.json({ success: true as const, data: { user: toUserDto(user) }, message: 'Avatar updated' }, 200)
  })
  .openapi(getUserStatsRoute, async (c) => {
    return c.json({ success: true as const, data: await userStats(c.env, c.var.user.id) }, 200)
  })
  .openapi(getUserAvatarRoute, async (c) => {
    const key = await avatarKeyOf(c.var.db, c.req.valid('param').id)
    return respondWithObject(c.env.MEDIA, key, {
      request: c.req.raw,
      cacheControl: 'public, max-age=31536000, immutable',
      missing: () => notFound('Avatar'),
    })
  })
