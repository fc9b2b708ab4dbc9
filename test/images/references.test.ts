import { env } from 'cloudflare:test'
import { describe, expect, it } from 'vitest'
import { endTaskWithRefund } from '../../src/features/tasks/state'
import { listImagesRoute } from '../../src/features/images/routes'
import { call, callJson, dataOf, newUser } from '../helpers'
import { envWith, generate, queuedTask, runQueue, taskRow } from '../support/generation'
import { createSession, distinctPngs, imageIdOf, nth, present, uploadPhotos } from '../support/live'
import { imageKeys, makePng, uploadImage } from '../support/images'

// Every holder of an image takes and releases its own reference: the owner's record, a live
// photo, a task using it as input. Whoever lets go first must not break the others, and the
// bytes go exactly when the last one lets go.

const refRow = (id: string) =>
  env.DB.prepare('SELECT ref_count AS refs, deleted_at IS NOT NULL AS hidden FROM images WHERE id = ?1').bind(id).first<{ refs: number; hidden: number }>()

describe('live photos hold their own reference', () => {
  it('deleting the image via /api/images hides it from the list; the photo keeps serving; deleting the photo frees R2', async () => {
    const owner = await newUser('ref')
    const session = await createSession(owner.accessToken)
    const photo = nth(await uploadPhotos(owner.accessToken, session.id, await distinctPngs(1)), 0)
    const imageId = imageIdOf(photo)
    expect(await refRow(imageId)).toEqual({ refs: 2, hidden: 0 })

    const del = await callJson('DELETE', `/api/images/${imageId}`, undefined, { token: owner.accessToken })
    expect(del.status).toBe(200)
    expect(await refRow(imageId)).toEqual({ refs: 1, hidden: 1 })
    const list = await callJson('GET', '/api/images', undefined, { token: owner.accessToken })
    expect(dataOf(list, listImagesRoute, 200).items.map((i) => i.id)).not.toContain(imageId)
    // A second delete of the same image is a 404 and releases nothing more.
    expect((await callJson('DELETE', `/api/images/${imageId}`, undefined, { token: owner.accessToken })).status).toBe(404)
    expect(await refRow(imageId)).toEqual({ refs: 1, hidden: 1 })

    for (const url of [photo.thumbUrl, photo.previewUrl, present(photo.downloadUrl, 'the owner\'s download URL')]) {
      const res = await call('GET', url, undefined, { token: owner.accessToken })
      expect(res.status, url).toBe(200)
      await res.arrayBuffer()
    }
    expect(await imageKeys(owner.id, imageId)).not.toEqual([])

    expect((await callJson('DELETE', `/api/live/photos/${photo.id}`, undefined, { token: owner.accessToken })).status).toBe(200)
    expect(await refRow(imageId)).toBeNull()
    expect(await imageKeys(owner.id, imageId)).toEqual([])
  })

  it('deleting the photo alone also drops the owner record: no ghost in the library, R2 freed', async () => {
    const owner = await newUser('ref')
    const session = await createSession(owner.accessToken)
    const photo = nth(await uploadPhotos(owner.accessToken, session.id, await distinctPngs(1)), 0)
    expect((await callJson('DELETE', `/api/live/photos/${photo.id}`, undefined, { token: owner.accessToken })).status).toBe(200)
    expect(await refRow(imageIdOf(photo))).toBeNull()
    expect(await imageKeys(owner.id, imageIdOf(photo))).toEqual([])
  })
})

describe('task inputs hold a reference while the task runs', () => {
  it('the owner may delete the input mid-task; the bytes stay until the task ends, then go, once', async () => {
    const user = await newUser('ref')
    const bindings = envWith()
    const input = await uploadImage(user.accessToken, await makePng(20, 12), 'in.png')
    const task = await queuedTask(bindings, user.accessToken, { prompt: 'img2img', inputImageIds: [input.id] })
    expect(await refRow(input.id)).toEqual({ refs: 2, hidden: 0 })

    expect((await callJson('DELETE', `/api/images/${input.id}`, undefined, { token: user.accessToken })).status).toBe(200)
    expect(await refRow(input.id)).toEqual({ refs: 1, hidden: 1 })
    const keys = await imageKeys(user.id, input.id)
    expect(keys.length).toBeGreaterThanOrEqual(2)

    await runQueue(bindings, [generate(task.id)])
    expect((await taskRow(task.id)).status).toBe('succeeded')
    expect(await refRow(input.id)).toBeNull()
    expect(await imageKeys(user.id, input.id)).toEqual([])
    // A redelivery finds the task finished and releases nothing again.
    await runQueue(bindings, [generate(task.id)], { attempts: 2 })
    expect((await taskRow(task.id)).status).toBe('succeeded')
  })

  it('a kept input goes back to one reference when the task ends, however often the end is reported', async () => {
    const user = await newUser('ref')
    const bindings = envWith()
    const shared = await uploadImage(user.accessToken, await makePng(18, 12), 'shared.png')
    const a = await queuedTask(bindings, user.accessToken, { prompt: 'a', inputImageIds: [shared.id] })
    const b = await queuedTask(bindings, user.accessToken, { prompt: 'b', inputImageIds: [shared.id] })
    expect(await refRow(shared.id)).toEqual({ refs: 3, hidden: 0 })

    // Cancel, then the same end again (DLQ, cron and a late cancel race each other).
    expect((await callJson('POST', `/api/tasks/${a.id}/cancel`, undefined, { token: user.accessToken })).status).toBe(200)
    expect(await refRow(shared.id)).toEqual({ refs: 2, hidden: 0 })
    await Promise.all([endTaskWithRefund(env, a.id, 'failed', 'late'), endTaskWithRefund(env, a.id, 'canceled', 'again')])
    expect(await refRow(shared.id)).toEqual({ refs: 2, hidden: 0 })

    // Success through two concurrent deliveries, then a dead-letter style failure afterwards.
    await Promise.all([runQueue(bindings, [generate(b.id)]), runQueue(bindings, [generate(b.id)])])
    expect((await taskRow(b.id)).status).toBe('succeeded')
    await endTaskWithRefund(env, b.id, 'failed', 'dead-lettered late')
    expect(await refRow(shared.id)).toEqual({ refs: 1, hidden: 0 })
    expect(await imageKeys(user.id, shared.id)).not.toEqual([])
  })

  it('a live photo used as a task input outlives the photo until the task ends', async () => {
    const owner = await newUser('ref')
    const bindings = envWith()
    const session = await createSession(owner.accessToken)
    const photo = nth(await uploadPhotos(owner.accessToken, session.id, await distinctPngs(1)), 0)
    const task = await queuedTask(bindings, owner.accessToken, { prompt: 'restyle', inputImageIds: [imageIdOf(photo)] })
    expect((await callJson('DELETE', `/api/live/photos/${photo.id}`, undefined, { token: owner.accessToken })).status).toBe(200)
    expect(await refRow(imageIdOf(photo))).toEqual({ refs: 1, hidden: 1 })
    await runQueue(bindings, [generate(task.id)])
    expect(await refRow(imageIdOf(photo))).toBeNull()
    expect(await imageKeys(owner.id, imageIdOf(photo))).toEqual([])
  })
})
