import { AsyncLocalStorage } from 'node:async_hooks'
import { config } from './config'
import { configurationError } from './errors'

/** Environments where missing secrets may fall back to documented development defaults. */
const LOCAL_ENVIRONMENTS = new Set(['development', 'test'])

export function isLocal(env: Env): boolean {
  return LOCAL_ENVIRONMENTS.has(config(env).ENVIRONMENT)
}

/**
 * Whether the work running now was started by a request to this machine (localhost,
 * 127.0.0.0/8, ::1). Set per request by `localRequestScope` in app.ts, and per socket by the
 * Durable Objects that act on a request's behalf. Anything else (queue, cron, no scope) is
 * not local: development fallbacks are refused there.
 */
const localScope = new AsyncLocalStorage<boolean>()

/**
 * True for a request made on this machine: the URL's host is a loopback name or address AND the
 * connecting address (when the edge reports one) is loopback too, since the Host header alone is
 * the client's to choose.
 */
export function isLocalRequest(url: string, connectingIp: string | null): boolean {
  if (connectingIp !== null && !/^(127\.\d{1,3}\.\d{1,3}\.\d{1,3}|::1|::ffff:127\.\d{1,3}\.\d{1,3}\.\d{1,3})$/.test(connectingIp.trim())) return false
  return isLoopbackUrl(url)
}

/** True for a URL whose host is a loopback name or address. */
export function isLoopbackUrl(url: string): boolean {
  let host: string
  try {
    host = new URL(url).hostname.toLowerCase()
  } catch {
    return false
  }
  if (host === 'localhost' || host.endsWith('.localhost') || host === '[::1]' || host === '::1') return true
  return /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host)
}

/** Runs `fn` with development fallbacks allowed only when `local` (the work came from a loopback request). */
export function withLocalScope<T>(local: boolean, fn: () => T): T {
  return localScope.run(local, fn)
}

/** Whether the current work may use development fallbacks for missing secrets. */
export function allowsDevFallback(env: Env): boolean {
  return isLocal(env) && localScope.getStore() === true
}

const DEV_SECRET = 'darkroom-local-development-secret-do-not-use-in-production'

/**
 * A secret from env/.dev.vars. A missing or short secret falls back to a fixed, public
 * development value only in a development/test ENVIRONMENT *and* for work started by a request
 * to localhost; anywhere else it is a clear configuration error, never a silent default.
 */
export function requireSecret(env: Env, name: 'JWT_SECRET' | 'URL_SIGNING_SECRET'): string {
  const value = config(env)[name]
  if (value && value.length >= 32) return value
  if (allowsDevFallback(env)) return `${DEV_SECRET}:${name}`
  const localOnly = isLocal(env) ? ' (development fallbacks apply only to requests to localhost)' : ''
  throw configurationError(
    `Server misconfigured: ${name} is ${value ? 'shorter than 32 characters' : 'not set'}${localOnly}. ` +
      `Set it with \`wrangler secret put ${name}\`.`,
  )
}
