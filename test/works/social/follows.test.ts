import { z } from '@hono/zod-openapi'
import { describe, expect, it } from 'vitest'
import {
  followUserRoute,
  getPublicProfileRoute,
  listFollowersRoute,
  listFollowingRoute,
  unfollowUserRoute,
} from '../../../src/features/works/social/routes'
import { callJson, dataOf, dbFirst, dbRun, expectError, newUser, type TestUser } from '../../helpers'
import { awayFromWindowEdge, expectMinuteLimited, insertWork } from '../../support/works'

const follow = (target: string, who: TestUser) => callJson('POST', `/api/users/${target}/follow`, undefined, { token: who.accessToken })
const unfollow = (target: string, who: TestUser) => callJson('DELETE', `/api/users/${target}/follow`, undefined, { token: who.accessToken })
const profile = (id: string, who?: TestUser) => callJson('GET', `/api/users/${id}`, undefined, { token: who?.accessToken })

const followRows = async (followeeId: string) =>
  (await dbFirst<{ n: number }>('SELECT COUNT(*) AS n FROM follows WHERE followee_id = ?1', followeeId))!.n

describe('POST and DELETE /api/users/:id/follow', () => {
  it('follows and unfollows, idempotently: repeating answers the same', async () => {
    const star = await newUser('fwstar')
    const fan = await newUser('fwfan')
    for (let i = 0; i < 2; i++) {
      expect(dataOf(await follow(star.id, fan), followUserRoute, 200)).toEqual({ userId: star.id, isFollowing: true, followersCount: 1 })
    }
    expect(await followRows(star.id)).toBe(1)
    for (let i = 0; i < 2; i++) {
      expect(dataOf(await unfollow(star.id, fan), unfollowUserRoute, 200)).toEqual({ userId: star.id, isFollowing: false, followersCount: 0 })
    }
    expect(await followRows(star.id)).toBe(0)
  })

  it('not yourself (400), unknown user (404), no token (401)', async () => {
    const me = await newUser('fwme')
    expectError(await follow(me.id, me), 400, 'VALIDATION_ERROR')
    expectError(await unfollow(me.id, me), 400, 'VALIDATION_ERROR')
    expectError(await follow('usr_missing', me), 404, 'NOT_FOUND')
    expectError(await unfollow('usr_missing', me), 404, 'NOT_FOUND')
    expectError(await callJson('POST', `/api/users/${me.id}/follow`), 401, 'UNAUTHORIZED')
    expect((await dbFirst<{ n: number }>('SELECT COUNT(*) AS n FROM follows WHERE follower_id = ?1', me.id))!.n).toBe(0)
  })

  it('20 parallel follows from one user make one row; 20 followers in parallel make 20', async () => {
    const star = await newUser('fwstar')
    const fan = await newUser('fwfan')
    const same = await Promise.all(Array.from({ length: 20 }, () => follow(star.id, fan)))
    for (const a of same) expect(dataOf(a, followUserRoute, 200)).toEqual({ userId: star.id, isFollowing: true, followersCount: 1 })
    const fans = await Promise.all(Array.from({ length: 20 }, () => newUser('fwfan')))
    const many = await Promise.all(fans.map((f) => follow(star.id, f)))
    const counts = many.map((a) => dataOf(a, followUserRoute, 200).followersCount).sort((x, y) => x - y)
    expect(counts).toEqual(Array.from({ length: 20 }, (_, i) => i + 2))
    expect(await followRows(star.id)).toBe(21)
    expect(dataOf(await profile(star.id), getPublicProfileRoute, 200).followersCount).toBe(21)
  })
  it('is rate-limited per user: 30 a minute (follows and unfollows alike), 429 with Retry-After', async () => {
    const stars = await Promise.all(Array.from({ length: 4 }, () => newUser('fwstar')))
    const fan = await newUser('fwfan')
    const other = await newUser('fwfan')
    await awayFromWindowEdge(60_000)
    // Follows and unfollows of several users in parallel: every request counts, atomically, so exactly 30 pass.
    const answers = await Promise.all(
      Array.from({ length: 32 }, (_, i) => (i % 2 ? unfollow : follow)(stars[i % 4]!.id, fan)),
    )
    expect(answers.filter((a) => a.status === 200)).toHaveLength(30)
    expectMinuteLimited(answers, 2)
    // Refused: nothing written.
    const before = await followRows(stars[3]!.id)
    expectError(await follow(stars[3]!.id, fan), 429, 'RATE_LIMITED')
    expect(await followRows(stars[3]!.id)).toBe(before)
    // Per user: someone else may still follow.
    expect(dataOf(await follow(stars[0]!.id, other), followUserRoute, 200).isFollowing).toBe(true)
  })

  it('has a daily budget of 300 per user, an unfollow counting like a follow', async () => {
    const star = await newUser('fwstar')
    const fan = await newUser('fwfan')
    dataOf(await follow(star.id, fan), followUserRoute, 200)
    await awayFromWindowEdge(86_400_000)
    const day = Math.floor(Date.now() / 86_400_000) * 86_400_000
    await dbRun('UPDATE rate_limits SET count = 300, window_start = ?2 WHERE key = ?1', `follows:day:${fan.id}`, day)
    const refused = expectError(await unfollow(star.id, fan), 429, 'RATE_LIMITED')
    expect(refused.details).toMatchObject({ retryAfter: expect.any(Number) })
    expect(await followRows(star.id)).toBe(1)
  })
})

describe('GET /api/users/:id/followers and /following', () => {
  it('lists newest first, paged, with isFollowing for the viewer', async () => {
    const star = await newUser('fwstar')
    const fans = [await newUser('fwfan'), await newUser('fwfan'), await newUser('fwfan')]
    for (const f of fans) {
      dataOf(await follow(star.id, f), followUserRoute, 200)
      // Distinct follow times, so "newest first" has one right answer.
      await new Promise((resolve) => setTimeout(resolve, 5))
    }
    await dbRun("UPDATE users SET bio = 'hello' WHERE id = ?1", fans[2]!.id)
    // fans[0] follows fans[2] back: fans[0] viewing the list sees isFollowing on fans[2] only.
    dataOf(await follow(fans[2]!.id, fans[0]!), followUserRoute, 200)
    const page1 = dataOf(await callJson('GET', `/api/users/${star.id}/followers?limit=2`, undefined, { token: fans[0]!.accessToken }), listFollowersRoute, 200)
    expect(page1.items).toEqual([
      { id: fans[2]!.id, username: fans[2]!.username, avatarUrl: null, bio: 'hello', isFollowing: true },
      { id: fans[1]!.id, username: fans[1]!.username, avatarUrl: null, bio: null, isFollowing: false },
    ])
    expect(page1.pagination).toMatchObject({ page: 1, limit: 2, total: 3, totalPages: 2, hasNext: true })
    const page2 = dataOf(await callJson('GET', `/api/users/${star.id}/followers?limit=2&page=2`), listFollowersRoute, 200)
    expect(page2.items.map((u) => [u.id, u.isFollowing])).toEqual([[fans[0]!.id, false]])
    // Raw JSON: list items carry no email or credits.
    const raw = z.object({ data: z.object({ items: z.array(z.record(z.string(), z.unknown())) }) }).parse(
      (await callJson('GET', `/api/users/${star.id}/followers`)).body,
    )
    expect(Object.keys(raw.data.items[0]!).sort()).toEqual(['avatarUrl', 'bio', 'id', 'isFollowing', 'username'])

    const following = dataOf(await callJson('GET', `/api/users/${fans[0]!.id}/following`, undefined, { token: star.accessToken }), listFollowingRoute, 200)
    expect(following.items.map((u) => u.id)).toEqual([fans[2]!.id, star.id])
    expect(following.items.map((u) => u.isFollowing)).toEqual([false, false])
    expect(following.pagination.total).toBe(2)
  })

  it('an unknown user is 404; an empty list is fine; bad paging is 400', async () => {
    const loner = await newUser('fwlone')
    expectError(await callJson('GET', '/api/users/usr_missing/followers'), 404, 'NOT_FOUND')
    expectError(await callJson('GET', '/api/users/usr_missing/following'), 404, 'NOT_FOUND')
    const empty = dataOf(await callJson('GET', `/api/users/${loner.id}/following`), listFollowingRoute, 200)
    expect(empty).toEqual({ items: [], pagination: { page: 1, limit: 20, total: 0, totalPages: 1, hasNext: false, hasPrev: false } })
    expectError(await callJson('GET', `/api/users/${loner.id}/followers?limit=0`), 400, 'VALIDATION_ERROR')
  })
})

describe('GET /api/users/:id (public profile)', () => {
  it('answers public fields and real counts; isFollowing for a signed-in viewer; never email or credits', async () => {
    const star = await newUser('fwstar')
    const fan = await newUser('fwfan')
    const other = await newUser('fwfan')
    await dbRun("UPDATE users SET bio = 'b', website = 'https://s.example.com', location = 'Lisbon' WHERE id = ?1", star.id)
    await insertWork(star.id, { published: true })
    await insertWork(star.id, { published: true })
    await insertWork(star.id) // private: not counted
    await insertWork(star.id, { isPublic: true, reviewStatus: 'pending' }) // not in the gallery yet
    await follow(star.id, fan)
    await follow(star.id, other)
    await follow(fan.id, star)

    const seen = dataOf(await profile(star.id, fan), getPublicProfileRoute, 200)
    expect(seen).toMatchObject({
      id: star.id,
      username: star.username,
      avatarUrl: null,
      bio: 'b',
      website: 'https://s.example.com',
      location: 'Lisbon',
      worksCount: 2,
      followersCount: 2,
      followingCount: 1,
      isFollowing: true,
    })
    expect(new Date(seen.createdAt).toISOString()).toBe(seen.createdAt)
    expect(dataOf(await profile(star.id), getPublicProfileRoute, 200).isFollowing).toBe(false)
    expect(dataOf(await profile(star.id, star), getPublicProfileRoute, 200).isFollowing).toBe(false)

    const raw = z.object({ data: z.record(z.string(), z.unknown()) }).parse((await profile(star.id, fan)).body)
    expect(Object.keys(raw.data).sort()).toEqual(
      ['avatarUrl', 'bio', 'createdAt', 'followersCount', 'followingCount', 'id', 'isFollowing', 'location', 'username', 'website', 'worksCount'],
    )
  })

  it('an unknown user is 404; a bad token is 401; /api/users/profile and /stats still reach their own routes', async () => {
    const me = await newUser('fwme')
    expectError(await profile('usr_missing'), 404, 'NOT_FOUND')
    expectError(await callJson('GET', `/api/users/${me.id}`, undefined, { token: 'bad' }), 401, 'UNAUTHORIZED')
    const own = z.object({ data: z.object({ user: z.object({ email: z.string() }) }) }).parse((await callJson('GET', '/api/users/profile', undefined, { token: me.accessToken })).body)
    expect(own.data.user.email).toBe(me.email)
  })
})
