import { createRoute, z } from '@hono/zod-openapi'
import { asc, eq } from 'drizzle-orm'
import { scenes, type Scene } from '../../db/schema'
import { requireAdmin, requireAuth } from '../../lib/auth'
import { notFound } from '../../lib/errors'
import { newId } from '../../lib/ids'
import { bearerAuth, createRouter, errors, jsonBody, ok } from '../../lib/openapi'
import { TaskParams } from '../tasks/schemas'

const tags = ['Scenes']
const admin = { security: bearerAuth, middleware: [requireAuth, requireAdmin] }

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
  .openapi('Scene')

/** The fields without defaults: an update must never reset a field it does not mention. */
const SceneFields = z.object({
    name: z.string().trim().min(1).max(100),
    description: z.string().max(1000).nullable().optional(),
    category: z.string().max(50).nullable().optional(),
    coverImageUrl: z.url({ protocol: /^https?$/ }).max(500).nullable().optional(),
    promptTemplate: z.string().trim().min(1).max(1000),
    negativePrompt: z.string().max(500).nullable().optional(),
    defaultParams: TaskParams.partial().nullable().optional(),
    cost: z.number().int().min(0).max(1000),
    active: z.boolean(),
    sortOrder: z.number().int().min(0).max(100_000),
  })

const SceneInput = SceneFields.extend({ active: SceneFields.shape.active.default(true), sortOrder: SceneFields.shape.sortOrder.default(0) }).openapi('SceneInput')

/** zod keeps `.default()` under `.partial()`, so the update schema is built from the default-free fields. */
const SceneUpdate = SceneFields.partial().openapi('SceneUpdate')

/** `{name}` placeholders of a template, in order, without duplicates. */
export function placeholdersOf(template: string): string[] {
  return [...new Set([...template.matchAll(/\{([A-Za-z_][A-Za-z0-9_]*)\}/g)].map((m) => m[1]!))]
}

export function toSceneDto(scene: Scene) {
  return {
    id: scene.id,
    name: scene.name,
    description: scene.description,
    category: scene.category,
    coverImageUrl: scene.coverImageUrl,
    promptTemplate: scene.promptTemplate,
    negativePrompt: scene.negativePrompt,
    defaultParams: scene.defaultParams ?? null,
    cost: scene.cost,
    active: scene.active,
    sortOrder: scene.sortOrder,
    placeholders: placeholdersOf(scene.promptTemplate),
    createdAt: scene.createdAt.toISOString(),
    updatedAt: scene.updatedAt.toISOString(),
  }
}

const Id = z.object({ id: z.string().max(64) })

const list = createRoute({
  method: 'get', path: '/', tags, summary: 'Scene presets',
  description: 'Active scenes, in display order. Public.',
  request: { query: z.object({ category: z.string().max(50).optional() }) },
  responses: { 200: ok(z.object({ scenes: z.array(SceneSchema) }), 'Scenes') },
})
const detail = createRoute({
  method: 'get', path: '/{id}', tags, summary: 'One scene preset', request: { params: Id },
  responses: { 200: ok(z.object({ scene: SceneSchema }), 'Scene'), ...errors(404) },
})
const create = createRoute({
  method: 'post', path: '/', tags, ...admin, summary: 'Create a scene (admin)', request: { body: jsonBody(SceneInput) },
  responses: { 201: ok(z.object({ scene: SceneSchema }), 'Created'), ...errors(400, 401, 403) },
})
const update = createRoute({
  method: 'put', path: '/{id}', tags, ...admin, summary: 'Update a scene (admin)',
  description: 'Changes only the fields sent; omitted fields (including `active` and `sortOrder`) keep their values.',
  request: { params: Id, body: jsonBody(SceneUpdate) },
  responses: { 200: ok(z.object({ scene: SceneSchema }), 'Updated'), ...errors(400, 401, 403, 404) },
})
const remove = createRoute({
  method: 'delete', path: '/{id}', tags, ...admin, summary: 'Delete a scene (admin)',
  description: 'Existing tasks keep their prompt and cost; the scene disappears from lists.',
  request: { params: Id },
  responses: { 200: ok(z.object({ deleted: z.literal(true) }), 'Deleted'), ...errors(401, 403, 404) },
})

export const sceneRoutes = createRouter()
  .openapi(list, async (c) => {
    const { category } = c.req.valid('query')
    const rows = await c.var.db.query.scenes.findMany({
      where: (s, { and, eq }) => and(eq(s.active, true), category ? eq(s.category, category) : undefined),
      orderBy: [asc(scenes.sortOrder), asc(scenes.name)],
    })
    return c.json({ success: true as const, data: { scenes: rows.map(toSceneDto) } }, 200)
  })
  .openapi(detail, async (c) => {
    const scene = await c.var.db.query.scenes.findFirst({ where: (s, { and, eq }) => and(eq(s.id, c.req.valid('param').id), eq(s.active, true)) })
    if (!scene) throw notFound('Scene')
    return c.json({ success: true as const, data: { scene: toSceneDto(scene) } }, 200)
  })
  .openapi(create, async (c) => {
    const input = c.req.valid('json')
    const now = new Date()
    const [scene] = await c.var.db.insert(scenes).values({ id: newId('scn'), ...input, createdAt: now, updatedAt: now }).returning()
    return c.json({ success: true as const, data: { scene: toSceneDto(scene!) } }, 201)
  })
  .openapi(update, async (c) => {
    const [scene] = await c.var.db
      .update(scenes)
      .set({ ...c.req.valid('json'), updatedAt: new Date() })
      .where(eq(scenes.id, c.req.valid('param').id))
      .returning()
    if (!scene) throw notFound('Scene')
    return c.json({ success: true as const, data: { scene: toSceneDto(scene) } }, 200)
  })
  .openapi(remove, async (c) => {
    const deleted = await c.var.db.delete(scenes).where(eq(scenes.id, c.req.valid('param').id)).returning({ id: scenes.id })
    if (deleted.length === 0) throw notFound('Scene')
    return c.json({ success: true as const, data: { deleted: true as const } }, 200)
  })
