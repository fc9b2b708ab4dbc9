import { OpenAPIHono, z } from '@hono/zod-openapi'
import type { ZodError } from 'zod'
import type { AppEnv } from '../env'
import { ApiError } from './errors'

/** Turns zod issues into a 400 VALIDATION_ERROR naming every failing field. */
export function validationError(error: ZodError): ApiError {
  const details = error.issues.map((issue) => ({
    field: issue.path.map(String).join('.') || '(body)',
    message: issue.message,
  }))
  const first = details[0]
  const summary = first ? `${first.field}: ${first.message}` : 'Invalid request'
  return new ApiError(400, 'VALIDATION_ERROR', `Validation failed: ${summary}`, details)
}

/** Shared by every route whatever its input types, hence the loose parameter type. */
const throwOnInvalid = (result: { success: boolean; error?: unknown }) => {
  if (!result.success) throw validationError(result.error as ZodError)
}

/** A feature router whose zod validation failures become the API error envelope. */
export function createRouter() {
  return new OpenAPIHono<AppEnv>({ defaultHook: throwOnInvalid as never })
}

export const ErrorSchema = z
  .object({
    success: z.literal(false),
    error: z.string().openapi({ example: 'Validation failed: email: Invalid email address' }),
    code: z.string().openapi({ example: 'VALIDATION_ERROR' }),
    details: z.unknown().optional(),
  })
  .openapi('Error')

/** The success envelope around `data`. */
export function envelope<T extends z.ZodType>(data: T) {
  return z.object({ success: z.literal(true), data, message: z.string().optional() })
}

export function jsonBody<T extends z.ZodType>(schema: T, description?: string) {
  return {
    required: true,
    description,
    content: { 'application/json': { schema } },
  }
}

export function ok<T extends z.ZodType>(data: T, description: string) {
  return { description, content: { 'application/json': { schema: envelope(data) } } }
}

const ERROR_TEXT: Record<number, string> = {
  400: 'Invalid input (VALIDATION_ERROR)',
  401: 'Missing, invalid or expired credentials',
  402: 'Not enough credits (INSUFFICIENT_CREDITS)',
  403: 'Not allowed (FORBIDDEN)',
  404: 'Not found, or not yours (NOT_FOUND)',
  409: 'Conflict with existing data',
  413: 'Body too large (PAYLOAD_TOO_LARGE)',
  415: 'Unsupported content type (UNSUPPORTED_MEDIA_TYPE)',
  422: 'Image could not be decoded or is too large in pixels (INVALID_IMAGE)',
  423: 'Account locked after repeated failures (ACCOUNT_LOCKED)',
  429: 'Rate limited (RATE_LIMITED), see Retry-After',
  502: 'An upstream service failed (UPSTREAM_ERROR)',
  503: 'Feature not configured on this server (NOT_CONFIGURED)',
}

/** Error responses for a route, documented with the shared error envelope. */
export function errors(...statuses: number[]) {
  return Object.fromEntries(
    statuses.map((status) => [
      status,
      {
        description: ERROR_TEXT[status] ?? 'Error',
        content: { 'application/json': { schema: ErrorSchema } },
      },
    ]),
  )
}

export const bearerAuth = [{ bearerAuth: [] }]

export const PaginationQuery = z.object({
  page: z.coerce.number().int().min(1).default(1).openapi({ example: 1 }),
  limit: z.coerce.number().int().min(1).max(100).default(20).openapi({ example: 20 }),
})

export function paginationSchema<T extends z.ZodType>(item: T) {
  return z.object({
    items: z.array(item),
    pagination: z.object({
      page: z.number().int(),
      limit: z.number().int(),
      total: z.number().int(),
      totalPages: z.number().int(),
      hasNext: z.boolean(),
      hasPrev: z.boolean(),
    }),
  })
}

export function paginate<T>(items: T[], total: number, page: number, limit: number) {
  const totalPages = Math.max(1, Math.ceil(total / limit))
  return {
    items,
    pagination: { page, limit, total, totalPages, hasNext: page < totalPages, hasPrev: page > 1 },
  }
}

/** ISO 8601 UTC, or null. */
export function iso(date: Date | null | undefined): string | null {
  return date ? date.toISOString() : null
}
