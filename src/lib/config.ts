import { configurationError } from './errors'

/** Environments where missing secrets fall back to documented development defaults. */
const LOCAL_ENVIRONMENTS = new Set(['development', 'test'])

export function isLocal(env: Env): boolean {
  return LOCAL_ENVIRONMENTS.has(env.ENVIRONMENT)
}

function positiveInt(value: string | undefined, fallback: number): number {
  const n = Number(value)
  return Number.isFinite(n) && n > 0 ? Math.floor(n) : fallback
}

export function tokenLifetimes(env: Env) {
  return {
    accessSeconds: positiveInt(env.ACCESS_TOKEN_TTL_SECONDS, 900),
    sessionSeconds: positiveInt(env.SESSION_TTL_SECONDS, 86_400),
    rememberMeSeconds: positiveInt(env.REMEMBER_ME_TTL_SECONDS, 2_592_000),
  }
}

const DEV_SECRET = 'darkroom-local-development-secret-do-not-use-in-production'

/**
 * A secret from env/.dev.vars. Local development falls back to a fixed development value;
 * anywhere else a missing or short secret is a clear configuration error, never a silent default.
 */
export function requireSecret(env: Env, name: 'JWT_SECRET' | 'URL_SIGNING_SECRET'): string {
  const value = env[name]
  if (value && value.length >= 32) return value
  if (isLocal(env)) return `${DEV_SECRET}:${name}`
  throw configurationError(
    `Server misconfigured: ${name} is ${value ? 'shorter than 32 characters' : 'not set'}. ` +
      `Set it with \`wrangler secret put ${name}\`.`,
  )
}

export function maxImageBytes(env: Env): number {
  return positiveInt(env.MAX_IMAGE_BYTES, 50 * 1024 * 1024)
}
