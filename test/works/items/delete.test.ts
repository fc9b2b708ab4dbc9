import { describe, expect, it } from 'vitest'
import { batchDeleteWorksRoute, deleteWorkRoute, getWorkRoute } from '../../../src/features/works/items/routes'
import { call, callJson, dataOf, expectError, newUser } from '../../helpers'
import { imageKeys } from '../../support/images'
import { insertWork } from '../../support/works'
import { createdWork, imageRefs, workRow } from './support'

describe('DELETE /api/works/:id', () => {
  it('deletes my work and releases its image reference; the image stays while my image record holds it', async () => {
    const user = await newUser('wdel')
    const { work, image } = await createdWork(user.accessToken)
    expect(await imageRefs(image.id)).toEqual({ refs: 2, hidden: 0 })
    const result = dataOf(await callJson('DELETE', `/api/works/${work.id}`, undefined, { token: user.accessToken }), deleteWorkRoute, 200)
    expect(result).toEqual({ deleted: [work.id], count: 1 })
    expect(await workRow(work.id)).toBeNull()
    expect(await imageRefs(image.id)).toEqual({ refs: 1, hidden: 0 })
    expect(await imageKeys(user.id, image.id)).not.toEqual([])
    // Gone: a second delete is 404 and releases nothing more.
    expectError(await callJson('DELETE', `/api/works/${work.id}`, undefined, { token: user.accessToken }), 404, 'NOT_FOUND')
    expect(await imageRefs(image.id)).toEqual({ refs: 1, hidden: 0 })
  })

  it('when the owner already deleted the image record, deleting the work frees the image row and its R2 objects', async () => {
    const user = await newUser('wdel')
    const { work, image } = await createdWork(user.accessToken)
    expect((await callJson('DELETE', `/api/images/${image.id}`, undefined, { token: user.accessToken })).status).toBe(200)
    // The work still holds the image: hidden from the image list, still stored.
    expect(await imageRefs(image.id)).toEqual({ refs: 1, hidden: 1 })
    expect(await imageKeys(user.id, image.id)).not.toEqual([])
    const detail = dataOf(await callJson('GET', `/api/works/${work.id}`, undefined, { token: user.accessToken }), getWorkRoute, 200).work
    // The private work still shows its picture through its own signed URLs; the image's URL is gone.
    expect((await call('GET', detail.image.variants.thumb)).status).toBe(200)
    expect((await call('GET', `/api/images/${image.id}/thumb`, undefined, { token: user.accessToken })).status).toBe(404)

    dataOf(await callJson('DELETE', `/api/works/${work.id}`, undefined, { token: user.accessToken }), deleteWorkRoute, 200)
    expect(await imageRefs(image.id)).toBeNull()
    expect(await imageKeys(user.id, image.id)).toEqual([])
  })

  it('parallel deletes of one work release its reference once', async () => {
    const user = await newUser('wdel')
    const { work, image } = await createdWork(user.accessToken)
    const results = await Promise.all(Array.from({ length: 5 }, () => callJson('DELETE', `/api/works/${work.id}`, undefined, { token: user.accessToken })))
    expect(results.filter((r) => r.status === 200)).toHaveLength(1)
    for (const r of results.filter((x) => x.status !== 200)) expectError(r, 404, 'NOT_FOUND')
    // One release only: the owner's record still holds the image.
    expect(await imageRefs(image.id)).toEqual({ refs: 1, hidden: 0 })
  })

  it("someone else's work is 404 and stays", async () => {
    const owner = await newUser('wdel')
    const other = await newUser('wdel')
    const { workId } = await insertWork(owner.id, { published: true })
    expectError(await callJson('DELETE', `/api/works/${workId}`, undefined, { token: other.accessToken }), 404, 'NOT_FOUND')
    expectError(await callJson('DELETE', `/api/works/${workId}`), 401, 'UNAUTHORIZED')
    expect(await workRow(workId)).not.toBeNull()
  })
})

describe('POST /api/works/batch/delete', () => {
  it('deletes all of mine at once (duplicates count once) and answers which', async () => {
    const user = await newUser('wbatch')
    const works = await Promise.all([0, 1, 2].map(() => insertWork(user.id)))
    const ids = works.map((w) => w.workId)
    const result = dataOf(await callJson('POST', '/api/works/batch/delete', { ids: [...ids, ids[0]] }, { token: user.accessToken }), batchDeleteWorksRoute, 200)
    expect(result.count).toBe(3)
    expect([...result.deleted].sort()).toEqual([...ids].sort())
    for (const w of works) {
      expect(await workRow(w.workId)).toBeNull()
      // insertWork's image has the owner's record and the work as holders: one left.
      expect(await imageRefs(w.imageId)).toEqual({ refs: 1, hidden: 0 })
    }
  })

  it('all or nothing: one id not mine (or unknown) → 404 listing each, nothing deleted, no reference released', async () => {
    const user = await newUser('wbatch')
    const other = await newUser('wbatch')
    const mine = await insertWork(user.id)
    const theirs = await insertWork(other.id)
    const error = expectError(
      await callJson('POST', '/api/works/batch/delete', { ids: [mine.workId, theirs.workId, 'wrk_unknown'] }, { token: user.accessToken }),
      404,
      'NOT_FOUND',
    )
    expect(error.details).toEqual({
      errors: [
        { id: theirs.workId, code: 'NOT_FOUND', error: 'Work not found' },
        { id: 'wrk_unknown', code: 'NOT_FOUND', error: 'Work not found' },
      ],
    })
    expect(await workRow(mine.workId)).not.toBeNull()
    expect(await workRow(theirs.workId)).not.toBeNull()
    expect(await imageRefs(mine.imageId)).toEqual({ refs: 2, hidden: 0 })
  })

  it('validates the list: 1 to 100 ids', async () => {
    const user = await newUser('wbatch')
    for (const body of [{ ids: [] }, { ids: Array.from({ length: 101 }, (_, i) => `wrk_${i}`) }, { ids: 'wrk_1' }, {}]) {
      expectError(await callJson('POST', '/api/works/batch/delete', body, { token: user.accessToken }), 400, 'VALIDATION_ERROR')
    }
  })

  it('100 works in one request', async () => {
    const user = await newUser('wbatch')
    const works: string[] = []
    for (let i = 0; i < 100; i += 20) works.push(...(await Promise.all(Array.from({ length: 20 }, () => insertWork(user.id)))).map((w) => w.workId))
    const result = dataOf(await callJson('POST', '/api/works/batch/delete', { ids: works }, { token: user.accessToken }), batchDeleteWorksRoute, 200)
    expect(result.count).toBe(100)
  })
})
