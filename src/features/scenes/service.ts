import { asc, eq } from 'drizzle-orm'
import { scenes, type Scene } from '../../db/schema'
import type { Db } from '../../env'
import { badRequest } from '../../lib/errors'
import { newId } from '../../lib/ids'
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

export async function createScene(db: Db, input: SceneInputBody): Promise<Scene> {
  const now = new Date()
  const [scene] = await db.insert(scenes).values({ id: newId('scn'), ...input, createdAt: now, updatedAt: now }).returning()
  return scene!
}

/** Changes only the fields given; undefined when there is no such scene. */
export async function updateScene(db: Db, id: string, changes: SceneUpdateBody): Promise<Scene | undefined> {
  const [scene] = await db.update(scenes).set({ ...changes, updatedAt: new Date() }).where(eq(scenes.id, id)).returning()
  return scene
}

/** Deletes a scene; false when there was none. */
export async function deleteScene(db: Db, id: string): Promise<boolean> {
  const deleted = await db.delete(scenes).where(eq(scenes.id, id)).returning({ id: scenes.id })
  return deleted.length > 0
}
