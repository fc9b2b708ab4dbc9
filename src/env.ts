import type { DrizzleD1Database } from 'drizzle-orm/d1'
import type * as schema from './db/schema'

export type Db = DrizzleD1Database<typeof schema>

/** The signed-in caller, set by `requireAuth`. */
export interface AuthUser {
  id: string
  username: string
  role: 'user' | 'admin'
  /** The session (refresh-token family) the access token belongs to. */
  sessionId: string
}

export type AppEnv = {
  Bindings: Env
  Variables: {
    requestId: string
    db: Db
    user: AuthUser
  }
}
