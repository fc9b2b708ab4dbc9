import { createMiddleware } from 'hono/factory'
import type { AppEnv } from '../../env'
import { authenticate, bearerToken } from '../../lib/auth'
import { maintenance } from '../../lib/errors'
import { getSetting } from './service'

const READS = new Set(['GET', 'HEAD', 'OPTIONS'])

/**
 * Writes that stay open in maintenance: signing in, refreshing and signing out (admins must get
 * in; readers keep their sessions; a guest's access code is a sign-in to read), provider
 * callbacks and payment notifications (generation and money already in flight must settle).
 */
const ALWAYS_OPEN = [
  /^\/api\/auth\/(login|admin\/login|wechat\/login|refresh|logout)$/,
  /^\/api\/callbacks?\//,
  /^\/api\/payments\//,
  /^\/api\/live\/sessions\/[^/]+\/verify$/,
]

/**
 * While the `maintenance` setting is on, writes under /api by anyone but an admin answer 503
 * MAINTENANCE with Retry-After. Costs nothing extra on reads, and on writes one cached settings
 * read; the caller's token is checked (one D1 read) only while maintenance is on.
 */
export const maintenanceGuard = createMiddleware<AppEnv>(async (c, next) => {
  if (READS.has(c.req.method) || ALWAYS_OPEN.some((open) => open.test(c.req.path))) return next()
  if (!(await getSetting(c.env, 'maintenance'))) return next()
  const token = bearerToken(c.req.header('Authorization'))
  // A bad or expired token is simply not an admin's: the answer is still MAINTENANCE, not 401.
  const caller = token ? await authenticate(c.env, token).catch(() => null) : null
  if (caller?.role !== 'admin') throw maintenance()
  return next()
})
