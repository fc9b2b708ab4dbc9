import type { ContentfulStatusCode } from 'hono/utils/http-status'

/**
 * An error that becomes the API error envelope:
 * `{ success: false, error, code, details? }` with `status`.
 */
export class ApiError extends Error {
  constructor(
    readonly status: ContentfulStatusCode,
    readonly code: string,
    message: string,
    readonly details?: unknown,
    readonly headers?: Record<string, string>,
  ) {
    super(message)
    this.name = 'ApiError'
  }
}

export const badRequest = (message: string, details?: unknown) =>
  new ApiError(400, 'VALIDATION_ERROR', message, details)
export const unauthorized = (message = 'Authentication required') =>
  new ApiError(401, 'UNAUTHORIZED', message)
export const invalidCredentials = () =>
  new ApiError(401, 'INVALID_CREDENTIALS', 'Invalid login or password')
export const forbidden = (message = 'You are not allowed to do this') =>
  new ApiError(403, 'FORBIDDEN', message)
export const notFound = (what = 'Resource') => new ApiError(404, 'NOT_FOUND', `${what} not found`)
export const conflict = (message: string, code = 'CONFLICT') => new ApiError(409, code, message)
export const payloadTooLarge = (message: string) =>
  new ApiError(413, 'PAYLOAD_TOO_LARGE', message)
export const unsupportedMediaType = (message: string) =>
  new ApiError(415, 'UNSUPPORTED_MEDIA_TYPE', message)
export const invalidImage = (message: string) => new ApiError(422, 'INVALID_IMAGE', message)
export const rateLimited = (retryAfterSeconds: number, message = 'Too many requests') =>
  new ApiError(429, 'RATE_LIMITED', message, { retryAfter: retryAfterSeconds }, {
    'Retry-After': String(retryAfterSeconds),
  })
export const configurationError = (message: string) =>
  new ApiError(500, 'CONFIGURATION_ERROR', message)
export const upstreamError = (message: string) => new ApiError(502, 'UPSTREAM_ERROR', message)
