import { z } from '@hono/zod-openapi'
import { TASK_ERROR_CODES } from '../tasks/error-codes'

/** Callback bodies are strict: unknown fields, unknown statuses and wrong types are 400 VALIDATION_ERROR. */
const Url = z.string().max(2048)
const ResultItemSchema = z.union([
  z.string(),
  z.strictObject({ url: Url.optional(), base64: z.string().optional(), data: z.string().optional() }),
])
const Results = z.array(ResultItemSchema).max(4)
const CallbackErrorCode = z.enum(TASK_ERROR_CODES).optional().openapi({
  description:
    'Why a failure happened: CONTENT_VIOLATION when the service refused the content, else GENERATION_FAILED. ' +
    'Without it, an `error` naming a content refusal (NSFW, content policy/filter, safety checker) counts as CONTENT_VIOLATION.',
})

/** A result image in a callback: a URL string, `{url}`, or `{base64}` / `{data}` (data URL allowed). */
export type ResultItem = z.infer<typeof ResultItemSchema>

export const WebhookReport = z
  .strictObject({
    taskId: z.string().max(64),
    status: z.enum(['running', 'progress', 'succeeded', 'completed', 'failed']),
    progress: z.number().min(0).max(100).optional(),
    images: Results.optional(),
    error: z.string().max(2000).optional(),
    errorCode: CallbackErrorCode,
  })
  .openapi('WebhookCallback')

export const TaskComplete = z
  .strictObject({
    taskId: z.string().max(64),
    images: Results.optional(),
    imageUrls: z.array(Url).max(4).optional(),
    results: Results.optional(),
  })
  .openapi('TaskCompleteCallback')

export const TaskFailed = z
  .strictObject({ taskId: z.string().max(64), error: z.string().max(2000).optional(), errorCode: CallbackErrorCode })
  .openapi('TaskFailedCallback')

/**
 * A Replicate prediction. Replicate adds fields over time (version, input, urls, metrics…), so
 * unknown fields are tolerated and dropped; the fields we read are typed strictly.
 */
export const ReplicatePrediction = z.object({
  id: z.string().max(128),
  status: z.enum(['starting', 'processing', 'succeeded', 'failed', 'canceled']),
  output: z.union([z.array(Url).max(16), Url, z.null()]).optional(),
  error: z.string().nullable().optional(),
  logs: z.string().nullable().optional(),
  webhook: Url.nullable().optional(),
})
export type ReplicatePrediction = z.infer<typeof ReplicatePrediction>

export const CALLBACK_EFFECTS = ['progress', 'completed', 'failed', 'ignored'] as const
export type CallbackEffect = (typeof CALLBACK_EFFECTS)[number]

export const AckSchema = z
  .object({ received: z.literal(true), duplicate: z.boolean(), effect: z.enum(CALLBACK_EFFECTS) })
  .openapi({ example: { received: true, duplicate: false, effect: 'completed' } })

export const CallbackProviderParam = z.object({ provider: z.enum(['webhook', 'replicate']) })
export const CallbackTaskQuery = z.object({ taskId: z.string().max(64).optional() })

/** Request examples (the body bytes a sender signs). */
export const callbackExamples = {
  webhook: { taskId: 'tsk_01hx2m4b9k', status: 'completed', images: [{ url: 'https://n8n.example.com/files/tsk_01hx2m4b9k-1.png' }] },
  taskComplete: { taskId: 'tsk_01hx2m4b9k', imageUrls: ['https://n8n.example.com/files/tsk_01hx2m4b9k-1.png'] },
  taskFailed: { taskId: 'tsk_01hx2m4b9k', error: 'Out of GPU memory' },
} satisfies Record<string, unknown>
