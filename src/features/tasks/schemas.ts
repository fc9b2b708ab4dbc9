import { z } from '@hono/zod-openapi'
import { TASK_STATUSES } from '../../db/schema'

export const SIZES = ['512x512', '768x512', '512x768', '1024x1024'] as const
export const SAMPLERS = ['euler', 'ddim', 'dpmpp_2m_karras', 'dpmpp_sde_karras'] as const

/** Generation parameters with the ranges of API.md; also a scene's defaults. */
export const TaskParams = z.object({
  model: z.string().trim().min(1).max(200).optional(),
  size: z.enum(SIZES).optional(),
  batchSize: z.number().int().min(1).max(4).optional(),
  cfgScale: z.number().min(1).max(20).optional(),
  steps: z.number().int().min(10).max(50).optional(),
  seed: z
    .number()
    .int()
    .min(-1)
    .max(2 ** 32 - 1)
    .optional()
    .openapi({ description: '-1 picks a random seed' }),
  sampler: z.enum(SAMPLERS).optional(),
  clipSkip: z.number().int().min(1).max(2).optional(),
})

export const CreateTaskBody = TaskParams.extend({
  prompt: z.string().trim().max(500).optional().openapi({ description: 'Required unless the scene supplies one' }),
  negativePrompt: z.string().trim().max(200).optional(),
  sceneId: z.string().max(64).optional(),
  variables: z
    .record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/), z.string().max(200))
    .optional()
    .openapi({ description: "Values for the scene template's {placeholders} other than {prompt}" }),
  inputImageIds: z.array(z.string().max(64)).max(4).optional().openapi({ description: 'Your images, for image-to-image' }),
}).openapi('CreateTask')

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
    cost: z.number().int(),
    provider: z.string(),
    estimatedTime: z.number().int().openapi({ description: 'Seconds, estimated when queued' }),
    createdAt: z.string(),
    startedAt: z.string().nullable(),
    finishedAt: z.string().nullable(),
  })
  .openapi('Task')

export const DEFAULTS = {
  model: 'sdxl-base-1.0',
  size: '512x512' as (typeof SIZES)[number],
  batchSize: 1,
  cfgScale: 7,
  steps: 20,
  seed: -1,
  sampler: 'euler' as (typeof SAMPLERS)[number],
  clipSkip: 1,
}

/** Credits per 512x512 image at up to 30 steps, when no scene sets a price. */
export const BASE_IMAGE_COST = 2

/**
 * cost = ceil(unit × batchSize × pixels / 512² × max(1, steps / 30)), where unit is the scene's
 * cost or BASE_IMAGE_COST. 512x512: ×1, 768x512: ×1.5, 1024x1024: ×4; 50 steps: ×1.67.
 */
export function taskCost(unit: number, size: string, batchSize: number, steps: number): number {
  const [w, h] = size.split('x').map(Number) as [number, number]
  return Math.ceil(unit * batchSize * ((w * h) / (512 * 512)) * Math.max(1, steps / 30))
}

/** A rough duration in seconds for clients to show, from pixels, steps and batch. */
export function estimateSeconds(size: string, batchSize: number, steps: number): number {
  const [w, h] = size.split('x').map(Number) as [number, number]
  return Math.max(2, Math.round(2 + ((w * h) / (512 * 512)) * steps * batchSize * 0.25))
}
