import type { AuthUser } from '../../../env'
import { authenticate, bearerToken } from '../../../lib/auth'

/**
 * The signed-in caller of a route that also serves anonymous readers (profiles, follower lists,
 * comments): null without an `Authorization` header. A token that is sent but no longer valid
 * is 401, as on authenticated routes, so a client learns to refresh rather than silently
 * seeing the anonymous answer.
 */
export async function optionalViewer(env: Env, authorization: string | undefined): Promise<AuthUser | null> {
  const token = bearerToken(authorization)
  return token ? authenticate(env, token) : null
}

/** Security of such routes in the OpenAPI document: a bearer token, or none. */
export const bearerOrAnonymous: Array<Record<string, string[]>> = [{ bearerAuth: [] }, {}]
