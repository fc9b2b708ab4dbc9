import type { ContentfulStatusCode } from 'hono/utils/http-status'

/**
 * Every error code the API answers, with its one HTTP status. `ApiError`, the `onError`
 * fallback and the OpenAPI error documentation all read this table; a code that is not here
 * does not type-check.
 */
export const codeToStatus = {
  VALIDATION_ERROR: 400,
  INVALID_MODEL: 400,
  UNAUTHORIZED: 401,
  INVALID_CREDENTIALS: 401,
  INVALID_SIGNATURE: 401,
  INSUFFICIENT_CREDITS: 402,
  FORBIDDEN: 403,
  ACCOUNT_DISABLED: 403,
  NOT_FOUND: 404,
  METHOD_NOT_ALLOWED: 405,
  CONFLICT: 409,
  USER_EXISTS: 409,
  DUPLICATE_TITLE: 409,
  SESSION_ENDED: 410,
  PAYLOAD_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  RANGE_NOT_SATISFIABLE: 416,
  INVALID_IMAGE: 422,
  CONTENT_VIOLATION: 422,
  ACCOUNT_LOCKED: 423,
  UPGRADE_REQUIRED: 426,
  RATE_LIMITED: 429,
  SERVER_ERROR: 500,
  CONFIGURATION_ERROR: 500,
  UPSTREAM_ERROR: 502,
  GENERATION_FAILED: 502,
  NOT_CONFIGURED: 503,
  NOT_READY: 503,
  SERVICE_UNAVAILABLE: 503,
  MAINTENANCE: 503,
} as const satisfies Record<string, ContentfulStatusCode>

export type ErrorCode = keyof typeof codeToStatus
export const ERROR_CODES = Object.keys(codeToStatus) as [ErrorCode, ...ErrorCode[]]

/** What each code means, for the OpenAPI error documentation. */
export const ERROR_MEANING: Record<ErrorCode, string> = {
  VALIDATION_ERROR: 'invalid input; `details` names each failing field',
  INVALID_MODEL: 'the model is not one of `GET /api/models`',
  UNAUTHORIZED: 'missing, invalid or expired credentials',
  INVALID_CREDENTIALS: 'wrong login, password or access code',
  INVALID_SIGNATURE: 'webhook signature missing, stale or wrong',
  INSUFFICIENT_CREDITS: 'not enough credits; `details` has `required` and `balance`',
  FORBIDDEN: 'signed in but not allowed',
  ACCOUNT_DISABLED: 'an admin disabled this account; it cannot sign in',
  NOT_FOUND: 'not found, or not yours',
  METHOD_NOT_ALLOWED: 'the route does not take this method',
  CONFLICT: 'conflicts with the current state',
  USER_EXISTS: 'username or email already registered',
  DUPLICATE_TITLE: 'another of your works already has this title',
  SESSION_ENDED: 'the live session has ended',
  PAYLOAD_TOO_LARGE: 'body or file too large',
  UNSUPPORTED_MEDIA_TYPE: 'content type not accepted here',
  RANGE_NOT_SATISFIABLE: 'the Range lies outside the object',
  INVALID_IMAGE: 'not a decodable image, or too many pixels',
  CONTENT_VIOLATION: 'the content breaks the content rules (a provider refused it, or review rejected it)',
  ACCOUNT_LOCKED: 'too many failed sign-ins from this network, see Retry-After',
  UPGRADE_REQUIRED: 'this endpoint speaks WebSocket',
  RATE_LIMITED: 'too many requests, see Retry-After',
  SERVER_ERROR: 'unexpected failure; `details.requestId` identifies it in the logs',
  CONFIGURATION_ERROR: 'the server is misconfigured (names the variable)',
  UPSTREAM_ERROR: 'an upstream service failed',
  GENERATION_FAILED: 'the generation provider failed (shown as a task\'s `errorCode`)',
  NOT_CONFIGURED: 'this feature is not configured on this server',
  NOT_READY: 'not ready yet, retry after Retry-After',
  SERVICE_UNAVAILABLE: 'a dependency is unavailable; nothing was changed',
  MAINTENANCE: 'the service is in maintenance: writes are paused, reads work',
}

/** The codes answered with `status`, first the one used when only the status is known. */
export function codesForStatus(status: number): ErrorCode[] {
  return ERROR_CODES.filter((code) => codeToStatus[code] === status)
}

export interface ApiErrorOptions {
  details?: unknown
  headers?: Record<string, string>
}

/**
 * An error that becomes the API error envelope `{ success: false, error, code, details? }`,
 * answered with the status its code maps to.
 */
export class ApiError extends Error {
  readonly status: ContentfulStatusCode
  readonly details?: unknown
  readonly headers?: Record<string, string>

  constructor(
    readonly code: ErrorCode,
    message: string,
    options: ApiErrorOptions = {},
  ) {
    super(message)
    this.name = 'ApiError'
    this.status = codeToStatus[code]
    this.details = options.details
    this.headers = options.headers
  }

  /** The same error (code, status, headers) with another message and details, e.g. to name the file of a batch that failed. */
  restated(message: string, details?: unknown): ApiError {
    return new ApiError(this.code, message, { details, headers: this.headers })
  }
}

export const badRequest = (message: string, details?: unknown) => new ApiError('VALIDATION_ERROR', message, { details })
export const unauthorized = (message = 'Authentication required') => new ApiError('UNAUTHORIZED', message)
export const invalidCredentials = (message = 'Invalid login or password') => new ApiError('INVALID_CREDENTIALS', message)
export const forbidden = (message = 'You are not allowed to do this') => new ApiError('FORBIDDEN', message)
export const accountDisabled = () => new ApiError('ACCOUNT_DISABLED', 'This account has been disabled')
export const notFound = (what = 'Resource', details?: unknown) => new ApiError('NOT_FOUND', `${what} not found`, { details })
export const conflict = (message: string, details?: unknown) => new ApiError('CONFLICT', message, { details })
export const duplicateTitle = (title: string) =>
  new ApiError('DUPLICATE_TITLE', `Another of your works is already titled "${title}"`, { details: { field: 'title' } })
export const invalidModel = (model: string, allowed: string[]) =>
  new ApiError('INVALID_MODEL', `Unknown model "${model}"`, { details: { field: 'model', allowed } })
export const maintenance = (message = 'Darkroom is in maintenance: changes are paused for a moment, reading works') =>
  new ApiError('MAINTENANCE', message, { headers: { 'Retry-After': '60' } })
export const userExists = (message = 'That username or email is already registered') => new ApiError('USER_EXISTS', message)
export const sessionEnded = () => new ApiError('SESSION_ENDED', 'This live session has ended')
export const payloadTooLarge = (message: string) => new ApiError('PAYLOAD_TOO_LARGE', message)
export const unsupportedMediaType = (message: string) => new ApiError('UNSUPPORTED_MEDIA_TYPE', message)
export const invalidImage = (message: string) => new ApiError('INVALID_IMAGE', message)
export const invalidSignature = (message: string) => new ApiError('INVALID_SIGNATURE', message)
export const upgradeRequired = () =>
  new ApiError('UPGRADE_REQUIRED', 'This endpoint speaks WebSocket: send an Upgrade: websocket request')
export const notConfigured = (message: string) => new ApiError('NOT_CONFIGURED', message)
export const serviceUnavailable = (message: string) => new ApiError('SERVICE_UNAVAILABLE', message)
export const rateLimited = (retryAfterSeconds: number, message = 'Too many requests') =>
  new ApiError('RATE_LIMITED', message, {
    details: { retryAfter: retryAfterSeconds },
    headers: { 'Retry-After': String(retryAfterSeconds) },
  })
export const insufficientCredits = (required: number, balance: number, what = 'This') =>
  new ApiError('INSUFFICIENT_CREDITS', `${what} costs ${required} credits; your balance is ${balance}`, { details: { required, balance } })
export const notReady = (message: string, retryAfterSeconds: number) =>
  new ApiError('NOT_READY', message, { headers: { 'Retry-After': String(retryAfterSeconds) } })
export const accountLocked = (message: string, lockedUntil: Date, retryAfterSeconds: number) =>
  new ApiError('ACCOUNT_LOCKED', message, {
    details: { lockedUntil: lockedUntil.toISOString(), retryAfter: retryAfterSeconds },
    headers: { 'Retry-After': String(retryAfterSeconds) },
  })
export const rangeNotSatisfiable = (size: number) =>
  new ApiError('RANGE_NOT_SATISFIABLE', 'Requested range is not satisfiable', {
    details: { size },
    headers: { 'Content-Range': `bytes */${size}` },
  })
export const configurationError = (message: string) => new ApiError('CONFIGURATION_ERROR', message)
export const upstreamError = (message: string) => new ApiError('UPSTREAM_ERROR', message)
