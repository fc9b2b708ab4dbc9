import { env } from 'cloudflare:test'
import { describe, expect, it } from 'vitest'
import { listTasksRoute } from '../../src/features/tasks/routes'
import { callJson, dataOf, newUser } from '../helpers'
import { chunked, MAX_IN_LIST } from '../../src/lib/d1-chunks'
import { envWith, grantCredits, queuedTask } from '../support/generation'

/**
 * D1 binds at most 100 parameters per statement: every `IN (…)` list over ids the caller
 * controls in number must be chunked.
 */
describe('D1 100-parameter limit', () => {
  it('chunked() splits into runs of at most MAX_IN_LIST, in order', () => {
    const items = Array.from({ length: 2 * MAX_IN_LIST + 3 }, (_, i) => i)
    const chunks = chunked(items)
    expect(chunks.map((c) => c.length)).toEqual([MAX_IN_LIST, MAX_IN_LIST, 3])
    expect(chunks.flat()).toEqual(items)
    expect(chunked([])).toEqual([])
    expect(MAX_IN_LIST).toBeLessThanOrEqual(95)
  })

  it('GET /api/tasks?limit=100 with 26 four-image tasks (104 result images) answers every image', async () => {
    const user = await newUser('d1lim')
    await grantCredits(user.id, 500)
    const template = await queuedTask(envWith(), user.accessToken, { prompt: 'a quiet harbour', batchSize: 4 })
    const now = Date.now()
    const statements: D1PreparedStatement[] = []
    const expected = new Map<string, string[]>()
    for (let t = 0; t < 26; t++) {
      const taskId = `tsk_d1lim_${t}_${crypto.randomUUID().slice(0, 8)}`
      const imageIds = [0, 1, 2, 3].map((n) => `img_d1lim_${t}_${n}_${crypto.randomUUID().slice(0, 8)}`)
      expected.set(taskId, imageIds)
      statements.push(
        env.DB.prepare(
          `INSERT INTO tasks (id, user_id, status, progress, prompt, model, width, height, batch_size, cfg_scale, steps, seed, sampler,
             clip_skip, result_image_ids, cost, provider, attempts, estimated_seconds, created_at, updated_at)
           SELECT ?2, user_id, 'succeeded', 100, prompt, model, width, height, batch_size, cfg_scale, steps, seed, sampler,
             clip_skip, ?3, cost, provider, 1, estimated_seconds, created_at + ?4, ?5 FROM tasks WHERE id = ?1`,
        ).bind(template.id, taskId, JSON.stringify(imageIds), t + 1, now),
      )
      for (const [n, id] of imageIds.entries()) {
        statements.push(
          env.DB.prepare(
            `INSERT INTO images (id, owner_id, type, visibility, task_id, mime, width, height, bytes, sha256, original_key, thumb_key, preview_key, preview_ready, ref_count, created_at, updated_at)
             VALUES (?1, ?2, 'generated', 'private', ?3, 'image/png', 512, 512, 100, 'x', ?4, ?5, ?6, 1, 1, ?7, ?7)`,
          ).bind(id, user.id, taskId, `images/${user.id}/${id}/o`, `images/${user.id}/${id}/t`, `images/${user.id}/${id}/p`, now + n),
        )
      }
    }
    await env.DB.batch(statements)

    const r = await callJson('GET', '/api/tasks?limit=100&status=succeeded', undefined, { token: user.accessToken })
    const { items } = dataOf(r, listTasksRoute, 200)
    expect(items).toHaveLength(26)
    for (const item of items) expect(item.images.map((i) => i.id)).toEqual(expected.get(item.id))
  })
})
