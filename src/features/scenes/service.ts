import { asc, eq } from 'drizzle-orm'
import { scenes, type Scene } from '../../db/schema'
import type { Db } from '../../env'
import { badRequest } from '../../lib/errors'
import { newId } from '../../lib/ids'
import { auditStatement, d1Statement } from '../audit/service'
import type { SceneDto, SceneInputBody, SceneUpdateBody } from './schemas'

/** `{name}` placeholders of a template, in order, without duplicates. */
export function placeholdersOf(template: string): string[] {
  return [...new Set([...template.matchAll(/\{([A-Za-z_][A-Za-z0-9_]*)\}/g)].map((m) => m[1]!))]
}

/**
 * A scene's prompt for a task: `{prompt}` filled with the user's prompt and other placeholders
 * with `variables` (400 naming each missing one). A template without `{prompt}` still takes the
 * user's words after it. At most 1000 characters.
 */
export function renderScenePrompt(scene: Scene, prompt: string | undefined, variables: Record<string, string> | undefined): string {
  const names = placeholdersOf(scene.promptTemplate)
  const missing = names.filter((name) => (name === 'prompt' ? !prompt : variables?.[name] === undefined))
  if (missing.length > 0) {
    throw badRequest(
      `Scene "${scene.name}" needs ${missing.map((m) => (m === 'prompt' ? '`prompt`' : `variables.${m}`)).join(', ')}`,
      missing.map((m) => ({ field: m === 'prompt' ? 'prompt' : `variables.${m}`, message: 'Required by the scene' })),
    )
  }
  const filled = scene.promptTemplate.replace(/\{([A-Za-z_][A-Za-z0-9_]*)\}/g, (_, name: string) => (name === 'prompt' ? prompt! : variables![name]!))
  const text = !names.includes('prompt') && prompt ? `${filled}, ${prompt}` : filled
  if (text.length > 1000) throw badRequest('The prompt made from the scene is longer than 1000 characters')
  return text
}

export function toSceneDto(scene: Scene): SceneDto {
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

/** Active scenes, in display order, optionally of one category. */
export async function listActiveScenes(db: Db, category?: string): Promise<Scene[]> {
  return db.query.scenes.findMany({
    where: (s, { and, eq }) => and(eq(s.active, true), category ? eq(s.category, category) : undefined),
    orderBy: [asc(scenes.sortOrder), asc(scenes.name)],
  })
}

/** An active scene by id (inactive scenes are neither listed nor usable). */
export async function findActiveScene(db: Db, id: string): Promise<Scene | undefined> {
  return db.query.scenes.findFirst({ where: (s, { and, eq }) => and(eq(s.id, id), eq(s.active, true)) })
}

/** Creates a scene with its `scenes.create` audit row, in one batch. */
export async function createScene(env: Env, db: Db, input: SceneInputBody, actorId: string): Promise<Scene> {
  const now = new Date()
  const id = newId('scn')
  await env.DB.batch([
    d1Statement(env, db.insert(scenes).values({ id, ...input, createdAt: now, updatedAt: now })),
    auditStatement(env, { actorId, action: 'scenes.create', targetType: 'scene', targetId: id, before: null, after: input }),
  ])
  return (await findScene(db, id))!
}

const findScene = (db: Db, id: string) => db.query.scenes.findFirst({ where: (s, { eq: is }) => is(s.id, id) })

/**
 * Changes only the fields given, with a `scenes.update` audit row (the changed fields before and
 * after) in the same batch; undefined when there is no such scene.
 */
export async function updateScene(env: Env, db: Db, id: string, changes: SceneUpdateBody, actorId: string): Promise<Scene | undefined> {
  const current = await findScene(db, id)
  if (!current) return undefined
  const before = Object.fromEntries(Object.keys(changes).map((key) => [key, current[key as keyof Scene]]))
  await env.DB.batch([
    d1Statement(env, db.update(scenes).set({ ...changes, updatedAt: new Date() }).where(eq(scenes.id, id))),
    auditStatement(env, { actorId, action: 'scenes.update', targetType: 'scene', targetId: id, before, after: changes }, { onlyIfPreviousChanged: true }),
  ])
  return findScene(db, id)
}

/** Deletes a scene with its `scenes.delete` audit row (the scene as it was); false when there was none. */
export async function deleteScene(env: Env, db: Db, id: string, actorId: string): Promise<boolean> {
  const current = await findScene(db, id)
  if (!current) return false
  const [deleted] = await env.DB.batch([
    d1Statement(env, db.delete(scenes).where(eq(scenes.id, id))),
    auditStatement(env, { actorId, action: 'scenes.delete', targetType: 'scene', targetId: id, before: current, after: null }, { onlyIfPreviousChanged: true }),
  ])
  return (deleted?.meta.changes ?? 0) > 0
}
