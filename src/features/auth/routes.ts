import { createRoute, z } from '@hono/zod-openapi'
import { requireAuth } from '../../lib/auth'
import { bearerAuth, errors, jsonBody, noAuth, ok } from '../../lib/openapi'
import { LoginBody, RefreshBody, RegisterBody, RegisterForm, TokensSchema, UserResponse, WechatLoginBody, WechatTokensSchema } from './schemas'

const tags = ['Auth']

export const registerRoute = createRoute({
  method: 'post',
  path: '/register',
  operationId: 'register', security: noAuth,
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
    201: ok(UserResponse, 'Account created'),
    ...errors(400, 409, 413, 415, 422, 429),
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

export const loginRoute = createRoute({
  method: 'post',
  path: '/login',
  operationId: 'login', security: noAuth,
  tags,
  summary: 'Sign in',
  description: `${LOGIN_HELP} A disabled account answers 403 ACCOUNT_DISABLED (only with the right password).`,
  request: { body: jsonBody(LoginBody) },
  responses: { 200: ok(TokensSchema, 'Signed in'), ...errors(400, 401, 403, 423, 429) },
})

export const adminLoginRoute = createRoute({
  method: 'post',
  path: '/admin/login',
  operationId: 'adminLogin', security: noAuth,
  tags,
  summary: 'Sign in as an administrator',
  description: `${LOGIN_HELP} Non-admins get 403 FORBIDDEN, a disabled account 403 ACCOUNT_DISABLED.`,
  request: { body: jsonBody(LoginBody) },
  responses: { 200: ok(TokensSchema, 'Signed in'), ...errors(400, 401, 403, 423, 429) },
})

export const wechatLoginRoute = createRoute({
  method: 'post',
  path: '/wechat/login',
  operationId: 'wechatLogin', security: noAuth,
  tags,
  summary: 'Sign in from a WeChat mini-program',
  description:
    'Exchanges the `wx.login()` code at WeChat jscode2session server-side, then finds or creates the ' +
    'user by openid. 401 for an invalid code, 502 when WeChat is unreachable (nothing is created), ' +
    '503 when the server has no WeChat credentials, 403 ACCOUNT_DISABLED when an admin disabled the account.',
  request: { body: jsonBody(WechatLoginBody) },
  responses: {
    200: ok(WechatTokensSchema, 'Signed in'),
    ...errors(400, 401, 403, 429, 502, 503),
  },
})

export const refreshTokensRoute = createRoute({
  method: 'post',
  path: '/refresh',
  operationId: 'refreshTokens', security: noAuth,
  tags,
  summary: 'Rotate a refresh token',
  description:
    'Answers a new token pair; the presented refresh token stops working. A retry (lost response, two tabs) ' +
    'with the same token within 30 seconds of its rotation, while its successor is still unused, answers the SAME ' +
    'new refresh token and a fresh access token. Any other reuse of a rotated refresh token revokes the whole ' +
    'session (every token of that sign-in) and closes its sockets. A disabled account answers 403 ACCOUNT_DISABLED ' +
    '(its sessions were revoked when it was disabled and stay revoked after it is enabled again: sign in anew).',
  request: { body: jsonBody(RefreshBody) },
  responses: { 200: ok(TokensSchema, 'New tokens'), ...errors(400, 401, 403) },
})

export const logoutRoute = createRoute({
  method: 'post',
  path: '/logout',
  operationId: 'logout',
  tags,
  summary: 'Sign out this session',
  description: 'Revokes the session: its refresh tokens and the current access token stop working, and its `/api/ws` sockets close with 4401.',
  security: bearerAuth,
  middleware: [requireAuth],
  responses: { 200: ok(z.object({ loggedOut: z.literal(true) }), 'Signed out'), ...errors(401) },
})

export const getMeRoute = createRoute({
  method: 'get',
  path: '/me',
  operationId: 'getMe',
  tags,
  summary: 'The current user',
  security: bearerAuth,
  middleware: [requireAuth],
  responses: { 200: ok(UserResponse, 'The signed-in user, with role and credits'), ...errors(401) },
})
