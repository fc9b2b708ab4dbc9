import { describe, expect, it } from 'vitest'
import { likeWorkRoute } from '../../../src/features/works/social/routes'
import { callJson, dataOf, dbFirst, dbRun, expectError, newUser } from '../../helpers'
import { awayFromWindowEdge, expectMinuteLimited, insertWork } from '../../support/works'

const like = (workId: string, token: string, body?: unknown) => callJson('POST', `/api/works/${workId}/like`, body, { token })

/** The stored counter and the rows it counts: they must always agree. */
async function likesOf(workId: string) {
  const row = await dbFirst<{ counter: number; rows: number }>(
    'SELECT likes_count AS counter, (SELECT COUNT(*) FROM work_likes WHERE work_id = ?1) AS rows FROM works WHERE id = ?1',
    workId,
  )
  return row!
}

describe('POST /api/works/:id/like', () => {
  it('toggles: like, then unlike, each answering the state after its write', async () => {
    const owner = await newUser('likeown')
    const fan = await newUser('likefan')
    const { workId } = await insertWork(owner.id, { published: true })
    expect(dataOf(await like(workId, fan.accessToken), likeWorkRoute, 200)).toEqual({ isLiked: true, likesCount: 1 })
    expect(await likesOf(workId)).toEqual({ counter: 1, rows: 1 })
    expect(dataOf(await like(workId, fan.accessToken), likeWorkRoute, 200)).toEqual({ isLiked: false, likesCount: 0 })
    expect(await likesOf(workId)).toEqual({ counter: 0, rows: 0 })
    // The work detail read by others sees the same counter.
    const row = await dbFirst<{ n: number }>('SELECT likes_count AS n FROM works WHERE id = ?1', workId)
    expect(row?.n).toBe(0)
  })

  it('{liked} sets instead of toggling: repeating it changes nothing (idempotent double clicks)', async () => {
    const owner = await newUser('likeown')
    const fan = await newUser('likefan')
    const { workId } = await insertWork(owner.id, { published: true })
    for (let i = 0; i < 3; i++) {
      expect(dataOf(await like(workId, fan.accessToken, { liked: true }), likeWorkRoute, 200)).toEqual({ isLiked: true, likesCount: 1 })
    }
    for (let i = 0; i < 2; i++) {
      expect(dataOf(await like(workId, fan.accessToken, { liked: false }), likeWorkRoute, 200)).toEqual({ isLiked: false, likesCount: 0 })
    }
    // An empty object toggles, as no body does.
    expect(dataOf(await like(workId, fan.accessToken, {}), likeWorkRoute, 200)).toEqual({ isLiked: true, likesCount: 1 })
    expect(await likesOf(workId)).toEqual({ counter: 1, rows: 1 })
  })

  it('counts likes from many users, and my own private work can be liked by me', async () => {
    const owner = await newUser('likeown')
    const fans = await Promise.all([newUser('likefan'), newUser('likefan'), newUser('likefan')])
    const { workId } = await insertWork(owner.id, { published: true })
    for (const [i, fan] of fans.entries()) {
      expect(dataOf(await like(workId, fan.accessToken), likeWorkRoute, 200)).toEqual({ isLiked: true, likesCount: i + 1 })
    }
    const { workId: privateWork } = await insertWork(owner.id)
    expect(dataOf(await like(privateWork, owner.accessToken), likeWorkRoute, 200)).toEqual({ isLiked: true, likesCount: 1 })
  })

  it("someone else's private, pending or rejected work, and an unknown id, are 404 and write nothing", async () => {
    const owner = await newUser('likeown')
    const fan = await newUser('likefan')
    const hidden = [
      await insertWork(owner.id),
      await insertWork(owner.id, { isPublic: true, reviewStatus: 'pending' }),
      await insertWork(owner.id, { isPublic: false, reviewStatus: 'rejected' }),
    ]
    for (const { workId } of hidden) {
      for (const body of [undefined, { liked: true }, { liked: false }]) {
        expectError(await like(workId, fan.accessToken, body), 404, 'NOT_FOUND')
      }
      expect(await likesOf(workId)).toEqual({ counter: 0, rows: 0 })
    }
    expectError(await like('wrk_missing', fan.accessToken), 404, 'NOT_FOUND')
  })

  it('401 without a token; 400 for a body that is not {liked: boolean}, 415 for one that is not JSON', async () => {
    const owner = await newUser('likeown')
    const { workId } = await insertWork(owner.id, { published: true })
    expectError(await callJson('POST', `/api/works/${workId}/like`), 401, 'UNAUTHORIZED')
    expectError(await like(workId, owner.accessToken, { liked: 'yes' }), 400, 'VALIDATION_ERROR')
    const json = { token: owner.accessToken, headers: { 'Content-Type': 'application/json' } }
    expectError(await callJson('POST', `/api/works/${workId}/like`, '{not json', json), 400, 'VALIDATION_ERROR')
    // A body that is not JSON at all is refused before it is read.
    expectError(await callJson('POST', `/api/works/${workId}/like`, 'liked', { token: owner.accessToken }), 415, 'UNSUPPORTED_MEDIA_TYPE')
    expect(await likesOf(workId)).toEqual({ counter: 0, rows: 0 })
  })

  it('50 parallel toggles by one user end consistent: each answer is the state after its own write', async () => {
    const owner = await newUser('likeown')
    const fan = await newUser('likefan')
    const { workId } = await insertWork(owner.id, { published: true })
    const answers = await Promise.all(Array.from({ length: 50 }, () => like(workId, fan.accessToken)))
    const states = answers.map((a) => dataOf(a, likeWorkRoute, 200))
    // Every answer is self-consistent: liked ⇔ one like on the work (this is the only liker).
    for (const s of states) expect(s.likesCount).toBe(s.isLiked ? 1 : 0)
    // Each toggle flipped the state once, in some serial order: 50 flips alternate 25 / 25, ending unliked.
    expect(states.filter((s) => s.isLiked)).toHaveLength(25)
    expect(await likesOf(workId)).toEqual({ counter: 0, rows: 0 })
    // One more toggle continues from the consistent state.
    expect(dataOf(await like(workId, fan.accessToken), likeWorkRoute, 200)).toEqual({ isLiked: true, likesCount: 1 })
  })

  it('50 parallel {liked: true} from one user and parallel likes from 20 users keep the counter equal to the rows', async () => {
    const owner = await newUser('likeown')
    const fan = await newUser('likefan')
    const { workId } = await insertWork(owner.id, { published: true })
    const same = await Promise.all(Array.from({ length: 50 }, () => like(workId, fan.accessToken, { liked: true })))
    for (const a of same) expect(dataOf(a, likeWorkRoute, 200)).toEqual({ isLiked: true, likesCount: 1 })
    const fans = await Promise.all(Array.from({ length: 20 }, () => newUser('likefan')))
    const many = await Promise.all(fans.map((f) => like(workId, f.accessToken)))
    const counts = many.map((a) => dataOf(a, likeWorkRoute, 200).likesCount).sort((a, b) => a - b)
    // Serialised writes: each answer saw a distinct count, 2..21.
    expect(counts).toEqual(Array.from({ length: 20 }, (_, i) => i + 2))
    expect(await likesOf(workId)).toEqual({ counter: 21, rows: 21 })
  })

  it('is rate-limited per user: 60 a minute (likes and unlikes alike), 429 with Retry-After, nothing written', async () => {
    const owner = await newUser('likeown')
    const fan = await newUser('likefan')
    const other = await newUser('likefan')
    const { workId } = await insertWork(owner.id, { published: true })
    await awayFromWindowEdge(60_000)
    // 30 sets then 32 unsets in parallel: every request counts, the count is atomic, so exactly 60 pass.
    const answers = await Promise.all(
      Array.from({ length: 62 }, (_, i) => like(workId, fan.accessToken, { liked: i < 30 })),
    )
    expect(answers.filter((a) => a.status === 200)).toHaveLength(60)
    expectMinuteLimited(answers, 2)
    // A refused like writes nothing; the counter still equals the rows.
    const before = await likesOf(workId)
    expect(before.counter).toBe(before.rows)
    expectError(await like(workId, fan.accessToken, { liked: !before.rows }), 429, 'RATE_LIMITED')
    expect(await likesOf(workId)).toEqual(before)
    // Per user: someone else may still like.
    expect(dataOf(await like(workId, other.accessToken, { liked: true }), likeWorkRoute, 200).isLiked).toBe(true)
  })

  it('has a daily budget of 1,000 per user, an unlike counting like a like', async () => {
    const owner = await newUser('likeown')
    const fan = await newUser('likefan')
    const { workId } = await insertWork(owner.id, { published: true })
    dataOf(await like(workId, fan.accessToken, { liked: true }), likeWorkRoute, 200)
    await awayFromWindowEdge(86_400_000)
    // Pretend 1,000 were spent today (the minute window is not full).
    const day = Math.floor(Date.now() / 86_400_000) * 86_400_000
    await dbRun('UPDATE rate_limits SET count = 1000, window_start = ?2 WHERE key = ?1', `likes:day:${fan.id}`, day)
    const refused = expectError(await like(workId, fan.accessToken, { liked: false }), 429, 'RATE_LIMITED')
    expect(refused.details).toMatchObject({ retryAfter: expect.any(Number) })
    expect(await likesOf(workId)).toEqual({ counter: 1, rows: 1 })
  })
})
