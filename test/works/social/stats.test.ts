import { z } from '@hono/zod-openapi'
import { env } from 'cloudflare:test'
import { describe, expect, it } from 'vitest'
import { getUserStatsRoute } from '../../../src/features/users/routes'
import { getStatsUserRoute } from '../../../src/features/works/social/routes'
import { readUserStats, workStatsParams } from '../../../src/features/works/social/stats'
import { callJson, dataOf, dbRun, expectError, newUser } from '../../helpers'
import { insertWork } from '../../support/works'

const DAY = 86_400_000

/** A view row as `GET /api/works/:id` writes it (the counter trigger keeps views_count). */
const view = (workId: string, viewer: string, at: number) =>
  dbRun('INSERT INTO work_views (work_id, viewer, day, created_at) VALUES (?1, ?2, ?3, ?4)', workId, viewer, new Date(at).toISOString().slice(0, 10), at)

describe('GET /api/users/stats and GET /api/stats/user', () => {
  it('are real and identical: works, public works, views, likes, this month, last 7 days, follows', async () => {
    const me = await newUser('ststme')
    const fans = await Promise.all([newUser('ststfan'), newUser('ststfan'), newUser('ststfan')])
    const stranger = await newUser('ststx')
    const now = Date.now()
    const [monthStart] = workStatsParams(now)
    const a = await insertWork(me.id, { published: true })
    const b = await insertWork(me.id, { isPublic: true, reviewStatus: 'pending' })
    await insertWork(me.id) // private
    // Created before this calendar month (and before the last 7 days): counted in totals only.
    const old = await insertWork(me.id, { published: true, createdAt: monthStart - 2 * DAY })
    const theirs = await insertWork(stranger.id, { published: true })

    // Likes through the API (the triggers keep likes_count).
    for (const f of fans) await callJson('POST', `/api/works/${a.workId}/like`, undefined, { token: f.accessToken })
    await callJson('POST', `/api/works/${old.workId}/like`, undefined, { token: fans[0]!.accessToken })
    await callJson('POST', `/api/works/${theirs.workId}/like`, undefined, { token: me.accessToken }) // my like of another work: not mine
    // Views: 3 in the last 7 days on my works, 2 older ones, and one on someone else's work.
    await view(a.workId, 'u:1', now - DAY)
    await view(a.workId, 'u:2', now - 2 * DAY)
    await view(b.workId, 'n:abc', now - 6 * DAY)
    await view(a.workId, 'u:1', now - 8 * DAY)
    await view(old.workId, 'u:3', now - 30 * DAY)
    await view(theirs.workId, 'u:4', now - DAY)
    // Follows: two followers, I follow one.
    for (const f of fans.slice(0, 2)) await callJson('POST', `/api/users/${me.id}/follow`, undefined, { token: f.accessToken })
    await callJson('POST', `/api/users/${stranger.id}/follow`, undefined, { token: me.accessToken })

    const stats = dataOf(await callJson('GET', '/api/users/stats', undefined, { token: me.accessToken }), getUserStatsRoute, 200)
    expect(stats).toEqual({
      totalWorks: 4,
      publicWorks: 3, // marked public: a, b (pending) and old
      totalViews: 5,
      totalLikes: 4,
      monthlyWorks: 3,
      weeklyViews: 3,
      followersCount: 2,
      followingCount: 1,
      tasks: 0,
      creditsSpent: 0,
      works: 4,
      views: 5,
      likes: 4,
    })
    const alias = dataOf(await callJson('GET', '/api/stats/user', undefined, { token: me.accessToken }), getStatsUserRoute, 200)
    expect(alias).toEqual(stats)
    // Raw JSON: exactly the documented keys, all integers.
    const raw = z.object({ data: z.record(z.string(), z.number().int()) }).parse((await callJson('GET', '/api/stats/user', undefined, { token: me.accessToken })).body)
    expect(Object.keys(raw.data).sort()).toEqual(Object.keys(stats).sort())
  })

  it('monthlyWorks starts at 00:00 UTC on the 1st: a work a minute before is last month', async () => {
    const me = await newUser('ststme')
    const now = Date.UTC(2031, 4, 10, 12) // 10 May 2031
    await insertWork(me.id, { createdAt: Date.UTC(2031, 4, 1) })
    await insertWork(me.id, { createdAt: Date.UTC(2031, 4, 1) - 60_000 })
    const stats = await readUserStats(env.DB, me.id, now)
    expect(stats).toMatchObject({ totalWorks: 2, monthlyWorks: 1 })
  })

  it('a new account has all zeros; 401 without a token', async () => {
    const me = await newUser('ststme')
    const stats = dataOf(await callJson('GET', '/api/stats/user', undefined, { token: me.accessToken }), getStatsUserRoute, 200)
    expect(Object.values(stats).every((v) => v === 0)).toBe(true)
    expectError(await callJson('GET', '/api/stats/user'), 401, 'UNAUTHORIZED')
  })
})
