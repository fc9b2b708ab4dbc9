import { env } from 'cloudflare:test'
import { describe, expect, it } from 'vitest'
import { createDb } from '../../../src/db/client'
import { completeTask, loadTask } from '../../../src/features/tasks/state'
import { listWorksRoute } from '../../../src/features/works/items/routes'
import { callJson, dataOf, expectError, newUser } from '../../helpers'
import { makePng } from '../../support/images'
import { envWith, generate, imageRowsOf, queuedTask, runQueue, taskRow } from '../../support/generation'
import { imageRefs } from './support'

const worksOfTask = async (taskId: string) =>
  (await env.DB.prepare('SELECT id, image_id, user_id, title, is_public, review_status FROM works WHERE task_id = ?1 ORDER BY image_id').bind(taskId).all<{
    id: string
    image_id: string
    user_id: string
    title: string | null
    is_public: number
    review_status: string
  }>()).results

describe('a succeeded task makes each of its images a private, untitled work', () => {
  it('with the prompt, negative prompt and parameters of the task, each work holding its image', async () => {
    const user = await newUser('wtask')
    const bindings = envWith()
    const task = await queuedTask(bindings, user.accessToken, { prompt: 'a red kite over dunes', negativePrompt: 'text', batchSize: 2, seed: 11, steps: 20 })
    await runQueue(bindings, [generate(task.id)])
    expect((await taskRow(task.id)).status).toBe('succeeded')

    const images = await imageRowsOf(task.id)
    const works = await worksOfTask(task.id)
    expect(works.map((w) => w.image_id)).toEqual(images.map((i) => i.id))
    expect(works.every((w) => w.user_id === user.id && w.title === null && w.is_public === 0 && w.review_status === 'none')).toBe(true)
    // The owner's image record and the work.
    for (const image of images) expect(await imageRefs(image.id)).toEqual({ refs: 2, hidden: 0 })

    const list = dataOf(await callJson('GET', '/api/works', undefined, { token: user.accessToken }), listWorksRoute, 200)
    expect(list.pagination.total).toBe(2)
    for (const work of list.items) {
      expect(work).toMatchObject({ taskId: task.id, prompt: 'a red kite over dunes', negativePrompt: 'text', title: null, isPublic: false })
      expect(work.params).toEqual({
        model: task.model, width: 512, height: 512, steps: 20, cfgScale: task.cfgScale, seed: 11, sampler: task.sampler, clipSkip: task.clipSkip,
        batchSize: 2, sceneId: null,
      })
    }
    // Already works: making them one again is a conflict.
    expectError(await callJson('POST', '/api/works', { imageId: images[0]!.id }, { token: user.accessToken }), 409, 'CONFLICT')
  })

  it('redelivered and parallel completions make one work per image and take one reference each', async () => {
    const user = await newUser('wtask')
    const bindings = envWith()
    const task = await queuedTask(bindings, user.accessToken, { prompt: 'three at once', batchSize: 2 })
    // At-least-once delivery: the same message in parallel batches and twice in one batch.
    await Promise.all([runQueue(bindings, [generate(task.id)]), runQueue(bindings, [generate(task.id), generate(task.id)])])
    await runQueue(bindings, [generate(task.id)], { attempts: 2 })
    const images = await imageRowsOf(task.id)
    expect(await worksOfTask(task.id)).toHaveLength(2)
    for (const image of images) expect(await imageRefs(image.id)).toEqual({ refs: 2, hidden: 0 })
  })

  it('a late completion of an already succeeded task neither re-creates a deleted work nor takes another reference', async () => {
    const user = await newUser('wtask')
    const bindings = envWith()
    const task = await queuedTask(bindings, user.accessToken, { prompt: 'deleted later', batchSize: 1 })
    await runQueue(bindings, [generate(task.id)])
    const [work] = await worksOfTask(task.id)
    expect((await callJson('DELETE', `/api/works/${work!.id}`, undefined, { token: user.accessToken })).status).toBe(200)
    expect(await imageRefs(work!.image_id)).toEqual({ refs: 1, hidden: 0 })

    // A delivery that loaded the task while it was still running finishes now (the consumer's
    // own check cannot stop it any more): the task's UPDATE does not apply, so neither do the works'.
    const db = createDb(env.DB)
    const loaded = await loadTask(db, task.id)
    const won = await completeTask(env, db, { ...loaded!, status: 'running' }, [{ bytes: await makePng(16, 16) }])
    expect(won).toBe(false)
    expect(await worksOfTask(task.id)).toEqual([])
    expect(await imageRefs(work!.image_id)).toEqual({ refs: 1, hidden: 0 })
  })
})
