import { createRoute, z } from '@hono/zod-openapi'
import { requireAdmin, requireAuth } from '../../lib/auth'
import { bearerAuth, errors, jsonBody, noAuth, ok } from '../../lib/openapi'
import { SceneIdParam, SceneInput, SceneListQuery, SceneSchema, SceneUpdate } from './schemas'

const tags = ['Scenes']
const admin = { security: bearerAuth, middleware: [requireAuth, requireAdmin] }

export const listScenesRoute = createRoute({
  method: 'get', path: '/', tags, operationId: 'listScenes', security: noAuth, summary: 'Scene presets',
  description: 'Active scenes, in display order. Public.',
  request: { query: SceneListQuery },
  responses: { 200: ok(z.object({ scenes: z.array(SceneSchema) }), 'Scenes') },
})

export const getSceneRoute = createRoute({
  method: 'get', path: '/{id}', tags, operationId: 'getScene', security: noAuth, summary: 'One scene preset', request: { params: SceneIdParam },
  responses: { 200: ok(z.object({ scene: SceneSchema }), 'Scene'), ...errors(404) },
})

export const createSceneRoute = createRoute({
  method: 'post', path: '/', tags, ...admin, operationId: 'createScene', summary: 'Create a scene (admin)',
  request: { body: jsonBody(SceneInput) },
  responses: { 201: ok(z.object({ scene: SceneSchema }), 'Created'), ...errors(400, 401, 403) },
})

export const updateSceneRoute = createRoute({
  method: 'put', path: '/{id}', tags, ...admin, operationId: 'updateScene', summary: 'Update a scene (admin)',
  description: 'Changes only the fields sent; omitted fields (including `active` and `sortOrder`) keep their values.',
  request: { params: SceneIdParam, body: jsonBody(SceneUpdate) },
  responses: { 200: ok(z.object({ scene: SceneSchema }), 'Updated'), ...errors(400, 401, 403, 404) },
})

export const deleteSceneRoute = createRoute({
  method: 'delete', path: '/{id}', tags, ...admin, operationId: 'deleteScene', summary: 'Delete a scene (admin)',
  description: 'Existing tasks keep their prompt and cost; the scene disappears from lists.',
  request: { params: SceneIdParam },
  responses: { 200: ok(z.object({ deleted: z.literal(true) }), 'Deleted'), ...errors(401, 403, 404) },
})
