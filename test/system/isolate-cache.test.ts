import { env } from 'cloudflare:test'
import { describe, expect, it } from 'vitest'
import { IsolateCache } from '../../src/lib/isolate-cache'
import { getQueueStatsRoute } from '../../src/features/tasks/routes'
import { callApp, dataOf, newUser } from '../helpers'
import { envWith, queuedTask } from '../support/generation'

/** The test D1 binding, counting the statements prepared whose SQL matches `pattern`. */
function countingDb(pattern: RegExp) {
  const counter = { n: 0 }
  const db = new Proxy(env.DB, {
    get(target, prop) {
      if (prop === 'prepare') {
        return (query: string) => {
          if (pattern.test(query)) counter.n++
          return target.prepare(query)
        }
      }
      const value = Reflect.get(target, prop, target)
      return typeof value === 'function' ? value.bind(target) : value
    },
  })
  return { db, counter }
}

describe('per-isolate caches of hot reads', () => {
  it('IsolateCache keeps a value for its TTL, per key, and never keeps failures', async () => {
    const cache = new IsolateCache<number>(60_000, 2)
    let loads = 0
    const load = async () => ++loads
    expect(await cache.get('a', load)).toBe(1)
    expect(await cache.get('a', load)).toBe(1)
    expect(await cache.get('b', load)).toBe(2)
    await expect(cache.get('c', async () => Promise.reject(new Error('down')))).rejects.toThrow('down')
    expect(await cache.get('c', load)).toBe(3)
    // At most two keys: 'a' (the oldest) was dropped.
    expect(await cache.get('a', load)).toBe(4)
    const expiring = new IsolateCache<number>(0)
    expect(await expiring.get('k', load)).toBe(5)
    expect(await expiring.get('k', load)).toBe(6)
  })

  it('GET /api/tasks/stats/queue: repeated calls cost no counting queries; each user still gets their own counts', async () => {
    const alice = await newUser('cache')
    const bob = await newUser('cache')
    await queuedTask(envWith(), bob.accessToken)
    const { db, counter } = countingDb(/group by/i)
    const bindings = envWith({ DB: db })
    const first = await callApp(bindings, 'GET', '/api/tasks/stats/queue', undefined, { token: alice.accessToken })
    expect(dataOf(first, getQueueStatsRoute, 200).mine.queued).toBe(0)
    const afterFirst = counter.n
    expect(afterFirst).toBeGreaterThanOrEqual(1)
    for (let i = 0; i < 5; i++) expect((await callApp(bindings, 'GET', '/api/tasks/stats/queue', undefined, { token: alice.accessToken })).status).toBe(200)
    expect(counter.n).toBe(afterFirst)
    const bobs = await callApp(bindings, 'GET', '/api/tasks/stats/queue', undefined, { token: bob.accessToken })
    expect(dataOf(bobs, getQueueStatsRoute, 200).mine.queued).toBe(1)
    expect(counter.n).toBe(afterFirst + 1)
  })

  it('/health runs its D1 and R2 checks at most once per 5 seconds', async () => {
    const { db, counter } = countingDb(/^SELECT 1$/)
    const bindings = envWith({ DB: db })
    for (let i = 0; i < 5; i++) expect((await callApp(bindings, 'GET', '/health')).status).toBe(200)
    expect(counter.n).toBeLessThanOrEqual(1)
  })
})
