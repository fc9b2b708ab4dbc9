import { OpenAPIHono, z } from '@hono/zod-openapi'
import type { ZodError } from 'zod'
import type { AppEnv } from '../env'
import { type ApiError, badRequest, codesForStatus, ERROR_CODES, ERROR_MEANING } from './errors'

/** Turns zod issues into a 400 VALIDATION_ERROR naming every failing field. */
export function validationError(error: ZodError): ApiError {
  const details = error.issues.map((issue) => ({
    field: issue.path.map(String).join('.') || '(body)',
    message: issue.message,
  }))
  const first = details[0]
  const summary = first ? `${first.field}: ${first.message}` : 'Invalid request'
  return badRequest(`Validation failed: ${summary}`, details)
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
    code: z.enum(ERROR_CODES).openapi({ example: 'VALIDATION_ERROR', description: 'Machine-readable; each code has one HTTP status' }),
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


/** "NOT_FOUND: not found, or not yours" for every code answered with `status`. */
function errorDescription(status: number): string {
  const codes = codesForStatus(status)
  return codes.length ? codes.map((code) => `${code}: ${ERROR_MEANING[code]}`).join('; ') : 'Error'
}

/** Error responses for a route, documented with the shared error envelope. */
export function errors(...statuses: number[]) {
  return Object.fromEntries(
    statuses.map((status) => [
      status,
      {
        description: errorDescription(status),
        content: { 'application/json': { schema: ErrorSchema } },
      },
    ]),
  )
}

export const bearerAuth = [{ bearerAuth: [] }]
/** No credentials: public reads, sign-in, access-code verification. */
export const noAuth: Array<Record<string, string[]>> = []
/** An owner's access token or a guest's viewer token, as `Authorization: Bearer` or `?token=` (img tags, sockets). */
export const bearerOrTokenQuery: Array<Record<string, string[]>> = [{ bearerAuth: [] }, { tokenQuery: [] }]
/** A live session's readers: the owner's token or a viewer token (Bearer or `?token=`); none for an open session. */
export const liveViewerAccess: Array<Record<string, string[]>> = [{ bearerAuth: [] }, { tokenQuery: [] }, {}]
/** A live photo's bytes: as `liveViewerAccess`, or a signed URL from a photo record. */
export const livePhotoBytesAccess: Array<Record<string, string[]>> = [{ bearerAuth: [] }, { tokenQuery: [] }, { signedUrl: [] }, {}]
/** `/api/ws`: the access token as `?token=`, or none at the upgrade and a first frame `{"type":"auth","token"}` within 5 s. */
export const socketTokenOrFirstFrame: Array<Record<string, string[]>> = [{ tokenQuery: [] }, {}]
/** The owner's access token, a signed URL (`?exp=&sig=`), or nothing for a public image. */
export const bearerOrSignedUrl: Array<Record<string, string[]>> = [{ bearerAuth: [] }, { signedUrl: [] }, {}]
/** Optional sign-in: a bearer token (personalises the answer), or none (anonymous reader). */
export const bearerOrAnonymous: Array<Record<string, string[]>> = [{ bearerAuth: [] }, {}]
/** A signed URL (`?exp=&sig=`), or nothing for a public resource. */
export const signedUrlOrPublic: Array<Record<string, string[]>> = [{ signedUrl: [] }, {}]
/** Standard Webhooks headers (`webhook-id`, `webhook-timestamp`, `webhook-signature`). */
export const webhookSignature: Array<Record<string, string[]>> = [{ webhookSignature: [] }]

/** WeChat Pay API v3 notifications: `Wechatpay-Signature` (RSA-SHA256 by the platform key) with its timestamp, nonce and serial headers. */
export const wechatPaySignature: Array<Record<string, string[]>> = [{ wechatPaySignature: [] }]
/** Stripe webhooks: `Stripe-Signature` (`t=…,v1=…`, HMAC-SHA256 with the endpoint secret). */
export const stripeSignature: Array<Record<string, string[]>> = [{ stripeSignature: [] }]

/** The security schemes the requirements above name; registered once on the document. */
export const SECURITY_SCHEMES = {
  bearerAuth: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' },
  tokenQuery: { type: 'apiKey', in: 'query', name: 'token', description: 'The same token as a query parameter, for `<img>` tags and WebSockets' },
  signedUrl: { type: 'apiKey', in: 'query', name: 'sig', description: 'A signed URL from an image or photo record (`exp` and `sig`)' },
  webhookSignature: { type: 'apiKey', in: 'header', name: 'webhook-signature', description: 'Standard Webhooks HMAC-SHA256 over `webhook-id.webhook-timestamp.body`' },
  wechatPaySignature: {
    type: 'apiKey', in: 'header', name: 'Wechatpay-Signature',
    description: 'WeChat Pay API v3: base64 RSA-SHA256 over `Wechatpay-Timestamp\\nWechatpay-Nonce\\nbody\\n` by the platform key named by `Wechatpay-Serial`',
  },
  stripeSignature: { type: 'apiKey', in: 'header', name: 'Stripe-Signature', description: 'Stripe: `t=<unix>,v1=<hex HMAC-SHA256 of t.body>` with the endpoint secret' },
} as const

export const PaginationQuery = z.object({
  page: z.coerce.number().int().min(1).default(1).openapi({ example: 1 }),
  limit: z.coerce.number().int().min(1).max(100).default(20).openapi({ example: 20 }),
})

/** The `pagination` block of every paged answer. */
export const PaginationBlock = z.object({
  page: z.number().int(),
  limit: z.number().int(),
  total: z.number().int(),
  totalPages: z.number().int(),
  hasNext: z.boolean(),
  hasPrev: z.boolean(),
})

export function paginationSchema<T extends z.ZodType>(item: T) {
  return z.object({
    items: z.array(item),
    pagination: PaginationBlock,
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

/**
 * An image as another resource shows it (a work's picture, a chat message's image): its size,
 * placeholder and three variant URLs, whose meaning (public, signed, scoped) `urls` describes.
 */
export function heldImageSchema(urls: { thumb: string; preview: string; original: string }) {
  return z.object({
    id: z.string(),
    mime: z.string(),
    width: z.number().int(),
    height: z.number().int(),
    thumbhash: z.string().nullable().openapi({ description: 'ThumbHash placeholder, base64' }),
    variants: z.object({
      thumb: z.string().openapi({ description: urls.thumb }),
      preview: z.string().openapi({ description: urls.preview }),
      original: z.string().openapi({ description: urls.original }),
    }),
  })
}
