import { z } from '@hono/zod-openapi'
import { env } from 'cloudflare:test'
import { beforeAll, describe, expect, it } from 'vitest'
import { createSceneRoute, deleteSceneRoute, getSceneRoute, listScenesRoute, updateSceneRoute } from '../../src/features/scenes/routes'
import type { SceneDto } from '../../src/features/scenes/schemas'
import { callApp, callJson, dataOf, expectError, newUser, type TestUser } from '../helpers'
import { creditsOf, envWith, ledgerOf, makeAdmin, queuedTask } from '../support/generation'

let admin: TestUser
let user: TestUser

beforeAll(async () => {
  admin = await newUser('scnadmin')
  await makeAdmin(admin.id)
  user = await newUser('scnuser')
})

const sceneInput = (extra: Record<string, unknown> = {}) => ({
  name: `Film noir ${crypto.randomUUID().slice(0, 6)}`,
  description: 'High-contrast black and white',
  category: 'portrait',
  promptTemplate: 'portrait of {prompt}, {style} lighting, 35mm film',
  negativePrompt: 'color, blurry',
  cost: 5,
  ...extra,
})

async function createScene(extra: Record<string, unknown> = {}): Promise<SceneDto> {
  const r = await callJson('POST', '/api/scenes', sceneInput(extra), { token: admin.accessToken })
  if (r.status !== 201) throw new Error(`scene not created: ${JSON.stringify(r.body)}`)
  return dataOf(r, createSceneRoute, 201).scene
}

/** Asserts a 400 VALIDATION_ERROR and answers the fields its details name. */
const fieldsOf = (result: { status: number; body: unknown }) =>
  z.array(z.object({ field: z.string() })).parse(expectError(result, 400, 'VALIDATION_ERROR').details).map((d) => d.field)

describe('scene administration', () => {
  it('an admin creates a scene: 201 with its placeholders listed', async () => {
    const created = await callJson('POST', '/api/scenes', sceneInput({ defaultParams: { steps: 30 } }), { token: admin.accessToken })
    expect(dataOf(created, createSceneRoute, 201).scene).toMatchObject({ id: expect.any(String), cost: 5, active: true, placeholders: ['prompt', 'style'], defaultParams: { steps: 30 } })
  })

  it('anonymous callers get 401 and signed-in non-admins 403 on create, update and delete', async () => {
    const scene = await createScene()
    expectError(await callJson('POST', '/api/scenes', sceneInput()), 401, 'UNAUTHORIZED')
    expectError(await callJson('PUT', `/api/scenes/${scene.id}`, { name: 'x' }), 401, 'UNAUTHORIZED')
    expectError(await callJson('DELETE', `/api/scenes/${scene.id}`), 401, 'UNAUTHORIZED')
    const asUser = { token: user.accessToken }
    expectError(await callJson('POST', '/api/scenes', sceneInput(), asUser), 403, 'FORBIDDEN')
    expectError(await callJson('PUT', `/api/scenes/${scene.id}`, { name: 'hijacked' }, asUser), 403, 'FORBIDDEN')
    expectError(await callJson('DELETE', `/api/scenes/${scene.id}`, undefined, asUser), 403, 'FORBIDDEN')
    // Nothing the refused calls asked for happened.
    expect(dataOf(await callJson('GET', `/api/scenes/${scene.id}`), getSceneRoute, 200).scene.name).toBe(scene.name)
  })

  it('rejects invalid scenes with 400 VALIDATION_ERROR naming every bad field', async () => {
    const r = await callJson(
      'POST',
      '/api/scenes',
      { name: '  ', promptTemplate: '', cost: -1, coverImageUrl: 'ftp://example.com/a.jpg', defaultParams: { steps: 500, size: '99x99' } },
      { token: admin.accessToken },
    )
    expect(fieldsOf(r)).toEqual(expect.arrayContaining(['name', 'promptTemplate', 'cost', 'coverImageUrl', 'defaultParams.steps', 'defaultParams.size']))
    const missing = await callJson('POST', '/api/scenes', { name: 'no template' }, { token: admin.accessToken })
    expect(fieldsOf(missing)).toEqual(expect.arrayContaining(['promptTemplate', 'cost']))
    const update = await callJson('PUT', `/api/scenes/${(await createScene()).id}`, { cost: 1.5 }, { token: admin.accessToken })
    expect(fieldsOf(update)).toEqual(['cost'])
  })

  it('updates a scene, and answers 404 for unknown ids', async () => {
    const scene = await createScene()
    const r = await callJson('PUT', `/api/scenes/${scene.id}`, { name: 'Renamed', cost: 7 }, { token: admin.accessToken })
    expect(dataOf(r, updateSceneRoute, 200).scene).toMatchObject({ id: scene.id, name: 'Renamed', cost: 7, promptTemplate: scene.promptTemplate })
    expect(dataOf(await callJson('GET', `/api/scenes/${scene.id}`), getSceneRoute, 200).scene.cost).toBe(7)
    expectError(await callJson('PUT', '/api/scenes/scn_missing', { name: 'x' }, { token: admin.accessToken }), 404, 'NOT_FOUND')
  })

  it('a partial update never resets fields it does not mention (a disabled scene stays disabled)', async () => {
    const scene = await createScene({ active: false, sortOrder: 42 })
    const r = await callJson('PUT', `/api/scenes/${scene.id}`, { description: 'Edited while disabled' }, { token: admin.accessToken })
    expect(dataOf(r, updateSceneRoute, 200).scene).toMatchObject({ active: false, sortOrder: 42, description: 'Edited while disabled' })
    expectError(await callJson('GET', `/api/scenes/${scene.id}`), 404, 'NOT_FOUND')
    // Creating still defaults to active, sortOrder 0.
    expect(await createScene()).toMatchObject({ active: true, sortOrder: 0 })
  })

  it('every scene change writes its audit row (who, before, after); a delete of nothing writes none', async () => {
    const scene = await createScene({ cost: 3 })
    dataOf(await callJson('PUT', `/api/scenes/${scene.id}`, { cost: 5 }, { token: admin.accessToken }), updateSceneRoute, 200)
    dataOf(await callJson('DELETE', `/api/scenes/${scene.id}`, undefined, { token: admin.accessToken }), deleteSceneRoute, 200)
    expectError(await callJson('DELETE', `/api/scenes/${scene.id}`, undefined, { token: admin.accessToken }), 404, 'NOT_FOUND')
    const { results } = await env.DB.prepare('SELECT actor_id, action, before, after FROM audit_log WHERE target_id = ?1 ORDER BY created_at, rowid')
      .bind(scene.id)
      .all<{ actor_id: string; action: string; before: string | null; after: string | null }>()
    expect(results.map((r) => [r.actor_id, r.action])).toEqual([
      [admin.id, 'scenes.create'],
      [admin.id, 'scenes.update'],
      [admin.id, 'scenes.delete'],
    ])
    expect(JSON.parse(results[1]!.before!)).toEqual({ cost: 3 })
    expect(JSON.parse(results[1]!.after!)).toEqual({ cost: 5 })
    expect(JSON.parse(results[2]!.before!)).toMatchObject({ id: scene.id, cost: 5 })
  })

  it('deletes a scene: it disappears from the list and detail, and a second delete is 404', async () => {
    const scene = await createScene()
    const r = await callJson('DELETE', `/api/scenes/${scene.id}`, undefined, { token: admin.accessToken })
    expect(dataOf(r, deleteSceneRoute, 200)).toEqual({ deleted: true })
    expectError(await callJson('GET', `/api/scenes/${scene.id}`), 404, 'NOT_FOUND')
    const ids = dataOf(await callJson('GET', '/api/scenes'), listScenesRoute, 200).scenes.map((s) => s.id)
    expect(ids).not.toContain(scene.id)
    expectError(await callJson('DELETE', `/api/scenes/${scene.id}`, undefined, { token: admin.accessToken }), 404, 'NOT_FOUND')
  })
})

describe('public scene list and detail', () => {
  it('anyone sees active scenes in display order; inactive ones are hidden from list and detail', async () => {
    const later = await createScene({ sortOrder: 20, category: 'landscape' })
    const first = await createScene({ sortOrder: 10, category: 'landscape' })
    const hidden = await createScene({ active: false, category: 'landscape' })
    const listed = dataOf(await callJson('GET', '/api/scenes?category=landscape'), listScenesRoute, 200)
    expect(listed.scenes.map((s) => s.id)).toEqual([first.id, later.id])
    expectError(await callJson('GET', `/api/scenes/${hidden.id}`), 404, 'NOT_FOUND')
    const detail = await callJson('GET', `/api/scenes/${first.id}`)
    expect(dataOf(detail, getSceneRoute, 200).scene).toMatchObject({ id: first.id, promptTemplate: first.promptTemplate, cost: 5 })

    // Deactivating through an update hides it too.
    await callJson('PUT', `/api/scenes/${first.id}`, { active: false }, { token: admin.accessToken })
    expect(dataOf(await callJson('GET', '/api/scenes?category=landscape'), listScenesRoute, 200).scenes.map((s) => s.id)).toEqual([later.id])
  })
})

describe('tasks from a scene', () => {
  // A capturing queue: these tasks only need to be priced and stored, not rendered.
  const bindings = () => envWith()

  it('fills {prompt} and the variables, takes the scene negative prompt and charges the scene cost', async () => {
    const buyer = await newUser('scnbuyer')
    const scene = await createScene({ defaultParams: { size: '768x512', steps: 25 } })
    const task = await queuedTask(bindings(), buyer.accessToken, { sceneId: scene.id, prompt: 'an old sailor', variables: { style: 'rembrandt' } })
    expect(task.prompt).toBe('portrait of an old sailor, rembrandt lighting, 35mm film')
    expect(task.negativePrompt).toBe('color, blurry')
    expect(task.sceneId).toBe(scene.id)
    // Scene defaults apply: 768x512 at 25 steps is 5 × 1.5 = 7.5, rounded up.
    expect(task).toMatchObject({ size: '768x512', steps: 25, cost: 8 })
    // Explicit parameters win over scene defaults: 1024x1024 is 5 × 4.
    const big = await queuedTask(bindings(), buyer.accessToken, { sceneId: scene.id, prompt: 'a fox', variables: { style: 'neon' }, size: '1024x1024', negativePrompt: 'text' })
    expect(big).toMatchObject({ cost: 20, size: '1024x1024', negativePrompt: 'text' })
    expect(await creditsOf(buyer.id)).toBe(100 - 8 - 20)
  })

  it('a template without {prompt} supplies the prompt itself', async () => {
    const buyer = await newUser('scnbuyer')
    const scene = await createScene({ promptTemplate: 'a watercolor of a {animal}', cost: 1 })
    const task = await queuedTask(bindings(), buyer.accessToken, { sceneId: scene.id, variables: { animal: 'heron' } })
    expect(task.prompt).toBe('a watercolor of a heron')
    expect(task.cost).toBe(1)
  })

  it('missing variables or prompt are 400 naming each, and cost nothing', async () => {
    const buyer = await newUser('scnbuyer')
    const scene = await createScene()
    const noStyle = await callApp(bindings(), 'POST', '/api/tasks', { sceneId: scene.id, prompt: 'a cat' }, { token: buyer.accessToken })
    expect(fieldsOf(noStyle)).toEqual(['variables.style'])
    const nothing = await callApp(bindings(), 'POST', '/api/tasks', { sceneId: scene.id, variables: { other: 'x' } }, { token: buyer.accessToken })
    expect(fieldsOf(nothing).sort()).toEqual(['prompt', 'variables.style'])
    expect(await creditsOf(buyer.id)).toBe(100)
    expect((await ledgerOf(buyer.id)).map((r) => r.reason)).toEqual(['signup_bonus'])
  })

  it('unknown and inactive scenes are 404', async () => {
    const buyer = await newUser('scnbuyer')
    const inactive = await createScene({ active: false })
    for (const sceneId of ['scn_does_not_exist', inactive.id]) {
      const r = await callApp(bindings(), 'POST', '/api/tasks', { sceneId, prompt: 'x', variables: { style: 'y' } }, { token: buyer.accessToken })
      expectError(r, 404, 'NOT_FOUND')
    }
    expect(await creditsOf(buyer.id)).toBe(100)
  })
})
