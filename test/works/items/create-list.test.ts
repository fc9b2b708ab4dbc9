import { describe, expect, it } from 'vitest'
import { createWorkRoute, listMyWorksRoute, listWorksRoute } from '../../../src/features/works/items/routes'
import { env } from 'cloudflare:test'
import { callJson, dataOf, expectError, newUser } from '../../helpers'
import { insertWork } from '../../support/works'
import { createdWork, imageRefs, ownImage, setWorksReview, workRow } from './support'

describe('POST /api/works', () => {
  it('makes one of my images a private, untitled-by-default work that holds a reference on the image', async () => {
    const user = await newUser('wcreate')
    const image = await ownImage(user.accessToken)
    expect(await imageRefs(image.id)).toEqual({ refs: 1, hidden: 0 })
    const result = await callJson('POST', '/api/works', { imageId: image.id, description: 'boats', tags: ['  Harbour  Fog ', 'harbour fog', '', 'Sea'] }, { token: user.accessToken })
    const { work } = dataOf(result, createWorkRoute, 201)
    expect(work).toMatchObject({
      title: null,
      description: 'boats',
      // Trimmed, inner spaces collapsed, lower-cased, empties and duplicates dropped.
      tags: ['harbour fog', 'sea'],
      isPublic: false,
      reviewStatus: 'none',
      publishedAt: null,
      prompt: null,
      params: null,
      author: { id: user.id, username: user.username },
      image: { id: image.id, mime: 'image/png' },
    })
    // A private work's picture comes through the work's own signed URLs.
    expect(work.image.variants.thumb).toMatch(new RegExp(`^/api/works/${work.id}/images/thumb\\?exp=\\d+&sig=`))
    // The owner's record and the work: two holders.
    expect(await imageRefs(image.id)).toEqual({ refs: 2, hidden: 0 })
  })

  it('isPublic submits to review, or publishes at once while review is off', async () => {
    const user = await newUser('wcreate')
    const pending = (await createdWork(user.accessToken, { isPublic: true, title: 'Pending one' })).work
    expect(pending).toMatchObject({ isPublic: true, reviewStatus: 'pending', publishedAt: null })

    await setWorksReview('off')
    try {
      const approved = (await createdWork(user.accessToken, { isPublic: true })).work
      expect(approved).toMatchObject({ isPublic: true, reviewStatus: 'approved' })
      expect(approved.publishedAt).not.toBeNull()
      expect(approved.image.variants.thumb).toBe(`/api/works/${approved.id}/images/thumb?v=1`)
    } finally {
      await setWorksReview('on')
    }
  })

  it("someone else's, an unknown or a deleted image is 404; an image already a work 409; an avatar 400", async () => {
    const user = await newUser('wcreate')
    const other = await newUser('wcreate')
    const theirs = await ownImage(other.accessToken)
    expectError(await callJson('POST', '/api/works', { imageId: theirs.id }, { token: user.accessToken }), 404, 'NOT_FOUND')
    expectError(await callJson('POST', '/api/works', { imageId: 'img_nope' }, { token: user.accessToken }), 404, 'NOT_FOUND')

    const deleted = await ownImage(user.accessToken)
    expect((await callJson('DELETE', `/api/images/${deleted.id}`, undefined, { token: user.accessToken })).status).toBe(200)
    expectError(await callJson('POST', '/api/works', { imageId: deleted.id }, { token: user.accessToken }), 404, 'NOT_FOUND')

    const { image } = await createdWork(user.accessToken)
    expectError(await callJson('POST', '/api/works', { imageId: image.id }, { token: user.accessToken }), 409, 'CONFLICT')
    // The refused second work took no second reference.
    expect(await imageRefs(image.id)).toEqual({ refs: 2, hidden: 0 })

    const avatar = await ownImage(user.accessToken, { type: 'avatar' })
    expectError(await callJson('POST', '/api/works', { imageId: avatar.id }, { token: user.accessToken }), 400, 'VALIDATION_ERROR')
    expect(await imageRefs(avatar.id)).toEqual({ refs: 1, hidden: 0 })
  })

  it('parallel creations from one image: exactly one work and one extra reference', async () => {
    const user = await newUser('wcreate')
    const image = await ownImage(user.accessToken)
    const results = await Promise.all(Array.from({ length: 6 }, () => callJson('POST', '/api/works', { imageId: image.id }, { token: user.accessToken })))
    expect(results.filter((r) => r.status === 201)).toHaveLength(1)
    for (const r of results.filter((x) => x.status !== 201)) expectError(r, 409, 'CONFLICT')
    expect(await imageRefs(image.id)).toEqual({ refs: 2, hidden: 0 })
  })

  it('bad input is 400 naming the field; no auth is 401; a duplicate title 409', async () => {
    const user = await newUser('wcreate')
    const image = await ownImage(user.accessToken)
    const bad = [
      { imageId: image.id, title: 'x'.repeat(101) },
      { imageId: image.id, description: 'x'.repeat(1001) },
      { imageId: image.id, tags: Array.from({ length: 11 }, (_, i) => `t${i}`) },
      { imageId: image.id, tags: ['x'.repeat(31)] },
      { imageId: image.id, category: 'x'.repeat(41) },
      { imageId: image.id, isPublic: 'yes' },
      { title: 'no image' },
    ]
    for (const body of bad) expectError(await callJson('POST', '/api/works', body, { token: user.accessToken }), 400, 'VALIDATION_ERROR')
    expectError(await callJson('POST', '/api/works', { imageId: image.id }), 401, 'UNAUTHORIZED')

    await createdWork(user.accessToken, { title: 'Harbour at Dawn' })
    const dup = expectError(await callJson('POST', '/api/works', { imageId: image.id, title: 'harbour at dawn' }, { token: user.accessToken }), 409, 'DUPLICATE_TITLE')
    expect(dup.details).toEqual({ field: 'title' })
    expect(await imageRefs(image.id)).toEqual({ refs: 1, hidden: 0 })
  })
})

describe('GET /api/works and /api/works/my', () => {
  it('lists only my works with pagination, filters and sorts, the same on both paths', async () => {
    const user = await newUser('wlist')
    const other = await newUser('wlist')
    const base = Date.now() - 100_000
    const a = await insertWork(user.id, { title: 'Harbour at dawn', prompt: 'fishing boats in fog', tags: ['harbour', 'fog'], createdAt: base })
    const b = await insertWork(user.id, { title: '夕阳下的猫', tags: ['cat'], published: true, createdAt: base + 1000 })
    const c = await insertWork(user.id, { title: 'Mountain', description: 'snowy peaks', createdAt: base + 2000 })
    await insertWork(other.id, { title: 'Harbour too', published: true })
    // Counters only ever change through the rows they count (triggers): give b two likes, c one view.
    const liker = await newUser('wlist')
    await env.DB.batch([
      env.DB.prepare('INSERT INTO work_likes (work_id, user_id, created_at) VALUES (?1, ?2, ?3)').bind(b.workId, liker.id, base),
      env.DB.prepare('INSERT INTO work_likes (work_id, user_id, created_at) VALUES (?1, ?2, ?3)').bind(b.workId, user.id, base),
      env.DB.prepare("INSERT INTO work_views (work_id, viewer, day, created_at) VALUES (?1, 'u:x', '2026-01-01', ?2)").bind(c.workId, base),
    ])

    const list = async (query: string) => {
      const first = dataOf(await callJson('GET', `/api/works${query}`, undefined, { token: user.accessToken }), listWorksRoute, 200)
      const second = dataOf(await callJson('GET', `/api/works/my${query}`, undefined, { token: user.accessToken }), listMyWorksRoute, 200)
      expect(second).toEqual(first)
      return first
    }
    const all = await list('')
    expect(all.items.map((w) => w.id)).toEqual([c.workId, b.workId, a.workId])
    expect(all.pagination).toEqual({ page: 1, limit: 20, total: 3, totalPages: 1, hasNext: false, hasPrev: false })
    // isLiked is the owner's own like.
    expect(all.items.find((w) => w.id === b.workId)).toMatchObject({ isLiked: true, likesCount: 2 })

    const page2 = await list('?limit=2&page=2')
    expect(page2.items.map((w) => w.id)).toEqual([a.workId])
    expect(page2.pagination).toEqual({ page: 2, limit: 2, total: 3, totalPages: 2, hasNext: false, hasPrev: true })

    expect((await list('?sort=likes')).items[0]!.id).toBe(b.workId)
    expect((await list('?sort=views')).items[0]!.id).toBe(c.workId)
    expect((await list('?visibility=public')).items.map((w) => w.id)).toEqual([b.workId])
    expect((await list('?visibility=private')).items.map((w) => w.id)).toEqual([c.workId, a.workId])
    expect((await list('?tag=%20FOG%20')).items.map((w) => w.id)).toEqual([a.workId])
    // Full-text over title, description, prompt and tags; CJK by substring; never other users' works.
    expect((await list('?search=harbour')).items.map((w) => w.id)).toEqual([a.workId])
    expect((await list('?search=boats%20fog')).items.map((w) => w.id)).toEqual([a.workId])
    expect((await list('?search=猫')).items.map((w) => w.id)).toEqual([b.workId])
    expect((await list('?search=snowy')).pagination.total).toBe(1)
    expect((await list('?search=nothing-like-this')).items).toEqual([])
  })

  it('rejects bad query values and requires a token', async () => {
    const user = await newUser('wlist')
    for (const q of ['?sort=random', '?limit=101', '?page=0', '?visibility=everyone', `?search=${'x'.repeat(201)}`]) {
      expectError(await callJson('GET', `/api/works${q}`, undefined, { token: user.accessToken }), 400, 'VALIDATION_ERROR')
    }
    expectError(await callJson('GET', '/api/works'), 401, 'UNAUTHORIZED')
    expectError(await callJson('GET', '/api/works/my'), 401, 'UNAUTHORIZED')
  })

  it('a created work appears in the list with its stored row', async () => {
    const user = await newUser('wlist')
    const { work } = await createdWork(user.accessToken, { title: 'Listed' })
    const list = dataOf(await callJson('GET', '/api/works', undefined, { token: user.accessToken }), listWorksRoute, 200)
    expect(list.items.map((w) => w.id)).toEqual([work.id])
    expect((await workRow(work.id))?.title).toBe('Listed')
  })
})
