import { env } from 'cloudflare:test'
import { describe, expect, it } from 'vitest'
import { getWorkRoute, updateWorkRoute } from '../../../src/features/works/items/routes'
import { callApp, callJson, d1WithHook, dataOf, expectError, newUser } from '../../helpers'
import { insertWork } from '../../support/works'
import { createdWork, review, setWorksReview, workRow } from './support'

const put = (id: string, body: unknown, token?: string) => callJson('PUT', `/api/works/${id}`, body, { token })

describe('PUT /api/works/:id: fields', () => {
  it('changes only the fields present, normalising tags; "" clears the title', async () => {
    const user = await newUser('wedit')
    const { work } = await createdWork(user.accessToken, { title: 'First', description: 'kept', category: 'sea' })
    const edited = dataOf(await put(work.id, { title: '  Second  ', tags: ['Fog', ' fog ', 'Sea  Side', '   '] }, user.accessToken), updateWorkRoute, 200).work
    expect(edited).toMatchObject({ title: 'Second', description: 'kept', category: 'sea', tags: ['fog', 'sea side'], isPublic: false, reviewStatus: 'none' })
    expect(Date.parse(edited.updatedAt)).toBeGreaterThanOrEqual(Date.parse(work.updatedAt))

    const cleared = dataOf(await put(work.id, { title: '', category: null }, user.accessToken), updateWorkRoute, 200).work
    expect(cleared).toMatchObject({ title: null, category: null, description: 'kept' })
    expect((await workRow(work.id))?.title).toBeNull()
  })

  it("someone else's or an unknown work is 404 and unchanged; bad fields 400; no token 401", async () => {
    const owner = await newUser('wedit')
    const other = await newUser('wedit')
    const { workId } = await insertWork(owner.id, { title: 'Mine' })
    expectError(await put(workId, { title: 'Stolen' }, other.accessToken), 404, 'NOT_FOUND')
    expectError(await put('wrk_nope', { title: 'x' }, owner.accessToken), 404, 'NOT_FOUND')
    expect((await workRow(workId))?.title).toBe('Mine')
    for (const body of [{ title: 'x'.repeat(101) }, { description: 'x'.repeat(1001) }, { tags: Array.from({ length: 11 }, (_, i) => `t${i}`) }, { tags: ['x'.repeat(31)] }, { category: 'x'.repeat(41) }, { isPublic: 1 }, { tags: 'fog' }]) {
      expectError(await put(workId, body, owner.accessToken), 400, 'VALIDATION_ERROR')
    }
    expectError(await put(workId, { title: 'x' }), 401, 'UNAUTHORIZED')
  })

  it('a title used by another of my works is 409 DUPLICATE_TITLE, any case; keeping my own title or reusing another user\'s is fine', async () => {
    const user = await newUser('wedit')
    const other = await newUser('wedit')
    await insertWork(other.id, { title: 'Shared name' })
    const a = (await createdWork(user.accessToken, { title: 'Lighthouse' })).work
    const b = (await createdWork(user.accessToken)).work
    expectError(await put(b.id, { title: 'LIGHTHOUSE' }, user.accessToken), 409, 'DUPLICATE_TITLE')
    expect(dataOf(await put(a.id, { title: 'lighthouse' }, user.accessToken), updateWorkRoute, 200).work.title).toBe('lighthouse')
    expect(dataOf(await put(b.id, { title: 'Shared name' }, user.accessToken), updateWorkRoute, 200).work.title).toBe('Shared name')
  })

  it('two parallel edits giving two works the same title: one wins, the other is 409 (the unique index decides)', async () => {
    const user = await newUser('wedit')
    const a = (await createdWork(user.accessToken)).work
    const b = (await createdWork(user.accessToken)).work
    const results = await Promise.all([put(a.id, { title: 'Same' }, user.accessToken), put(b.id, { title: 'same' }, user.accessToken)])
    expect(results.map((r) => r.status).sort()).toEqual([200, 409])
    expectError(results.find((r) => r.status === 409)!, 409, 'DUPLICATE_TITLE')
    const titles = [(await workRow(a.id))?.title, (await workRow(b.id))?.title].filter((t) => t !== null)
    expect(titles).toHaveLength(1)
  })
  it('a title taken between the check and the write is still 409, not 500 (the unique index violation is caught)', async () => {
    const user = await newUser('wedit')
    const a = (await createdWork(user.accessToken)).work
    const b = (await createdWork(user.accessToken)).work
    // Another request titles work a right after this edit's "is it free?" check.
    const hooked = d1WithHook(/^\s*UPDATE works SET/, () => env.DB.prepare("UPDATE works SET title = 'Taken' WHERE id = ?1").bind(a.id).run().then(() => undefined))
    expectError(await callApp({ DB: hooked }, 'PUT', `/api/works/${b.id}`, { title: 'TAKEN' }, { token: user.accessToken }), 409, 'DUPLICATE_TITLE')
    expect((await workRow(b.id))?.title).toBeNull()
  })
})

describe('PUT /api/works/:id: publication and review', () => {
  it('public → pending (not in the gallery); approval publishes; private unpublishes keeping the status; public again → new version', async () => {
    const owner = await newUser('wreview')
    const { work } = await createdWork(owner.accessToken)
    const pending = dataOf(await put(work.id, { isPublic: true }, owner.accessToken), updateWorkRoute, 200).work
    expect(pending).toMatchObject({ isPublic: true, reviewStatus: 'pending', publishedAt: null })
    // Not visible to others while pending.
    expectError(await callJson('GET', `/api/works/${work.id}`), 404, 'NOT_FOUND')
    // Editing a pending public work's text does not resubmit or publish it.
    expect(dataOf(await put(work.id, { title: 'Waiting', isPublic: true }, owner.accessToken), updateWorkRoute, 200).work.reviewStatus).toBe('pending')

    await review(work.id, 'approved')
    expect(await workRow(work.id)).toMatchObject({ published_at: expect.any(Number), publish_version: 1 })
    expect((await callJson('GET', `/api/works/${work.id}`)).status).toBe(200)

    const hidden = dataOf(await put(work.id, { isPublic: false }, owner.accessToken), updateWorkRoute, 200).work
    expect(hidden).toMatchObject({ isPublic: false, reviewStatus: 'approved', publishedAt: null })
    expectError(await callJson('GET', `/api/works/${work.id}`), 404, 'NOT_FOUND')

    // Public again: reviewed again (review is on), and published later under a new version.
    expect(dataOf(await put(work.id, { isPublic: true }, owner.accessToken), updateWorkRoute, 200).work.reviewStatus).toBe('pending')
    await review(work.id, 'approved')
    expect((await workRow(work.id))?.publish_version).toBe(2)
  })

  it('a rejected work made public again goes back to pending, and the old reason is cleared', async () => {
    const owner = await newUser('wreview')
    const { work } = await createdWork(owner.accessToken, { isPublic: true })
    await review(work.id, 'rejected', 'blurry')
    const seen = dataOf(await callJson('GET', `/api/works/${work.id}`, undefined, { token: owner.accessToken }), getWorkRoute, 200).work
    expect(seen).toMatchObject({ reviewStatus: 'rejected', reviewReason: 'blurry', publishedAt: null })
    const again = dataOf(await put(work.id, { isPublic: true }, owner.accessToken), updateWorkRoute, 200).work
    expect(again).toMatchObject({ isPublic: true, reviewStatus: 'pending', reviewReason: null })
  })

  it('with worksReview off, making a work public approves and publishes it at once', async () => {
    const owner = await newUser('wreview')
    const { work } = await createdWork(owner.accessToken)
    await setWorksReview('off')
    try {
      const published = dataOf(await put(work.id, { isPublic: true }, owner.accessToken), updateWorkRoute, 200).work
      expect(published).toMatchObject({ isPublic: true, reviewStatus: 'approved', publishedAt: expect.any(String) })
      expect(published.image.variants.preview).toBe(`/api/works/${work.id}/images/preview?v=1`)
      expect((await callJson('GET', `/api/works/${work.id}`)).status).toBe(200)
    } finally {
      await setWorksReview('on')
    }
  })

  it('new text on a published work goes back to review (review on); the same text, or review off, keeps it published', async () => {
    const owner = await newUser('wreview')
    const { work } = await createdWork(owner.accessToken, { title: 'Quiet harbour', isPublic: true })
    await review(work.id, 'approved')
    // Re-sending what it already says is not an edit of the content.
    const same = dataOf(await put(work.id, { title: 'Quiet harbour', isPublic: true }, owner.accessToken), updateWorkRoute, 200).work
    expect(same).toMatchObject({ reviewStatus: 'approved', publishedAt: expect.any(String) })
    const edited = dataOf(await put(work.id, { description: 'now with a slogan' }, owner.accessToken), updateWorkRoute, 200).work
    expect(edited).toMatchObject({ isPublic: true, reviewStatus: 'pending', publishedAt: null })
    expectError(await callJson('GET', `/api/works/${work.id}`), 404, 'NOT_FOUND')
    await review(work.id, 'approved')
    expect((await workRow(work.id))?.publish_version).toBe(2)
    await setWorksReview('off')
    try {
      const kept = dataOf(await put(work.id, { tags: ['harbour', 'dawn'] }, owner.accessToken), updateWorkRoute, 200).work
      expect(kept).toMatchObject({ reviewStatus: 'approved', publishedAt: expect.any(String) })
    } finally {
      await setWorksReview('on')
    }
  })

  it("an admin's decision landing between the edit's read and write is not overwritten", async () => {
    const owner = await newUser('wreview')
    const { work } = await createdWork(owner.accessToken, { isPublic: true })
    // Approve right before the edit's UPDATE runs: the edit read "pending", the row now says
    // "approved". The compare-and-set makes the edit re-read instead of writing "pending" back.
    const hooked = d1WithHook(/^\s*UPDATE works SET/, () => review(work.id, 'approved'))
    // (No new text in the edit: new text on an approved work would rightly send it back to review.)
    const result = await callApp({ DB: hooked }, 'PUT', `/api/works/${work.id}`, { isPublic: true }, { token: owner.accessToken })
    expect(dataOf(result, updateWorkRoute, 200).work).toMatchObject({ isPublic: true, reviewStatus: 'approved', publishedAt: expect.any(String) })
  })
})
