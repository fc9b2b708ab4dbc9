import { z } from '@hono/zod-openapi'

/** Limits of the editor (API.md "AI image editor: chat sessions"). */
export const CHAT_LIMITS = {
  title: 100,
  /** Characters of an automatic title taken from the first message. */
  autoTitle: 60,
  text: 4000,
  images: 8,
  /** Bytes of `params` as JSON. */
  paramsBytes: 8192,
} as const

/** Days a deleted session is kept before the cron purges it and releases its images. */
export const CHAT_PURGE_AFTER_DAYS = 30

/** C0 controls but tab and newline, and DEL: refused in titles and message text. */
const FORBIDDEN_CONTROL = /[\u0000-\u0008\u000B-\u001F\u007F]/u

const length = (text: string) => [...text].length

/** A lone UTF-16 surrogate cannot be stored as UTF-8 (it would come back as U+FFFD). */
const LONE_SURROGATE = /\p{Cs}/u

/** A session title: trimmed, 1..100 characters, one line. */
export const ChatTitle = z
  .string()
  .transform((t) => t.trim())
  .refine((t) => t.length > 0, 'Title must not be empty')
  .refine((t) => length(t) <= CHAT_LIMITS.title, `Title must be at most ${CHAT_LIMITS.title} characters`)
  .refine((t) => !/[\u0000-\u001F\u007F]/u.test(t), 'Title must be one line without control characters')
  .refine((t) => !LONE_SURROGATE.test(t), 'Title must be well-formed Unicode')
  .openapi({ type: 'string', minLength: 1, maxLength: CHAT_LIMITS.title, example: 'Sunset edits' })

/** Message text: CRLF/CR become LF, trimmed, ≤ 4000 characters, no control characters but tab and newline. */
export const ChatText = z
  .string()
  .transform((t) => t.replace(/\r\n?/gu, '\n').trim())
  .refine((t) => length(t) <= CHAT_LIMITS.text, `Text must be at most ${CHAT_LIMITS.text} characters`)
  .refine((t) => !FORBIDDEN_CONTROL.test(t), 'Text must not contain control characters (tabs and newlines are fine)')
  .refine((t) => !LONE_SURROGATE.test(t), 'Text must be well-formed Unicode')
  .openapi({
    type: 'string',
    maxLength: CHAT_LIMITS.text,
    description: 'Plain text, at most 4,000 characters after trimming; newlines kept. Stored as sent, never interpreted as HTML.',
    example: 'Make the sky a warm sunset',
  })

/** Free parameters of a message: a JSON object of at most 8 KB. */
export const ChatParams = z
  .record(z.string(), z.unknown())
  .refine((p) => new TextEncoder().encode(JSON.stringify(p)).length <= CHAT_LIMITS.paramsBytes, `params must be at most ${CHAT_LIMITS.paramsBytes} bytes of JSON`)
  .openapi({ description: 'Free parameters (a JSON object of at most 8 KB), kept as sent', example: { strength: 0.6 } })

export const ChatSessionIdParam = z.object({
  id: z.string().min(1).max(64).openapi({ param: { name: 'id', in: 'path' }, example: 'chs_0k2m9q1x3z4b7n4k8p0w2c5d' }),
})

export const ChatMessageIdParam = z.object({
  id: z.string().min(1).max(64).openapi({ param: { name: 'id', in: 'path' }, example: 'msg_0k2m9q1x3z8f3k2m9q1x5v7b' }),
})

/** `limit` with `offset` or `page` (offset wins when both are given). */
export const OffsetPageQuery = z.object({
  limit: z.coerce.number().int().min(1).max(100).default(20).openapi({ example: 20 }),
  offset: z.coerce.number().int().min(0).max(1_000_000).optional().openapi({ description: 'Rows to skip; wins over `page`', example: 0 }),
  page: z.coerce.number().int().min(1).max(100_000).default(1).openapi({ description: 'Used when `offset` is absent', example: 1 }),
})

/** The rows to skip and the page to report for an offset-or-page request. */
export function offsetOf(q: { limit: number; offset?: number | undefined; page: number }): { offset: number; page: number } {
  if (q.offset === undefined) return { offset: (q.page - 1) * q.limit, page: q.page }
  return { offset: q.offset, page: Math.floor(q.offset / q.limit) + 1 }
}

/** The pagination block for rows `offset..offset+count` of `total`. */
export function offsetPagination(total: number, limit: number, offset: number, page: number) {
  return {
    page,
    limit,
    total,
    totalPages: Math.max(1, Math.ceil(total / limit)),
    hasNext: offset + limit < total,
    hasPrev: offset > 0,
  }
}

export { PaginationBlock } from '../../../lib/openapi'
