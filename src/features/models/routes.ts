import { createRoute } from '@hono/zod-openapi'
import { noAuth, ok } from '../../lib/openapi'
import { ModelListSchema } from './schemas'

export const listModelsRoute = createRoute({
  method: 'get', path: '/', tags: ['Models'], operationId: 'listModels', security: noAuth, summary: 'Available models',
  description: 'Public. `source`: comfyui (live list), default (provider without a catalogue), fallback (ComfyUI unreachable), error (ComfyUI answered unusable data).',
  responses: { 200: ok(ModelListSchema, 'Models') },
})
