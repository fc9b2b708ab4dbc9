import { z } from '@hono/zod-openapi'

export const SIZES = ['512x512', '768x512', '512x768', '1024x1024'] as const
export const SAMPLERS = ['euler', 'ddim', 'dpmpp_2m_karras', 'dpmpp_sde_karras'] as const

/**
 * Generation parameters with the ranges of API.md: a scene's defaults and (extended by the tasks
 * feature) the body of a new task. Declared here because a scene is a preset of them; tasks
 * build on scenes, never the other way round.
 */
export const GenerationParams = z.object({
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

const sceneExample = {
  id: 'scn_01hx2p0d7c',
  name: 'Film portrait',
  description: 'Warm 35 mm film look for portraits',
  category: 'portrait',
  coverImageUrl: 'https://cdn.example.com/scenes/film-portrait.jpg',
  promptTemplate: '{prompt}, portrait of {subject}, kodak portra 400, soft window light',
  negativePrompt: 'blurry, lowres',
  defaultParams: { size: '512x768', steps: 30, sampler: 'dpmpp_2m_karras' },
  cost: 3,
  active: true,
  sortOrder: 10,
  placeholders: ['prompt', 'subject'],
  createdAt: '2026-05-01T08:00:00.000Z',
  updatedAt: '2026-05-01T08:00:00.000Z',
}

export const SceneSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    description: z.string().nullable(),
    category: z.string().nullable(),
    coverImageUrl: z.string().nullable(),
    promptTemplate: z.string().openapi({ description: 'With `{prompt}` and other `{placeholders}` filled from the task' }),
    negativePrompt: z.string().nullable(),
    defaultParams: z.record(z.string(), z.unknown()).nullable(),
    cost: z.number().int().openapi({ description: 'Credits per 512x512 image at up to 30 steps' }),
    active: z.boolean(),
    sortOrder: z.number().int(),
    placeholders: z.array(z.string()),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .openapi('Scene', { example: sceneExample })

/** The fields without defaults: an update must never reset a field it does not mention. */
const SceneFields = z.object({
  name: z.string().trim().min(1).max(100),
  description: z.string().max(1000).nullable().optional(),
  category: z.string().max(50).nullable().optional(),
  coverImageUrl: z.url({ protocol: /^https?$/ }).max(500).nullable().optional(),
  promptTemplate: z.string().trim().min(1).max(1000),
  negativePrompt: z.string().max(500).nullable().optional(),
  defaultParams: GenerationParams.partial().nullable().optional(),
  cost: z.number().int().min(0).max(1000),
  active: z.boolean(),
  sortOrder: z.number().int().min(0).max(100_000),
})

const { id: _id, placeholders: _placeholders, createdAt: _created, updatedAt: _updated, ...inputExample } = sceneExample

export const SceneInput = SceneFields.extend({ active: SceneFields.shape.active.default(true), sortOrder: SceneFields.shape.sortOrder.default(0) }).openapi(
  'SceneInput',
  { example: inputExample },
)

/** zod keeps `.default()` under `.partial()`, so the update schema is built from the default-free fields. */
export const SceneUpdate = SceneFields.partial().openapi('SceneUpdate', { example: { cost: 4, active: false } })

export const SceneIdParam = z.object({ id: z.string().max(64) })
export const SceneListQuery = z.object({ category: z.string().max(50).optional() })

export type SceneDto = z.infer<typeof SceneSchema>
export type SceneInputBody = z.infer<typeof SceneInput>
export type SceneUpdateBody = z.infer<typeof SceneUpdate>
