import { z } from '@hono/zod-openapi'
import { TASK_STATUSES } from '../../db/schema'
import { GenerationParams } from '../scenes/schemas'
import { TASK_ERROR_CODES } from './error-codes'

export const CreateTaskBody = GenerationParams.extend({
  prompt: z.string().trim().max(500).optional().openapi({ description: 'Required unless the scene supplies one' }),
  negativePrompt: z.string().trim().max(200).optional(),
  sceneId: z.string().max(64).optional(),
  variables: z
    .record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/), z.string().max(200))
    .optional()
    .openapi({ description: "Values for the scene template's {placeholders} other than {prompt}" }),
  inputImageIds: z.array(z.string().max(64)).max(4).optional().openapi({ description: 'Your images, for image-to-image' }),
}).openapi('CreateTask', {
  example: { prompt: 'a lighthouse at dusk, volumetric light', negativePrompt: 'blurry', size: '768x512', batchSize: 2, steps: 30, seed: -1 },
})

export const TaskSchema = z
  .object({
    id: z.string(),
    status: z.enum(TASK_STATUSES),
    progress: z.number().int(),
    prompt: z.string(),
    negativePrompt: z.string().nullable(),
    model: z.string(),
    size: z.string(),
    batchSize: z.number().int(),
    cfgScale: z.number(),
    steps: z.number().int(),
    seed: z.number().int(),
    sampler: z.string(),
    clipSkip: z.number().int(),
    sceneId: z.string().nullable(),
    inputImageIds: z.array(z.string()),
    images: z.array(z.record(z.string(), z.unknown())).openapi({ description: 'Result images (see Image)' }),
    error: z.string().nullable(),
    errorCode: z.enum(TASK_ERROR_CODES).nullable().openapi({
      description:
        'Set on failed tasks only: CONTENT_VIOLATION when the provider refused the content (webhook flows say so with ' +
        '`errorCode` or an error naming a content refusal; Replicate\'s NSFW/safety-checker errors), otherwise GENERATION_FAILED ' +
        '(provider errors, bad output, retries exhausted, timeouts). Null for every other status, canceled included.',
    }),
    cost: z.number().int(),
    provider: z.string(),
    estimatedTime: z.number().int().openapi({ description: 'Seconds, estimated when queued' }),
    createdAt: z.string(),
    startedAt: z.string().nullable(),
    finishedAt: z.string().nullable(),
  })
  .openapi('Task', {
    example: {
      id: 'tsk_01hx2m4b9k', status: 'queued', progress: 0, prompt: 'a lighthouse at dusk, volumetric light', negativePrompt: 'blurry',
      model: 'sdxl-base-1.0', size: '768x512', batchSize: 2, cfgScale: 7, steps: 30, seed: 2039184431, sampler: 'euler', clipSkip: 1,
      sceneId: null, inputImageIds: [], images: [], error: null, errorCode: null, cost: 6, provider: 'local', estimatedTime: 24,
      createdAt: '2026-05-04T09:12:03.000Z', startedAt: null, finishedAt: null,
    },
  })

export const CreateTaskQuery = z.object({
  wait: z.coerce
    .number()
    .int()
    .min(0)
    .max(30)
    .optional()
    .openapi({ description: 'Seconds (0-30) to hold the answer until the task ends: 200 when it did, 202 when not', example: 20 }),
})
export const TaskIdParam = z.object({ id: z.string().max(64) })
export const TaskListQuery = z.object({ status: z.enum(TASK_STATUSES).optional() })
export const IdempotencyHeaders = z.object({ 'idempotency-key': z.string().min(1).max(100).optional() })

export type TaskCounts = Record<(typeof TASK_STATUSES)[number], number>
export const CountsSchema = z.object(Object.fromEntries(TASK_STATUSES.map((s) => [s, z.number().int()])) as Record<(typeof TASK_STATUSES)[number], z.ZodNumber>)
export const QueueStatsSchema = z.object({ queue: CountsSchema, mine: CountsSchema, averageDurationSeconds: z.number().nullable() }).openapi({
  example: {
    queue: { queued: 3, running: 2, succeeded: 1840, failed: 12, canceled: 9 },
    mine: { queued: 1, running: 0, succeeded: 27, failed: 1, canceled: 0 },
    averageDurationSeconds: 14.2,
  },
})

export type CreateTaskInput = z.infer<typeof CreateTaskBody>
export type TaskDto = z.infer<typeof TaskSchema>
