import { clientIp } from '../../lib/auth'
import { badRequest } from '../../lib/errors'
import { createRouter } from '../../lib/openapi'
import { toUserDto } from './dto'
import { adminLoginRoute, getMeRoute, loginRoute, logoutRoute, refreshTokensRoute, registerRoute, wechatLoginRoute } from './routes'
import type { RegisterInput } from './schemas'
import { type ClientInfo, findAccount, register, signIn, signInWithWechat } from './service'
import { revokeSession, rotateRefreshToken } from './sessions'

const clientOf = (headers: Headers): ClientInfo => ({ ip: clientIp(headers), userAgent: headers.get('User-Agent') ?? undefined })

export const authRoutes = createRouter()
  .openapi(registerRoute, async (c) => {
    const contentType = c.req.header('Content-Type') ?? ''
    let input: RegisterInput
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
    const user = await register(c.env, c.var.db, input, avatarField, clientOf(c.req.raw.headers))
    return c.json({ success: true as const, data: { user: toUserDto(user) }, message: 'Account created' }, 201)
  })
  .openapi(loginRoute, async (c) => {
    const client = { ...clientOf(c.req.raw.headers), adminOnly: false }
    return c.json({ success: true as const, data: await signIn(c.env, c.var.db, c.req.valid('json'), client) }, 200)
  })
  .openapi(adminLoginRoute, async (c) => {
    const client = { ...clientOf(c.req.raw.headers), adminOnly: true }
    return c.json({ success: true as const, data: await signIn(c.env, c.var.db, c.req.valid('json'), client) }, 200)
  })
  .openapi(wechatLoginRoute, async (c) => {
    const { code } = c.req.valid('json')
    return c.json({ success: true as const, data: await signInWithWechat(c.env, c.var.db, code, clientOf(c.req.raw.headers)) }, 200)
  })
  .openapi(refreshTokensRoute, async (c) => {
    const { refreshToken } = c.req.valid('json')
    return c.json({ success: true as const, data: await rotateRefreshToken(c.env, c.var.db, refreshToken) }, 200)
  })
  .openapi(logoutRoute, async (c) => {
    await revokeSession(c.env, c.var.user.id, c.var.user.sessionId, 'logout')
    return c.json({ success: true as const, data: { loggedOut: true as const }, message: 'Signed out' }, 200)
  })
  .openapi(getMeRoute, async (c) => {
    const user = await findAccount(c.var.db, c.var.user.id)
    if (!user) throw badRequest('User no longer exists')
    return c.json({ success: true as const, data: { user: toUserDto(user) } }, 200)
  })
