import { env } from 'cloudflare:test'
import { afterEach, beforeAll, describe, expect, it } from 'vitest'
import { galleryRoute } from '../../../src/features/works/gallery/routes'
import { listReviewWorksRoute, reviewWorkRoute } from '../../../src/features/works/review/routes'
import { call, callJson, dataOf, dbFirst, expectError, newUser, type TestUser } from '../../helpers'
import { toWorkDto, WORK_COLUMNS, WORK_FROM, type WorkRow } from '../../../src/features/works/shared/rows'
import { makeAdmin } from '../../support/generation'
import { insertWork } from '../../support/works'
import { client, closeAll, upgrade } from '../../support/ws-client'

let admin: TestUser

beforeAll(async () => {
  admin = await newUser('admin')
  await makeAdmin(admin.id)
})
afterEach(closeAll)

const review = (id: string, body: unknown, token = admin.accessToken) => callJson('PUT', `/api/admin/works/${id}`, body, { token })
const inGallery = async (authorId: string) =>
  dataOf(await callJson('GET', `/api/works/gallery?authorId=${authorId}`), galleryRoute, 200).items.map((w) => w.id)

/** What the owner's work looks like in D1 (the owner-facing routes belong to another feature). */
const stored = (id: string) =>
  dbFirst<{ review_status: string; is_public: number; review_reason: string | null; featured: number; published_at: number | null; publish_version: number; reviewed_by: string | null }>(
    'SELECT review_status, is_public, review_reason, featured, published_at, publish_version, reviewed_by FROM works WHERE id = ?1',
    id,
  )

describe('admin works review: access', () => {
  it('401 without a token, 403 for a non-admin, 404 for an unknown work', async () => {
    const user = await newUser('plain')
    const { workId } = await insertWork(user.id, { isPublic: true, reviewStatus: 'pending' })
    expectError(await callJson('GET', '/api/admin/works'), 401, 'UNAUTHORIZED')
    expectError(await callJson('PUT', `/api/admin/works/${workId}`, { reviewStatus: 'approved' }), 401, 'UNAUTHORIZED')
    expectError(await callJson('GET', '/api/admin/works', undefined, { token: user.accessToken }), 403, 'FORBIDDEN')
    // Not even the owner may approve their own work.
    expectError(await review(workId, { reviewStatus: 'approved' }, user.accessToken), 403, 'FORBIDDEN')
    expect((await stored(workId))?.review_status).toBe('pending')
    expectError(await review('wrk_missing', { reviewStatus: 'approved' }), 404, 'NOT_FOUND')
  })

  it('bad bodies are 400: nothing to change, rejection without a reason, reason over 500, unknown status', async () => {
    const user = await newUser('plain')
    const { workId } = await insertWork(user.id, { isPublic: true, reviewStatus: 'pending' })
    for (const body of [{}, { reviewStatus: 'rejected' }, { reviewStatus: 'rejected', reason: '   ' }, { reviewStatus: 'rejected', reason: 'x'.repeat(501) }, { reviewStatus: 'pending' }, { featured: 'yes' }]) {
      expectError(await review(workId, body), 400, 'VALIDATION_ERROR')
    }
    expect((await stored(workId))?.review_status).toBe('pending')
  })
})

describe('admin works review: decisions', () => {
  it('approving a pending public work publishes it: it appears in the gallery with a new publish version', async () => {
    const owner = await newUser('owner')
    const { workId } = await insertWork(owner.id, { title: 'waiting', isPublic: true, reviewStatus: 'pending' })
    expect(await inGallery(owner.id)).toEqual([])
    const { work } = dataOf(await review(workId, { reviewStatus: 'approved' }), reviewWorkRoute, 200)
    expect(work).toMatchObject({ id: workId, reviewStatus: 'approved', isPublic: true, reviewReason: null })
    expect(work.publishedAt).not.toBeNull()
    expect(work.image.variants.thumb).toBe(`/api/works/${workId}/images/thumb?v=1`)
    expect(await inGallery(owner.id)).toEqual([workId])
    expect(await stored(workId)).toMatchObject({ publish_version: 1, reviewed_by: admin.id })
  })

  it('approving a private work records the approval and publishes nothing', async () => {
    const owner = await newUser('owner')
    const { workId } = await insertWork(owner.id, { isPublic: false, reviewStatus: 'none' })
    const { work } = dataOf(await review(workId, { reviewStatus: 'approved' }), reviewWorkRoute, 200)
    expect(work).toMatchObject({ reviewStatus: 'approved', isPublic: false, publishedAt: null })
    expect(await inGallery(owner.id)).toEqual([])
  })

  it('rejecting a published work takes it out of the gallery, makes it private and stores the reason', async () => {
    const owner = await newUser('owner')
    const { workId } = await insertWork(owner.id, { published: true })
    expect(await inGallery(owner.id)).toEqual([workId])
    const { work } = dataOf(await review(workId, { reviewStatus: 'rejected', reason: 'Identifiable person without consent' }), reviewWorkRoute, 200)
    // The admin sees the reason too (the DTO shows it to the owner and to admins only).
    expect(work).toMatchObject({ reviewStatus: 'rejected', isPublic: false, publishedAt: null, reviewReason: 'Identifiable person without consent' })
    expect(await inGallery(owner.id)).toEqual([])
    expect(await stored(workId)).toMatchObject({ review_status: 'rejected', is_public: 0, review_reason: 'Identifiable person without consent', published_at: null })
    // Every owner-facing route builds the work with toWorkDto: the owner sees why, anyone else does not.
    const row = await env.DB.prepare(`SELECT ${WORK_COLUMNS} ${WORK_FROM} WHERE w.id = ?1`).bind(workId).first<WorkRow>()
    expect((await toWorkDto(env, row!, owner.id)).reviewReason).toBe('Identifiable person without consent')
    expect((await toWorkDto(env, row!, admin.id)).reviewReason).toBeNull()
  })

  it('a private work never submitted cannot be rejected (409); a rejected one can be approved again', async () => {
    const owner = await newUser('owner')
    const { workId } = await insertWork(owner.id)
    expectError(await review(workId, { reviewStatus: 'rejected', reason: 'no' }), 409, 'CONFLICT')
    const rejected = (await insertWork(owner.id, { isPublic: true, reviewStatus: 'pending' })).workId
    dataOf(await review(rejected, { reviewStatus: 'rejected', reason: 'blurry faces' }), reviewWorkRoute, 200)
    const { work } = dataOf(await review(rejected, { reviewStatus: 'approved' }), reviewWorkRoute, 200)
    // Rejection made it private: approval records the decision, the owner publishes again.
    expect(work).toMatchObject({ reviewStatus: 'approved', reviewReason: null, isPublic: false, publishedAt: null })
  })

  it('featured only changes the flag, and the gallery filters by it', async () => {
    const owner = await newUser('owner')
    const { workId } = await insertWork(owner.id, { published: true })
    const before = await stored(workId)
    const { work } = dataOf(await review(workId, { featured: true }), reviewWorkRoute, 200)
    expect(work).toMatchObject({ featured: true, reviewStatus: 'approved', isPublic: true })
    expect(await stored(workId)).toMatchObject({ ...before, featured: 1 })
    expect(dataOf(await callJson('GET', `/api/works/gallery?authorId=${owner.id}&featured=true`), galleryRoute, 200).items.map((w) => w.id)).toEqual([workId])
  })

  it('two admins deciding at once: both answers are consistent with one final state, never a 500', async () => {
    const owner = await newUser('owner')
    const { workId } = await insertWork(owner.id, { isPublic: true, reviewStatus: 'pending' })
    const results = await Promise.all([review(workId, { reviewStatus: 'approved' }), review(workId, { reviewStatus: 'rejected', reason: 'spam' })])
    for (const r of results) expect([200, 409]).toContain(r.status)
    const final = await stored(workId)
    expect(final?.published_at !== null).toBe(final?.review_status === 'approved' && final?.is_public === 1)
  })
})

describe('admin works review: the owner is told', () => {
  it('work.reviewed reaches the owner: CONTENT_VIOLATION with the reason on rejection, null code on approval; a retry sends nothing', async () => {
    const owner = await newUser('owner')
    const socket = client(await upgrade(`/api/ws?token=${owner.accessToken}`))
    await socket.waitForType('connected')
    const { workId } = await insertWork(owner.id, { isPublic: true, reviewStatus: 'pending' })
    dataOf(await review(workId, { reviewStatus: 'rejected', reason: 'Watermark of another site' }), reviewWorkRoute, 200)
    const rejected = await socket.waitForType('work.reviewed', (f) => f.data.workId === workId)
    expect(rejected.data).toEqual({ workId, reviewStatus: 'rejected', reason: 'Watermark of another site', code: 'CONTENT_VIOLATION' })
    // The same request again (a client retry) changes nothing and sends no second event.
    dataOf(await review(workId, { reviewStatus: 'rejected', reason: 'Watermark of another site' }), reviewWorkRoute, 200)
    dataOf(await review(workId, { reviewStatus: 'approved' }), reviewWorkRoute, 200)
    await socket.waitForType('work.reviewed', (f) => f.data.reviewStatus === 'approved')
    const events = socket.frames.filter((f) => f.type === 'work.reviewed')
    expect(events.map((f) => f.type === 'work.reviewed' && [f.data.reviewStatus, f.data.code])).toEqual([
      ['rejected', 'CONTENT_VIOLATION'],
      ['approved', null],
    ])
  })

  it('an admin cannot approve or reject their own work (403); featuring it is fine and sends nothing', async () => {
    const socket = client(await upgrade(`/api/ws?token=${admin.accessToken}`))
    await socket.waitForType('connected')
    const own = await insertWork(admin.id, { isPublic: true, reviewStatus: 'pending' })
    expectError(await review(own.workId, { reviewStatus: 'approved' }), 403, 'FORBIDDEN')
    expectError(await review(own.workId, { reviewStatus: 'rejected', reason: 'mine' }), 403, 'FORBIDDEN')
    expect(dataOf(await review(own.workId, { featured: true }), reviewWorkRoute, 200).work.featured).toBe(true)
    const other = await newUser('owner')
    const theirs = await insertWork(other.id, { isPublic: true, reviewStatus: 'pending' })
    // A later event on another user's hub proves a publish to the admin (if any) had its chance.
    const otherSocket = client(await upgrade(`/api/ws?token=${other.accessToken}`))
    await otherSocket.waitForType('connected')
    dataOf(await review(theirs.workId, { reviewStatus: 'approved' }), reviewWorkRoute, 200)
    await otherSocket.waitForType('work.reviewed')
    expect(socket.frames.filter((f) => f.type === 'work.reviewed')).toEqual([])
  })

  it('rejecting a work in the gallery stops its public images at once (this data centre purges its copies)', async () => {
    const owner = await newUser('owner')
    const { workId } = await insertWork(owner.id, { published: true })
    const url = `/api/works/${workId}/images/thumb?v=1`
    const first = await call('GET', url)
    expect(first.status).toBe(200)
    await first.arrayBuffer()
    dataOf(await review(workId, { reviewStatus: 'rejected', reason: 'not allowed' }), reviewWorkRoute, 200)
    const after = await call('GET', url)
    expect(after.status).toBe(404)
    await after.arrayBuffer()
  })
})

describe('GET /api/admin/works', () => {
  it('lists works that entered review by status (pending oldest first) and search; private unsubmitted works never', async () => {
    const owner = await newUser('listed')
    const now = Date.now()
    const first = (await insertWork(owner.id, { title: 'queue zebra one', isPublic: true, reviewStatus: 'pending', createdAt: now - 60_000 })).workId
    const second = (await insertWork(owner.id, { title: 'queue zebra two', isPublic: true, reviewStatus: 'pending', createdAt: now })).workId
    await insertWork(owner.id, { title: 'zebra private' })
    // Submitted, then made private again by its owner: it no longer waits for a decision.
    const withdrawn = (await insertWork(owner.id, { title: 'zebra withdrawn', isPublic: false, reviewStatus: 'pending' })).workId
    const approved = (await insertWork(owner.id, { title: 'zebra shown', published: true })).workId
    const list = async (q: string) => dataOf(await callJson('GET', `/api/admin/works?${q}`, undefined, { token: admin.accessToken }), listReviewWorksRoute, 200)
    const pending = await list('reviewStatus=pending&search=zebra')
    expect(pending.items.map((w) => w.id)).toEqual([first, second])
    expect(pending.pagination.total).toBe(2)
    const all = await list('search=zebra')
    expect(new Set(all.items.map((w) => w.id))).toEqual(new Set([first, second, withdrawn, approved]))
    expect((await list('reviewStatus=approved&search=zebra')).items.map((w) => w.id)).toEqual([approved])
    expectError(await callJson('GET', '/api/admin/works?reviewStatus=none', undefined, { token: admin.accessToken }), 400, 'VALIDATION_ERROR')
    expectError(await callJson('GET', '/api/admin/works?limit=101', undefined, { token: admin.accessToken }), 400, 'VALIDATION_ERROR')
  })
})
