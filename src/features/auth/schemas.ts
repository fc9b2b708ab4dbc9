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
  .openapi('User')

export const RegisterBody = z
  .object({ username: UsernameSchema, email: EmailSchema, password: PasswordSchema })
  .openapi('RegisterRequest')

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
  .openapi('LoginRequest')

export const TokensSchema = z
  .object({
    accessToken: z.string(),
    refreshToken: z.string(),
    tokenType: z.literal('Bearer'),
    expiresIn: z.number().int().openapi({ description: 'Access token lifetime in seconds' }),
    refreshExpiresIn: z.number().int().openapi({ description: 'Session lifetime in seconds' }),
    user: UserSchema,
  })
  .openapi('AuthTokens')

export const RefreshBody = z.object({ refreshToken: z.string().min(1).max(200) }).openapi('RefreshRequest')

export const WechatLoginBody = z
  .object({ code: z.string().min(1).max(128).openapi({ description: 'wx.login() code' }) })
  .openapi('WechatLoginRequest')
