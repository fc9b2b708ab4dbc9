import { createRoute, z } from '@hono/zod-openapi'
import { eq } from 'drizzle-orm'
import { users } from '../../db/schema'
import { clientIp, requireAuth } from '../../lib/auth'
import { badRequest, conflict, notFound, userExists } from '../../lib/errors'
import { bearerAuth, createRouter, errors, jsonBody, ok } from '../../lib/openapi'
import { hashPassword } from '../../lib/passwords'
import { EmailSchema, PasswordSchema, UserSchema, UsernameSchema } from '../auth/schemas'
import { assertIdentityFree, checkCurrentPassword, isUniqueViolation } from '../auth/service'
import { revokeOtherSessions } from '../auth/sessions'
import { deleteAvatarObject, readAvatar, storeAvatar } from './avatar'
import { toUserDto } from './dto'
import { userStats, UserStatsSchema } from './stats'
import { respondWithObject } from '../../lib/r2-response'

const tags = ['Users']
const auth = { security: bearerAuth, middleware: [requireAuth] }

const HttpUrl = z
  .url({ protocol: /^https?$/, error: 'Must be an http(s) URL' })
  .max(500)

const ProfileUpdate = z
  .object({
    username: UsernameSchema.optional(),
    email: EmailSchema.optional(),
    bio: z.string().trim().max(200, 'Bio must be at most 200 characters').nullable().optional(),
    website: z.union([HttpUrl, z.literal('')]).nullable().optional(),
    location: z.string().trim().max(100).nullable().optional(),
    avatarUrl: z.union([HttpUrl, z.literal('')]).nullable().optional(),
  })
  .refine((b) => Object.values(b).some((v) => v !== undefined), { message: 'Nothing to update' })
  .openapi('ProfileUpdate')

const PasswordChange = z
  .object({ currentPassword: z.string().min(1).max(128), newPassword: PasswordSchema })
  .refine((b) => b.currentPassword !== b.newPassword, {
    message: 'New password must differ from the current one',
    path: ['newPassword'],
  })
  .openapi('PasswordChange')

const getProfile = createRoute({
  method: 'get', path: '/profile', tags, ...auth, summary: 'My profile',
  responses: { 200: ok(z.object({ user: UserSchema }), 'Profile'), ...errors(401) },
})

const updateProfile = createRoute({
  method: 'put', path: '/profile', tags, ...auth, summary: 'Update my profile',
  description: 'Send only the fields to change. Empty string or null clears `bio`, `website`, `location`, `avatarUrl`. Unknown fields are ignored.',
  request: { body: jsonBody(ProfileUpdate) },
  responses: { 200: ok(z.object({ user: UserSchema }), 'Updated profile'), ...errors(400, 401, 409) },
})

const changePassword = createRoute({
  method: 'put', path: '/password', tags, ...auth, summary: 'Change my password',
  description:
    'Every other session of this account is revoked (their sockets close with 4401); this one stays signed in. ' +
    'Wrong current passwords count against the same per account and network budget as sign-in (see `POST /api/auth/login`): ' +
    '429 with Retry-After during backoff, 423 ACCOUNT_LOCKED from the 10th consecutive failure.',
  request: { body: jsonBody(PasswordChange) },
  responses: { 200: ok(z.object({ changed: z.literal(true) }), 'Password changed'), ...errors(400, 401, 423, 429) },
})

const uploadAvatar = createRoute({
  method: 'post', path: '/avatar', tags, ...auth, summary: 'Upload my avatar',
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
  responses: { 200: ok(z.object({ user: UserSchema }), 'Avatar stored'), ...errors(400, 401, 413, 415, 422) },
})

const stats = createRoute({
  method: 'get', path: '/stats', tags, ...auth, summary: 'My usage statistics',
  responses: { 200: ok(UserStatsSchema, 'Counts'), ...errors(401) },
})

const avatarBytes = createRoute({
  method: 'get', path: '/{id}/avatar', tags, summary: "A user's avatar image (public)",
  request: { params: z.object({ id: z.string().max(64) }) },
  responses: {
    200: { description: 'Image bytes', content: { 'image/*': { schema: { type: 'string', format: 'binary' } } } },
    304: { description: 'Not modified' },
    ...errors(404),
  },
})

export const userRoutes = createRouter()
  .openapi(getProfile, async (c) => {
    const user = await c.var.db.query.users.findFirst({ where: (u, { eq }) => eq(u.id, c.var.user.id) })
    if (!user) throw notFound('User')
    return c.json({ success: true as const, data: { user: toUserDto(user) } }, 200)
  })
  .openapi(updateProfile, async (c) => {
    const body = c.req.valid('json')
    const db = c.var.db
    const current = await db.query.users.findFirst({ where: (u, { eq }) => eq(u.id, c.var.user.id) })
    if (!current) throw notFound('User')
    await assertIdentityFree(db, { username: body.username, email: body.email }, current.id)
    const blankToNull = (v: string | null | undefined) => (v === undefined ? undefined : v === '' ? null : v)
    const avatarUrl = blankToNull(body.avatarUrl)
    const replacesStoredAvatar = avatarUrl !== undefined && current.avatarKey !== null
    const [user] = await db
      .update(users)
      .set({
        username: body.username,
        email: body.email?.toLowerCase(),
        bio: blankToNull(body.bio),
        website: blankToNull(body.website),
        location: blankToNull(body.location),
        avatarUrl,
        ...(replacesStoredAvatar ? { avatarKey: null } : {}),
        updatedAt: new Date(),
      })
      .where(eq(users.id, current.id))
      .returning()
      .catch((error: unknown) => {
        // Taken by someone else between the check above and this write: the index decides.
        if (isUniqueViolation(error)) throw userExists()
        throw error
      })
    if (replacesStoredAvatar) await deleteAvatarObject(c.env, current)
    return c.json({ success: true as const, data: { user: toUserDto(user!) }, message: 'Profile updated' }, 200)
  })
  .openapi(changePassword, async (c) => {
    const { currentPassword, newPassword } = c.req.valid('json')
    const db = c.var.db
    const user = await db.query.users.findFirst({ where: (u, { eq }) => eq(u.id, c.var.user.id) })
    if (!user) throw notFound('User')
    if (!user.passwordHash) throw badRequest('This account signs in with WeChat and has no password')
    await checkCurrentPassword(c.env, user, currentPassword, clientIp(c.req.raw.headers))
    await db.update(users).set({ passwordHash: await hashPassword(newPassword), updatedAt: new Date() }).where(eq(users.id, user.id))
    await revokeOtherSessions(c.env, db, user.id, c.var.user.sessionId, 'password_changed')
    return c.json({ success: true as const, data: { changed: true as const }, message: 'Password changed' }, 200)
  })
  .openapi(uploadAvatar, async (c) => {
    if (!(c.req.header('Content-Type') ?? '').startsWith('multipart/form-data')) {
      throw badRequest('Send multipart/form-data with an `avatar` file field')
    }
    const form = await c.req.parseBody().catch(() => {
      throw badRequest('Malformed multipart body')
    })
    if (form.avatar === undefined) throw badRequest('avatar file field is required', [{ field: 'avatar', message: 'Required' }])
    const avatar = await readAvatar(c.env, form.avatar)
    const db = c.var.db
    const current = await db.query.users.findFirst({ where: (u, { eq }) => eq(u.id, c.var.user.id) })
    if (!current) throw notFound('User')
    const stored = await storeAvatar(c.env, current.id, avatar)
    const [user] = await db.update(users).set({ ...stored, updatedAt: new Date() }).where(eq(users.id, current.id)).returning()
    await deleteAvatarObject(c.env, current)
    return c.json({ success: true as const, data: { user: toUserDto(user!) }, message: 'Avatar updated' }, 200)
  })
  .openapi(stats, async (c) => {
    return c.json({ success: true as const, data: await userStats(c.env, c.var.user.id) }, 200)
  })
  .openapi(avatarBytes, async (c) => {
    const { id } = c.req.valid('param')
    const user = await c.var.db.query.users.findFirst({ where: (u, { eq }) => eq(u.id, id), columns: { avatarKey: true } })
    if (!user?.avatarKey) throw notFound('Avatar')
    return respondWithObject(c.env.MEDIA, user.avatarKey, {
      request: c.req.raw,
      cacheControl: 'public, max-age=31536000, immutable',
      missing: () => notFound('Avatar'),
    })
  })
