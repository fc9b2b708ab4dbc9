import { env } from 'cloudflare:test'
import { afterEach, describe, expect, it } from 'vitest'
import { COALESCE_WINDOW_MS } from '../../../src/features/hub/user-hub'
import { createCommentRoute, followUserRoute, likeWorkRoute } from '../../../src/features/works/social/routes'
import { callJson, dataOf, newUser } from '../../helpers'
import { insertWork } from '../../support/works'
import { closeAll, connect, type Client, type FrameOf } from '../../support/ws-client'

afterEach(closeAll)

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))
/** Longer than a coalescing window plus delivery, so any frame still due has arrived. */
const settle = () => sleep(COALESCE_WINDOW_MS + 700)

const framesOf = <K extends 'work.liked' | 'work.commented' | 'user.followed'>(c: Client, type: K) =>
  c.frames.filter((f): f is FrameOf<K> => f.type === type)

describe('UserHub.publishCoalesced', () => {
  it('keeps one event per key per window: the highest rank wins whatever order they arrive in', async () => {
    const user = await newUser('evhub')
    const socket = await connect(user.accessToken)
    const hub = env.USER_HUB.get(env.USER_HUB.idFromName(user.id))
    const by = { id: 'usr_x', username: 'x', avatarUrl: null }
    // Parallel requests publish in any order: counts 1..10 arrive shuffled, two works interleaved.
    // All twenty calls are in flight at once (well within one window).
    await Promise.all(
      [3, 1, 10, 7, 2, 9, 4, 8, 6, 5].flatMap((n) => [
        hub.publishCoalesced('work.liked:a', { type: 'work.liked', data: { workId: 'a', likesCount: n, by } }, n),
        hub.publishCoalesced('work.liked:b', { type: 'work.liked', data: { workId: 'b', likesCount: n * 2, by } }, n * 2),
      ]),
    )
    await settle()
    const liked = framesOf(socket, 'work.liked')
    expect(liked.map((f) => [f.data.workId, f.data.likesCount]).sort()).toEqual([['a', 10], ['b', 20]])
  })

  it('keeps nothing for a user with no socket open', async () => {
    const user = await newUser('evhub')
    const hub = env.USER_HUB.get(env.USER_HUB.idFromName(user.id))
    const event = { type: 'user.followed' as const, data: { followersCount: 1, by: { id: 'usr_x', username: 'x', avatarUrl: null } } }
    expect(await hub.publishCoalesced('user.followed', event, 1)).toBe(0)
  })
})

describe('owner events on /api/ws', () => {
  it('10 rapid likes by different users reach the owner as 1–2 work.liked frames, the last with likesCount 10', async () => {
    const owner = await newUser('evown')
    const fans = await Promise.all(Array.from({ length: 10 }, () => newUser('evfan')))
    const { workId } = await insertWork(owner.id, { published: true })
    const socket = await connect(owner.accessToken)
    const started = Date.now()
    const answers = await Promise.all(fans.map((f) => callJson('POST', `/api/works/${workId}/like`, undefined, { token: f.accessToken })))
    const burstMs = Date.now() - started
    for (const a of answers) expect(dataOf(a, likeWorkRoute, 200).isLiked).toBe(true)
    await socket.waitForType('work.liked', (f) => f.data.likesCount === 10)
    await settle()
    const liked = framesOf(socket, 'work.liked')
    // Coalesced: one frame per window, not one per like. A burst straddles at most two windows,
    // more only when this shared machine took longer than a window to serve it.
    expect(liked.length).toBeGreaterThanOrEqual(1)
    expect(liked.length).toBeLessThanOrEqual(Math.max(2, Math.floor(burstMs / COALESCE_WINDOW_MS) + 1))
    const last = liked[liked.length - 1]!
    expect(last.data).toMatchObject({ workId, likesCount: 10 })
    expect(fans.map((f) => f.id)).toContain(last.data.by.id)
    expect(last.data.by.username).toBe(fans.find((f) => f.id === last.data.by.id)!.username)
    // A like after the window is announced again, with the new count.
    const late = await newUser('evfan')
    await callJson('POST', `/api/works/${workId}/like`, undefined, { token: late.accessToken })
    const again = await socket.waitForType('work.liked', (f) => f.data.likesCount === 11)
    expect(again.data.by).toEqual({ id: late.id, username: late.username, avatarUrl: null })
  })

  it('liking your own work, and unliking, send nothing', async () => {
    const owner = await newUser('evown')
    const fan = await newUser('evfan')
    const { workId } = await insertWork(owner.id, { published: true })
    const socket = await connect(owner.accessToken)
    await callJson('POST', `/api/works/${workId}/like`, undefined, { token: owner.accessToken })
    await settle()
    expect(framesOf(socket, 'work.liked')).toEqual([])
    // The fan likes (one frame), waits out the window, then unlikes: no second frame.
    await callJson('POST', `/api/works/${workId}/like`, { liked: true }, { token: fan.accessToken })
    await socket.waitForType('work.liked', (f) => f.data.likesCount === 2)
    await callJson('POST', `/api/works/${workId}/like`, { liked: false }, { token: fan.accessToken })
    await callJson('POST', `/api/works/${workId}/like`, { liked: false }, { token: fan.accessToken })
    await settle()
    expect(framesOf(socket, 'work.liked')).toHaveLength(1)
  })

  it('a comment sends work.commented with the count and the comment; my own comment sends nothing', async () => {
    const owner = await newUser('evown')
    const fan = await newUser('evfan')
    const { workId } = await insertWork(owner.id, { published: true })
    const socket = await connect(owner.accessToken)
    await callJson('POST', `/api/works/${workId}/comments`, { text: 'mine' }, { token: owner.accessToken })
    const created = dataOf(
      await callJson('POST', `/api/works/${workId}/comments`, { text: 'Nice <b>fog</b>' }, { token: fan.accessToken }),
      createCommentRoute,
      201,
    )
    const frame = await socket.waitForType('work.commented')
    expect(frame.data).toEqual({
      workId,
      commentsCount: 2,
      comment: { id: created.comment.id, text: 'Nice <b>fog</b>', author: { id: fan.id, username: fan.username, avatarUrl: null }, createdAt: created.comment.createdAt },
    })
    await settle()
    expect(framesOf(socket, 'work.commented')).toHaveLength(1)
  })

  it('a follow sends user.followed to the followee; following again, or unfollowing, sends nothing more', async () => {
    const star = await newUser('evstar')
    const fan = await newUser('evfan')
    const socket = await connect(star.accessToken)
    const fanSocket = await connect(fan.accessToken)
    dataOf(await callJson('POST', `/api/users/${star.id}/follow`, undefined, { token: fan.accessToken }), followUserRoute, 200)
    const frame = await socket.waitForType('user.followed')
    expect(frame.data).toEqual({ followersCount: 1, by: { id: fan.id, username: fan.username, avatarUrl: null } })
    await settle()
    await callJson('POST', `/api/users/${star.id}/follow`, undefined, { token: fan.accessToken })
    await callJson('DELETE', `/api/users/${star.id}/follow`, undefined, { token: fan.accessToken })
    await settle()
    expect(framesOf(socket, 'user.followed')).toHaveLength(1)
    expect(fanSocket.frames.map((f) => f.type)).toEqual(['connected'])
  })
})
