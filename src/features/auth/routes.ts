import { createRoute, z } from '@hono/zod-openapi'
import type { Db } from '../../env'
import { clientIp, requireAuth } from '../../lib/auth'
import { networkOf } from '../../lib/network'
import { requireSecret } from '../../lib/locality'
import { badRequest } from '../../lib/errors'
import { bearerAuth, createRouter, errors, jsonBody, ok } from '../../lib/openapi'
import { hitRateLimits, RATE_LIMITS } from '../../lib/rate-limit'
import { toUserDto } from '../users/dto'
import { readAvatar } from '../users/avatar'
import { LoginBody, RefreshBody, RegisterBody, RegisterForm, TokensSchema, UserSchema, WechatLoginBody } from './schemas'
import { checkCredentials, findUserByLogin, registerUser } from './service'
import { revokeSession, rotateRefreshToken, startSession } from './sessions'
import { exchangeWechatCode, findOrCreateWechatUser } from './wechat'

const tags = ['Auth']

const register = createRoute({
  method: 'post',
  path: '/register',
  tags,
  summary: 'Create an account',
  description:
    'JSON `{username, email, password}` or multipart with the same fields and an optional `avatar` ' +
    '(JPEG/PNG/WebP by content, at most 2 MB). Limited to 3 well-formed attempts per hour per IP.',
  request: {
    body: {
      content: {
        'application/json': { schema: RegisterBody },
        'multipart/form-data': { schema: RegisterForm },
      },
    },
  },
  responses: {
    201: ok(z.object({ user: UserSchema }), 'Account created'),
    ...errors(400, 409, 413, 415, 422, 429),
  },
})

const loginRoute = (path: string, summary: string, description: string) =>
  createRoute({
    method: 'post',
    path,
    tags,
    summary,
    description,
    request: { body: jsonBody(LoginBody) },
    responses: {
      200: ok(TokensSchema, 'Signed in'),
      ...errors(400, 401, ...(path.includes('admin') ? [403] : []), 423, 429),
    },
  })

const LOGIN_HELP =
  '`login` is a username or email (`username` / `email` are accepted too). Guessing protection (shared with ' +
  '`PUT /api/users/password`): each account and network (IPv4 address, IPv6 /64) gets 3 failed attempts, then an ' +
  'exponential backoff (30 s, doubling, at most 15 minutes) answered 429 with Retry-After, and 423 ACCOUNT_LOCKED ' +
  'from the 10th consecutive failure; only that network is held back, never for longer than 15 minutes. A network ' +
  'where the account signed in within 60 days is not affected by failures elsewhere. When an account sees 20 failures ' +
  'in 15 minutes, unknown networks get no free attempts and 10 attempts a minute between them. Each network may also ' +
  'make 5 attempts a minute across all accounts. The owner gets a `security.login_failures` event on `/api/ws`. ' +
  'The access token lives 15 minutes; the refresh token 24 hours, or 30 days with `rememberMe`.'

const login = loginRoute('/login', 'Sign in', LOGIN_HELP)
const adminLogin = loginRoute('/admin/login', 'Sign in as an administrator', `${LOGIN_HELP} Non-admins get 403.`)

const wechatLogin = createRoute({
  method: 'post',
  path: '/wechat/login',
  tags,
  summary: 'Sign in from a WeChat mini-program',
  description:
    'Exchanges the `wx.login()` code at WeChat jscode2session server-side, then finds or creates the ' +
    'user by openid. 401 for an invalid code, 502 when WeChat is unreachable (nothing is created), ' +
    '503 when the server has no WeChat credentials.',
  request: { body: jsonBody(WechatLoginBody) },
  responses: {
    200: ok(TokensSchema.extend({ isNewUser: z.boolean() }), 'Signed in'),
    ...errors(400, 401, 429, 502, 503),
  },
})

const refresh = createRoute({
  method: 'post',
  path: '/refresh',
  tags,
  summary: 'Rotate a refresh token',
  description:
    'Answers a new token pair; the presented refresh token stops working. A retry (lost response, two tabs) ' +
    'with the same token within 30 seconds of its rotation, while its successor is still unused, answers the SAME ' +
    'new refresh token and a fresh access token. Any other reuse of a rotated refresh token revokes the whole ' +
    'session (every token of that sign-in) and closes its sockets.',
  request: { body: jsonBody(RefreshBody) },
  responses: { 200: ok(TokensSchema, 'New tokens'), ...errors(400, 401) },
})

const logout = createRoute({
  method: 'post',
  path: '/logout',
  tags,
  summary: 'Sign out this session',
  description: 'Revokes the session: its refresh tokens and the current access token stop working, and its `/api/ws` sockets close with 4401.',
  security: bearerAuth,
  middleware: [requireAuth],
  responses: { 200: ok(z.object({ loggedOut: z.literal(true) }), 'Signed out'), ...errors(401) },
})

const me = createRoute({
  method: 'get',
  path: '/me',
  tags,
  summary: 'The current user',
  security: bearerAuth,
  middleware: [requireAuth],
  responses: { 200: ok(z.object({ user: UserSchema }), 'The signed-in user, with role and credits'), ...errors(401) },
})

export const authRoutes = createRouter()
  .openapi(register, async (c) => {
    const contentType = c.req.header('Content-Type') ?? ''
    let input: z.infer<typeof RegisterBody>
    let avatarField: unknown
    if (contentType.startsWith('multipart/form-data')) {
      const form = c.req.valid('form')
      input = { username: form.username, email: form.email, password: form.password }
      avatarField = (form as Record<string, unknown>).avatar
    } else if (contentType.startsWith('application/json')) {
      input = c.req.valid('json')
    } else {
      throw badRequest('Send JSON or multipart/form-data with username, email and password')
    }
    await hitRateLimits(c.env.DB, [[`register:ip:${networkOf(clientIp(c.req.raw.headers))}`, RATE_LIMITS.registerPerIp]])
    // A form with no file chosen sends an empty file: that is "no avatar", not an error.
    const noAvatar = avatarField === undefined || avatarField === '' || (avatarField instanceof File && avatarField.size === 0)
    const avatar = noAvatar ? undefined : await readAvatar(c.env, avatarField)
    const user = await registerUser(c.env, c.var.db, input, avatar)
    return c.json({ success: true as const, data: { user: toUserDto(user) }, message: 'Account created' }, 201)
  })
  .openapi(login, async (c) => {
    const body = c.req.valid('json')
    return c.json({ success: true as const, data: await signIn(c.env, c.var.db, c.req.raw.headers, body, false) }, 200)
  })
  .openapi(adminLogin, async (c) => {
    const body = c.req.valid('json')
    return c.json({ success: true as const, data: await signIn(c.env, c.var.db, c.req.raw.headers, body, true) }, 200)
  })
  .openapi(wechatLogin, async (c) => {
    const { code } = c.req.valid('json')
    requireSecret(c.env, 'JWT_SECRET') // fail before creating anyone if tokens cannot be signed
    await hitRateLimits(c.env.DB, [[`login:ip:${networkOf(clientIp(c.req.raw.headers))}`, RATE_LIMITS.loginPerIp]])
    const openId = await exchangeWechatCode(c.env, code)
    const { user, created } = await findOrCreateWechatUser(c.env, c.var.db, openId)
    const tokens = await startSession(c.env, c.var.db, user, {
      rememberMe: true,
      userAgent: c.req.header('User-Agent'),
    })
    return c.json({ success: true as const, data: { ...tokens, isNewUser: created } }, 200)
  })
  .openapi(refresh, async (c) => {
    const { refreshToken } = c.req.valid('json')
    return c.json({ success: true as const, data: await rotateRefreshToken(c.env, c.var.db, refreshToken) }, 200)
  })
  .openapi(logout, async (c) => {
    await revokeSession(c.env, c.var.user.id, c.var.user.sessionId, 'logout')
    return c.json({ success: true as const, data: { loggedOut: true as const }, message: 'Signed out' }, 200)
  })
  .openapi(me, async (c) => {
    const user = await c.var.db.query.users.findFirst({ where: (u, { eq }) => eq(u.id, c.var.user.id) })
    if (!user) throw badRequest('User no longer exists')
    return c.json({ success: true as const, data: { user: toUserDto(user) } }, 200)
  })

async function signIn(env: Env, db: Db, headers: Headers, body: z.infer<typeof LoginBody>, adminOnly: boolean) {
  const login = (body.login ?? body.username ?? body.email ?? '').trim()
  // Count per account, not per spelling: username and email of one account share a budget.
  const account = await findUserByLogin(db, login)
  const user = await checkCredentials(env, db, login, body.password, { adminOnly, user: account, ip: clientIp(headers) })
  return startSession(env, db, user, { rememberMe: body.rememberMe, userAgent: headers.get('User-Agent') ?? undefined })
}
