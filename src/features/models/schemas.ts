import { z } from '@hono/zod-openapi'

export const MODEL_SOURCES = ['comfyui', 'default', 'fallback', 'error'] as const
export type ModelSource = (typeof MODEL_SOURCES)[number]

export const ModelSchema = z.object({ label: z.string(), value: z.string(), description: z.string() }).openapi('Model')
export type Model = z.infer<typeof ModelSchema>

export const ModelListSchema = z.object({ models: z.array(ModelSchema), source: z.enum(MODEL_SOURCES) }).openapi({
  example: {
    models: [
      { label: 'SDXL 1.0', value: 'sdxl-base-1.0', description: 'General purpose, 1024 px native' },
      { label: 'Stable Diffusion 1.5', value: 'sd-1.5', description: 'Fast, 512 px native' },
    ],
    source: 'default',
  },
})
