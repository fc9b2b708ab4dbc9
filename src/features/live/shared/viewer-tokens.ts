import { SignJWT, errors as joseErrors, jwtVerify } from 'jose'
import { requireSecret } from '../../../lib/locality'
import { unauthorized } from '../../../lib/errors'
import { TOKEN_ISSUER } from '../../../lib/tokens'

export const VIEWER_AUDIENCE = 'darkroom:live-viewer'
export const VIEWER_TOKEN_SECONDS = 12 * 3600

export interface ViewerClaims {
  sessionId: string
  guestId: string
  codeVersion: number
}

const key = (env: Env) => new TextEncoder().encode(requireSecret(env, 'JWT_SECRET'))

/** A guest's token for one live session. It carries the code version: a new code ends it. */
export async function signViewerToken(env: Env, claims: ViewerClaims, lifetimeSeconds = VIEWER_TOKEN_SECONDS) {
  const token = await new SignJWT({ sid: claims.sessionId, gid: claims.guestId, cv: claims.codeVersion })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setIssuer(TOKEN_ISSUER)
    .setAudience(VIEWER_AUDIENCE)
    .setSubject(claims.guestId)
    .setIssuedAt()
    .setExpirationTime(`${lifetimeSeconds}s`)
    .sign(key(env))
  return { token, expiresIn: lifetimeSeconds }
}

/** Verifies signature, audience and expiry; null when the token is not a viewer token at all. */
export async function readViewerToken(env: Env, token: string): Promise<(ViewerClaims & { expiresAt: number }) | null> {
  try {
    const { payload } = await jwtVerify(token, key(env), { algorithms: ['HS256'], issuer: TOKEN_ISSUER, audience: VIEWER_AUDIENCE })
    if (typeof payload.sid !== 'string' || typeof payload.gid !== 'string' || typeof payload.cv !== 'number') return null
    return { sessionId: payload.sid, guestId: payload.gid, codeVersion: payload.cv, expiresAt: (payload.exp ?? 0) * 1000 }
  } catch (error) {
    if (error instanceof joseErrors.JWTExpired) throw unauthorized('Viewer token expired: enter the access code again')
    return null
  }
}
