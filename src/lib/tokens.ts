import { SignJWT, errors as joseErrors, jwtVerify } from 'jose'
import type { AuthUser } from '../env'
import { tokenLifetimes } from './config'
import { requireSecret } from './locality'
import { unauthorized } from './errors'
import { randomToken } from './ids'

export const TOKEN_ISSUER = 'darkroom'
export const ACCESS_AUDIENCE = 'darkroom:api'

function key(env: Env): Uint8Array {
  return new TextEncoder().encode(requireSecret(env, 'JWT_SECRET'))
}

/** A short-lived HS256 access token for `user` in session `sessionId`. */
export async function signAccessToken(env: Env, user: Omit<AuthUser, 'sessionId'>, sessionId: string) {
  const { accessSeconds } = tokenLifetimes(env)
  const token = await new SignJWT({ role: user.role, name: user.username, sid: sessionId })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setSubject(user.id)
    .setIssuer(TOKEN_ISSUER)
    .setAudience(ACCESS_AUDIENCE)
    .setIssuedAt()
    .setExpirationTime(`${accessSeconds}s`)
    .sign(key(env))
  return { token, expiresIn: accessSeconds }
}

export interface AccessClaims {
  userId: string
  sessionId: string
  /** When the token expires (ms since the epoch). */
  expiresAt: number
}

/**
 * Verifies signature (HS256 only: `none` and every other algorithm are refused), issuer,
 * audience and expiry. Whether the session is still alive is checked by the caller.
 */
export async function verifyAccessToken(env: Env, token: string): Promise<AccessClaims> {
  try {
    const { payload } = await jwtVerify(token, key(env), {
      algorithms: ['HS256'],
      issuer: TOKEN_ISSUER,
      audience: ACCESS_AUDIENCE,
      requiredClaims: ['sub', 'exp', 'iat'],
    })
    if (typeof payload.sub !== 'string' || typeof payload.sid !== 'string') {
      throw unauthorized('Invalid access token')
    }
    return { userId: payload.sub, sessionId: payload.sid, expiresAt: (payload.exp ?? 0) * 1000 }
  } catch (error) {
    if (error instanceof joseErrors.JWTExpired) throw unauthorized('Access token expired')
    if (error instanceof joseErrors.JOSEError) throw unauthorized('Invalid access token')
    throw error
  }
}

/** A new opaque refresh token; only its SHA-256 hash is stored. */
export function newRefreshToken(): string {
  return `rt_${randomToken(32)}`
}
