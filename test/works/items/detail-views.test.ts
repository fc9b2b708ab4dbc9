import { env } from 'cloudflare:test'
import { describe, expect, it } from 'vitest'
import { getWorkRoute } from '../../../src/features/works/items/routes'
import { callJson, dataOf, expectError, newUser } from '../../helpers'
import { insertWork } from '../../support/works'
import { workRow } from './support'

const get = (id: string, opts: { token?: string; ip?: string } = {}) => callJson('GET', `/api/works/${id}`, undefined, opts)

const viewRows = async (workId: string) =>
  (await env.DB.prepare('SELECT viewer, day FROM work_views WHERE work_id = ?1 ORDER BY viewer').bind(workId).all<{ viewer: string; day: string }>()).results

describe('GET /api/works/:id: who sees what', () => {
  it('the owner sees a private work; anyone else, signed in or not, gets 404', async () => {
    const owner = await newUser('wget')
    const other = await newUser('wget')
    const { workId } = await insertWork(owner.id, { title: 'Secret', isPublic: true, reviewStatus: 'pending' })
    const work = dataOf(await get(workId, { token: owner.accessToken }), getWorkRoute, 200).work
    expect(work).toMatchObject({ id: workId, title: 'Secret', reviewStatus: 'pending', isLiked: false })
    expectError(await get(workId, { token: other.accessToken }), 404, 'NOT_FOUND')
    expectError(await get(workId), 404, 'NOT_FOUND')
    expectError(await get('wrk_unknown', { token: owner.accessToken }), 404, 'NOT_FOUND')
    // A token that is sent must be valid: no silent downgrade to anonymous.
    expectError(await get(workId, { token: 'not-a-jwt' }), 401, 'UNAUTHORIZED')
    // Nobody's look at an unpublished work counts.
    expect(await viewRows(workId)).toEqual([])
  })

  it('a published work is visible to everyone, with isLiked for a signed-in viewer and the reason hidden from others', async () => {
    const owner = await newUser('wget')
    const fan = await newUser('wget')
    const { workId } = await insertWork(owner.id, { title: 'Open', published: true })
    await env.DB.prepare('UPDATE works SET review_reason = ?2 WHERE id = ?1').bind(workId, 'note for the owner').run()
    await env.DB.prepare('INSERT INTO work_likes (work_id, user_id, created_at) VALUES (?1, ?2, ?3)').bind(workId, fan.id, Date.now()).run()

    const anonymous = dataOf(await get(workId), getWorkRoute, 200).work
    expect(anonymous).toMatchObject({ isLiked: false, likesCount: 1, reviewReason: null, publishedAt: expect.any(String) })
    expect(anonymous.image.variants.thumb).toBe(`/api/works/${workId}/images/thumb?v=1`)
    expect(dataOf(await get(workId, { token: fan.accessToken }), getWorkRoute, 200).work.isLiked).toBe(true)
    expect(dataOf(await get(workId, { token: owner.accessToken }), getWorkRoute, 200).work.reviewReason).toBe('note for the owner')
  })
})

describe('views: once per viewer per work per UTC day', () => {
  it('20 parallel reads by one signed-in viewer count one view, and the answer already shows it', async () => {
    const owner = await newUser('wview')
    const viewer = await newUser('wview')
    const { workId } = await insertWork(owner.id, { published: true })
    const results = await Promise.all(Array.from({ length: 20 }, () => get(workId, { token: viewer.accessToken })))
    const counts = results.map((r) => dataOf(r, getWorkRoute, 200).work.viewsCount)
    expect(counts.every((n) => n === 1)).toBe(true)
    expect((await workRow(workId))?.views_count).toBe(1)
    expect(await viewRows(workId)).toEqual([{ viewer: `u:${viewer.id}`, day: new Date().toISOString().slice(0, 10) }])
  })

  it("the owner's own views never count", async () => {
    const owner = await newUser('wview')
    const { workId } = await insertWork(owner.id, { published: true })
    await Promise.all([get(workId, { token: owner.accessToken }), get(workId, { token: owner.accessToken })])
    expect((await workRow(workId))?.views_count).toBe(0)
  })

  it('anonymous viewers count once per network (IPv6 by /64), stored as a keyed hash, never the address', async () => {
    const owner = await newUser('wview')
    const { workId } = await insertWork(owner.id, { published: true })
    // Same network twice in parallel, another address of the same IPv6 /64, then two other networks.
    await Promise.all([get(workId, { ip: '198.51.100.7' }), get(workId, { ip: '198.51.100.7' })])
    await get(workId, { ip: '2001:db8:1:2::1' })
    await get(workId, { ip: '2001:db8:1:2:ffff::9' })
    await get(workId, { ip: '198.51.100.8' })
    expect((await workRow(workId))?.views_count).toBe(3)
    const rows = await viewRows(workId)
    expect(rows).toHaveLength(3)
    for (const row of rows) {
      expect(row.viewer).toMatch(/^n:[0-9a-f]{32}$/)
      expect(row.viewer).not.toContain('198.51')
      expect(row.viewer).not.toContain('2001')
    }
  })

  it("one network's anonymous views of two works carry different hashes (not linkable across works)", async () => {
    const owner = await newUser('wview')
    const a = await insertWork(owner.id, { published: true })
    const b = await insertWork(owner.id, { published: true })
    await get(a.workId, { ip: '203.0.113.9' })
    await get(b.workId, { ip: '203.0.113.9' })
    const [rowA] = await viewRows(a.workId)
    const [rowB] = await viewRows(b.workId)
    expect(rowA?.viewer).toMatch(/^n:[0-9a-f]{32}$/)
    expect(rowB?.viewer).toMatch(/^n:[0-9a-f]{32}$/)
    expect(rowA?.viewer).not.toBe(rowB?.viewer)
  })

  it('a signed-in viewer and an anonymous one from the same network are two viewers; a new day counts again', async () => {
    const owner = await newUser('wview')
    const viewer = await newUser('wview')
    const { workId } = await insertWork(owner.id, { published: true })
    await get(workId, { token: viewer.accessToken, ip: '192.0.2.50' })
    await get(workId, { ip: '192.0.2.50' })
    expect((await workRow(workId))?.views_count).toBe(2)
    // Yesterday's row does not stop today's view (the key includes the UTC day).
    await env.DB.prepare("UPDATE work_views SET day = '2000-01-01' WHERE work_id = ?1 AND viewer = ?2").bind(workId, `u:${viewer.id}`).run()
    await get(workId, { token: viewer.accessToken })
    expect((await workRow(workId))?.views_count).toBe(3)
  })
})
