import { AsyncLocalStorage } from 'node:async_hooks'

export type LogLevel = 'debug' | 'info' | 'warn' | 'error'
export type LogFields = Record<string, unknown>

/** Field names whose values are never logged (matched on the name's ending: `appSecret`, `x-api-key`, `set-cookie`). */
const SECRET_FIELD = /(authorization|cookie|password|token|secret|signature|^sig|api[-_]?key|access[-_]?code)$/i
/** Query parameters that carry credentials: `?token=`, signed-URL `sig`, access codes, OAuth and WeChat codes. */
const SECRET_PARAM = /([?&](?:token|access_token|sig|signature|accessCode|code|js_code|secret|appsecret)=)[^&#\s"']*/gi
const BEARER = /\b(Bearer\s+)[\w.~+/=-]+/gi
const JWT = /\beyJ[\w-]{5,}\.[\w-]{5,}\.[\w-]{5,}/g
/** Our refresh tokens, Standard Webhooks secrets and Replicate API tokens, wherever they appear in text. */
const KNOWN_TOKENS = /\b(rt_|whsec_|r8_)[\w+/=-]{8,}/g

/** Text safe to log: credential query parameters, bearer tokens and JWTs replaced. */
export function redact(text: string): string {
  return text
    .replace(SECRET_PARAM, '$1[redacted]')
    .replace(BEARER, '$1[redacted]')
    .replace(JWT, '[jwt]')
    .replace(KNOWN_TOKENS, '$1[redacted]')
}

/** A request path for the logs, with `?token=` and other credential parameters stripped. */
export function loggablePath(url: string): string {
  try {
    const parsed = new URL(url, 'http://local')
    return redact(parsed.pathname + parsed.search)
  } catch {
    return redact(url)
  }
}

/** An error as one line: `Name: message`, redacted. */
export function errorText(error: unknown): string {
  return redact(error instanceof Error ? `${error.name}: ${error.message}` : String(error))
}

function clean(value: unknown, depth = 0): unknown {
  if (typeof value === 'string') return redact(value)
  if (value instanceof Error) return errorText(value)
  if (value === null || typeof value !== 'object') return value
  if (depth > 3) return '[truncated]'
  if (Array.isArray(value)) return value.slice(0, 20).map((v) => clean(v, depth + 1))
  return Object.fromEntries(
    Object.entries(value).map(([key, v]) => [key, SECRET_FIELD.test(key) ? '[redacted]' : clean(v, depth + 1)]),
  )
}

const requestScope = new AsyncLocalStorage<string>()

/** Runs `fn` with `requestId` attached to every log line it writes (set per request in app.ts). */
export function withRequestId<T>(requestId: string, fn: () => T): T {
  return requestScope.run(requestId, fn)
}

function write(level: LogLevel, msg: string, fields: LogFields = {}) {
  const requestId = requestScope.getStore()
  const line = JSON.stringify({ level, msg, ...(requestId ? { requestId } : {}), ...(clean(fields) as LogFields) })
  if (level === 'error') console.error(line)
  else if (level === 'warn') console.warn(line)
  else console.log(line)
}

/**
 * The structured logger: one JSON line per event with `level`, `msg`, the current `requestId`
 * and the given fields, with secrets and tokens removed. Workers Logs indexes the JSON fields.
 */
export const log = {
  debug: (msg: string, fields?: LogFields) => write('debug', msg, fields),
  info: (msg: string, fields?: LogFields) => write('info', msg, fields),
  warn: (msg: string, fields?: LogFields) => write('warn', msg, fields),
  error: (msg: string, fields?: LogFields) => write('error', msg, fields),
}
