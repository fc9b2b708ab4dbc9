import { z } from 'zod'
import { configurationError } from './errors'

/** `''` (an empty var in wrangler.toml or .dev.vars) means "not set". */
const unset = (value: unknown) => (typeof value === 'string' && value.trim() === '' ? undefined : value)

const positiveInt = (fallback: number) => z.preprocess(unset, z.coerce.number().int().positive().default(fallback))
const nonNegativeInt = (fallback: number) => z.preprocess(unset, z.coerce.number().int().min(0).default(fallback))
const optionalText = z.preprocess(unset, z.string().optional())
/** An http(s) origin or base URL; trailing slashes dropped. */
const baseUrl = z.preprocess(
  unset,
  z
    .url({ protocol: /^https?$/, error: 'must be an http(s) URL' })
    .transform((url) => url.replace(/\/+$/, ''))
    .optional(),
)
/** An http(s) URL used as given (a webhook endpoint). */
const httpUrl = z.preprocess(unset, z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }).optional())
/** A comma-separated list; empty entries dropped. */
const list = z.preprocess(unset, z.string().optional()).transform((value) =>
  (value ?? '')
    .split(',')
    .map((entry) => entry.trim())
    .filter(Boolean),
)

export const GENERATION_PROVIDERS = ['local', 'webhook', 'comfyui', 'replicate'] as const

/**
 * Every plain variable the Worker reads (wrangler.toml `[vars]`, `.dev.vars`, secrets), parsed
 * once per `env` object. Secrets whose absence is allowed only for local development requests
 * (`JWT_SECRET`, `URL_SIGNING_SECRET`) are checked where they are used, by `requireSecret`.
 */
const ConfigSchema = z.object({
  /** `development` and `test` allow local fallbacks (see locality.ts); any other name is a deployment. */
  ENVIRONMENT: z.preprocess(unset, z.string().default('production')),
  APP_VERSION: z.preprocess(unset, z.string().default('0.0.0')),
  CORS_ORIGINS: list,
  ACCESS_TOKEN_TTL_SECONDS: positiveInt(900),
  SESSION_TTL_SECONDS: positiveInt(86_400),
  REMEMBER_ME_TTL_SECONDS: positiveInt(2_592_000),
  MAX_IMAGE_BYTES: positiveInt(50 * 1024 * 1024),
  SIGNUP_CREDITS: nonNegativeInt(100),
  TASK_TIMEOUT_SECONDS: positiveInt(900),
  /** How long an isolate may keep runtime settings (`features/settings`) before reading D1 again; 0 reads every time. */
  SETTINGS_CACHE_SECONDS: nonNegativeInt(10),
  GENERATION_PROVIDER: z.preprocess(unset, z.enum(GENERATION_PROVIDERS).default('local')),
  PUBLIC_BASE_URL: baseUrl,
  WEBHOOK_PROVIDER_URL: httpUrl,
  WEBHOOK_RESULT_HOSTS: list,
  WEBHOOK_SECRET: optionalText,
  WEBHOOK_SIGNING_SECRET: optionalText,
  COMFYUI_URL: baseUrl,
  REPLICATE_API_BASE: baseUrl.transform((url) => url ?? 'https://api.replicate.com'),
  REPLICATE_API_TOKEN: optionalText,
  REPLICATE_MODEL: optionalText,
  REPLICATE_RESULT_HOSTS: list,
  REPLICATE_WEBHOOK_SECRET: optionalText,
  WECHAT_API_BASE: baseUrl.transform((url) => url ?? 'https://api.weixin.qq.com'),
  WECHAT_APP_ID: optionalText,
  WECHAT_APP_SECRET: optionalText,
  /** WeChat Pay API v3 (JSAPI, mini-programs); all of WECHAT_APP_ID and these set = `wechat` available. */
  WECHAT_PAY_MCH_ID: optionalText,
  WECHAT_PAY_SERIAL_NO: optionalText,
  WECHAT_PAY_PRIVATE_KEY: optionalText,
  WECHAT_PAY_PLATFORM_PUBLIC_KEY: optionalText,
  WECHAT_PAY_PLATFORM_SERIAL: optionalText,
  WECHAT_PAY_API_V3_KEY: optionalText,
  WECHAT_PAY_API_BASE: baseUrl.transform((url) => url ?? 'https://api.mch.weixin.qq.com'),
  /** Stripe Checkout; all four set = `stripe` available. */
  STRIPE_SECRET_KEY: optionalText,
  STRIPE_WEBHOOK_SECRET: optionalText,
  STRIPE_API_BASE: baseUrl.transform((url) => url ?? 'https://api.stripe.com'),
  STRIPE_SUCCESS_URL: httpUrl,
  STRIPE_CANCEL_URL: httpUrl,
  JWT_SECRET: optionalText,
  URL_SIGNING_SECRET: optionalText,
})

export type Config = z.infer<typeof ConfigSchema>

const parsed = new WeakMap<object, Config>()

/**
 * The Worker's configuration, parsed and cached per `env` object. A bad value is a 500
 * CONFIGURATION_ERROR that names the variable (never the value, which may be a secret).
 */
export function config(env: Env): Config {
  const cached = parsed.get(env)
  if (cached) return cached
  const result = ConfigSchema.safeParse(env)
  if (!result.success) {
    const problems = result.error.issues.map((issue) => `${issue.path.join('.')} ${issue.message}`)
    throw configurationError(`Server misconfigured: ${problems.join('; ')}`)
  }
  parsed.set(env, result.data)
  return result.data
}

export function tokenLifetimes(env: Env) {
  const c = config(env)
  return {
    accessSeconds: c.ACCESS_TOKEN_TTL_SECONDS,
    sessionSeconds: c.SESSION_TTL_SECONDS,
    rememberMeSeconds: c.REMEMBER_ME_TTL_SECONDS,
  }
}

export function maxImageBytes(env: Env): number {
  return config(env).MAX_IMAGE_BYTES
}
