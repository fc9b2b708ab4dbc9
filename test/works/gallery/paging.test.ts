import { env } from 'cloudflare:test'
import { describe, expect, it } from 'vitest'
import { galleryRoute } from '../../../src/features/works/gallery/routes'
import { callApp, callJson, dataOf, dbRun, expectError, newUser } from '../../helpers'
import { envWith } from '../../support/generation'
import { insertWork } from '../../support/works'

type Page = ReturnType<typeof dataOf<typeof galleryRoute, 200>>

async function gallery(query: Record<string, string | number>, token?: string): Promise<Page> {
  const qs = new URLSearchParams(Object.entries(query).map(([k, v]) => [k, String(v)]))
  return dataOf(await callJson('GET', `/api/works/gallery?${qs}`, undefined, { token }), galleryRoute, 200)
}

/** Publishes `n` works for `userId`, one minute apart (the first oldest), answering their ids newest first. */
async function publishMany(userId: string, n: number, start = Date.now() - 24 * 3_600_000): Promise<string[]> {
  const ids: string[] = []
  for (let i = 0; i < n; i++) ids.push((await insertWork(userId, { title: `w${i}`, published: true, publishedAt: start + i * 60_000 })).workId)
  return ids.reverse()
}

describe('GET /api/works/gallery: keyset cursor', () => {
  it('pages with nextCursor while new works are published in between: every work exactly once, in order', async () => {
    const author = await newUser('keyset')
    const original = await publishMany(author.id, 7)
    const seen: string[] = []
    let page = await gallery({ authorId: author.id, limit: 3 })
    seen.push(...page.items.map((w) => w.id))
    let inserted = 0
    while (page.nextCursor) {
      // New works arrive between fetches (published now: newer than everything paged so far).
      // With page numbers they would push earlier works onto the next page as duplicates.
      await insertWork(author.id, { title: `new${inserted++}`, published: true })
      page = await gallery({ authorId: author.id, limit: 3, cursor: page.nextCursor })
      seen.push(...page.items.map((w) => w.id))
    }
    expect(inserted).toBe(2)
    expect(seen).toEqual(original)
    expect(page.pagination).toMatchObject({ page: 3, hasNext: false, hasPrev: true })
  })

  it('the same, by likes, with ties broken by id so equal counts never repeat or skip', async () => {
    const author = await newUser('keyset')
    const liker = await newUser('keyset')
    const original = await publishMany(author.id, 5)
    // Two works with one like each, the rest with none: ties everywhere.
    for (const id of original.slice(0, 2)) await dbRun('INSERT INTO work_likes (work_id, user_id, created_at) VALUES (?1, ?2, ?3)', id, liker.id, Date.now())
    const expected = (await gallery({ authorId: author.id, sort: 'likes', limit: 100 })).items.map((w) => w.id)
    expect(new Set(expected)).toEqual(new Set(original))
    const seen: string[] = []
    let cursor: string | null = null
    for (let i = 0; i < 10; i++) {
      const page: Page = await gallery({ authorId: author.id, sort: 'likes', limit: 2, ...(cursor ? { cursor } : {}) })
      seen.push(...page.items.map((w) => w.id))
      await insertWork(author.id, { title: `late${i}`, published: true })
      cursor = page.nextCursor
      if (!cursor) break
    }
    // New works have no likes yet and ids that may sort anywhere among the ties: compare the originals only.
    expect(seen.filter((id) => original.includes(id))).toEqual(expected)
    expect(new Set(seen).size).toBe(seen.length)
  })

  it('popular pages by cursor too, and a page-mode answer also offers a cursor to continue', async () => {
    const author = await newUser('keyset')
    const original = await publishMany(author.id, 4)
    const first = await gallery({ authorId: author.id, sort: 'popular', limit: 3 })
    expect(first.nextCursor).not.toBeNull()
    const second = await gallery({ authorId: author.id, sort: 'popular', limit: 3, cursor: first.nextCursor! })
    expect([...first.items, ...second.items].map((w) => w.id).sort()).toEqual([...original].sort())
    expect(second.nextCursor).toBeNull()
  })

  it('an invalid cursor, or one of another sort, is 400 VALIDATION_ERROR', async () => {
    const author = await newUser('keyset')
    await publishMany(author.id, 3)
    const { nextCursor } = await gallery({ authorId: author.id, limit: 1 })
    expect(nextCursor).not.toBeNull()
    const bad = (q: string) => callJson('GET', `/api/works/gallery?${q}`)
    expectError(await bad(`cursor=${nextCursor}&sort=likes`), 400, 'VALIDATION_ERROR')
    expectError(await bad('cursor=not-a-cursor'), 400, 'VALIDATION_ERROR')
    const forged = btoa(JSON.stringify({ s: 'latest', k: ['1 OR 1=1'], id: 'x', at: 1, p: 2 })).replace(/=+$/, '')
    expectError(await bad(`cursor=${forged}`), 400, 'VALIDATION_ERROR')
    expectError(await bad(`cursor=${btoa('{"s":"latest"')}`), 400, 'VALIDATION_ERROR')
  })

  it('bad page parameters are 400: limit over 100, pages deeper than 10,000 works, unknown sort or timeFilter', async () => {
    for (const q of ['limit=101', 'limit=0', 'page=0', 'page=101&limit=100', 'sort=random', 'timeFilter=year', 'featured=yes']) {
      expectError(await callJson('GET', `/api/works/gallery?${q}`), 400, 'VALIDATION_ERROR')
    }
  })
})

describe('GET /api/works/gallery: the signed-in viewer', () => {
  it('isLiked is true for works the viewer likes, false for others and for anonymous callers', async () => {
    const author = await newUser('viewer')
    const viewer = await newUser('viewer')
    const [liked, notLiked] = await publishMany(author.id, 2)
    await dbRun('INSERT INTO work_likes (work_id, user_id, created_at) VALUES (?1, ?2, ?3)', liked, viewer.id, Date.now())
    const mine = await gallery({ authorId: author.id }, viewer.accessToken)
    expect(mine.items.map((w) => [w.id, w.isLiked])).toEqual([[liked, true], [notLiked, false]])
    const anonymous = await gallery({ authorId: author.id })
    expect(anonymous.items.map((w) => w.isLiked)).toEqual([false, false])
  })

  it('a bad or signed-out token is 401, even though the gallery is public (the client should refresh)', async () => {
    const viewer = await newUser('viewer')
    expectError(await callJson('GET', '/api/works/gallery', undefined, { token: 'not-a-jwt' }), 401, 'UNAUTHORIZED')
    await callJson('POST', '/api/auth/logout', { refreshToken: viewer.refreshToken }, { token: viewer.accessToken })
    expectError(await callJson('GET', '/api/works/gallery', undefined, { token: viewer.accessToken }), 401, 'UNAUTHORIZED')
  })
})

/** The test D1 binding, counting round trips: each batch() and each statement run on its own. */
function roundTripCounter() {
  const counter = { batches: 0, single: 0 }
  const wrap = (stmt: D1PreparedStatement): D1PreparedStatement =>
    new Proxy(stmt, {
      get(target, prop) {
        if (prop === 'bind') return (...args: unknown[]) => wrap(target.bind(...args))
        if (prop === 'all' || prop === 'raw' || prop === 'first' || prop === 'run') counter.single++
        const value = Reflect.get(target, prop, target)
        return typeof value === 'function' ? value.bind(target) : value
      },
    })
  const unwrapped = new WeakMap<object, D1PreparedStatement>()
  const db = new Proxy(env.DB, {
    get(target, prop) {
      if (prop === 'prepare')
        return (query: string) => {
          const real = target.prepare(query)
          const proxy = wrap(real)
          unwrapped.set(proxy, real)
          return proxy
        }
      if (prop === 'batch')
        return (list: D1PreparedStatement[]) => {
          counter.batches++
          return target.batch(list.map((s) => unwrapped.get(s) ?? s))
        }
      const value = Reflect.get(target, prop, target)
      return typeof value === 'function' ? value.bind(target) : value
    },
  })
  return { db, counter }
}

describe('GET /api/works/gallery: one D1 round trip per page', () => {
  it('anonymous or signed in, with search and a cursor: exactly one batch() and no other D1 call', async () => {
    const author = await newUser('trips')
    const viewer = await newUser('trips')
    await publishMany(author.id, 3)
    for (const [query, token] of [
      [`authorId=${author.id}&limit=2`, undefined],
      [`authorId=${author.id}&limit=2&sort=popular&search=w1`, viewer.accessToken],
      [`authorId=${author.id}&limit=2&sort=likes&tag=x&timeFilter=week&featured=false`, viewer.accessToken],
    ] as const) {
      const { db, counter } = roundTripCounter()
      const res = await callApp(envWith({ DB: db }), 'GET', `/api/works/gallery?${query}`, undefined, { token })
      const page = dataOf(res, galleryRoute, 200)
      expect(counter, query).toEqual({ batches: 1, single: 0 })
      if (page.nextCursor) {
        const { db: db2, counter: c2 } = roundTripCounter()
        const next = await callApp(envWith({ DB: db2 }), 'GET', `/api/works/gallery?${query}&cursor=${page.nextCursor}`, undefined, { token })
        dataOf(next, galleryRoute, 200)
        expect(c2, `${query} (cursor)`).toEqual({ batches: 1, single: 0 })
      }
    }
  })
})
