import { z } from '@hono/zod-openapi'
import { USER_ROLES } from '../../db/schema'

export const UsernameSchema = z
  .string()
  .regex(/^[A-Za-z0-9_]{3,20}$/, 'Username must be 3-20 letters, digits or underscores')
  .openapi({ example: 'ada_l' })

export const EmailSchema = z.email('Invalid email address').max(254).openapi({ example: 'ada@example.com' })

export const PasswordSchema = z
  .string()
  .min(8, 'Password must be at least 8 characters')
  .max(128, 'Password must be at most 128 characters')
  .regex(/[A-Za-z]/, 'Password must contain a letter')
  .regex(/[0-9]/, 'Password must contain a digit')
  .openapi({ example: 'correct-horse-9' })

const USER_EXAMPLE = {
  id: 'usr_8f3k2m1q9z',
  username: 'ada_l',
  email: 'ada@example.com',
  role: 'user',
  credits: 100,
  bio: null,
  website: null,
  location: null,
  avatarUrl: '/api/users/usr_8f3k2m1q9z/avatar?v=1a2b3c4d',
  createdAt: '2026-03-01T09:30:00.000Z',
  updatedAt: '2026-03-01T09:30:00.000Z',
  lastLoginAt: '2026-03-02T18:04:11.000Z',
} as const

export const UserSchema = z
  .object({
    id: z.string(),
    username: z.string(),
    email: z.string().nullable(),
    role: z.enum(USER_ROLES),
    credits: z.number().int(),
    bio: z.string().nullable(),
    website: z.string().nullable(),
    location: z.string().nullable(),
    avatarUrl: z.string().nullable(),
    createdAt: z.string().openapi({ format: 'date-time' }),
    updatedAt: z.string().openapi({ format: 'date-time' }),
    lastLoginAt: z.string().nullable().openapi({ format: 'date-time' }),
  })
  .openapi('User', { example: USER_EXAMPLE })


/** `{user}`: the answer of registration, `/me` and the profile routes. */
export const UserResponse = z.object({ user: UserSchema })

export const RegisterBody = z
  .object({ username: UsernameSchema, email: EmailSchema, password: PasswordSchema })
  .openapi('RegisterRequest', { example: { username: 'ada_l', email: 'ada@example.com', password: 'correct-horse-9' } })

export type RegisterInput = z.output<typeof RegisterBody>

/** The multipart form of registration; `avatar` is validated by the handler (bytes, type). */
export const RegisterForm = RegisterBody.extend({
  avatar: z
    .unknown()
    .optional()
    .openapi({ type: 'string', format: 'binary', description: 'jpg, png or webp, at most 2 MB' }),
})

export const LoginBody = z
  .object({
    login: z.string().min(1).max(254).optional().openapi({ description: 'Username or email' }),
    username: z.string().min(1).max(254).optional(),
    email: z.string().min(1).max(254).optional(),
    password: z.string().min(1, 'Password is required').max(128),
    rememberMe: z.boolean().optional().default(false).openapi({
      description: 'Keep the session for 30 days instead of 24 hours',
    }),
  })
  .refine((b) => Boolean(b.login ?? b.username ?? b.email), {
    message: 'login (username or email) is required',
    path: ['login'],
  })
  .openapi('LoginRequest', { example: { login: 'ada_l', password: 'correct-horse-9', rememberMe: true } })

export type LoginInput = z.output<typeof LoginBody>

const TOKENS_EXAMPLE = {
  accessToken: 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ1c3JfOGYzazJtMXE5eiJ9.c2lnbmF0dXJl',
  refreshToken: 'rt_Xq2v8bS1mK0pL7dN4rT9wY3zA6cF5hJ2',
  tokenType: 'Bearer',
  expiresIn: 900,
  refreshExpiresIn: 2592000,
  user: { ...USER_EXAMPLE, avatarUrl: null },
}

export const TokensSchema = z
  .object({
    accessToken: z.string(),
    refreshToken: z.string(),
    tokenType: z.literal('Bearer'),
    expiresIn: z.number().int().openapi({ description: 'Access token lifetime in seconds' }),
    refreshExpiresIn: z.number().int().openapi({ description: 'Session lifetime in seconds' }),
    user: UserSchema,
  })
  .openapi('AuthTokens', { example: TOKENS_EXAMPLE })

/** A WeChat sign-in also says whether it created the account. */
export const WechatTokensSchema = TokensSchema.extend({ isNewUser: z.boolean() }).openapi('WechatAuthTokens', {
  example: { ...TOKENS_EXAMPLE, isNewUser: true },
})

export const RefreshBody = z
  .object({ refreshToken: z.string().min(1).max(200) })
  .openapi('RefreshRequest', { example: { refreshToken: 'rt_Xq2v8bS1mK0pL7dN4rT9wY3zA6cF5hJ2' } })

export const WechatLoginBody = z
  .object({ code: z.string().min(1).max(128).openapi({ description: 'wx.login() code' }) })
  .openapi('WechatLoginRequest', { example: { code: '0a3Bc1000Xyz2Q1uVw300kLm9p3Bc10b' } })
