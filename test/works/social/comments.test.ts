import { z } from '@hono/zod-openapi'
import { describe, expect, it } from 'vitest'
import { createCommentRoute, deleteCommentRoute, listCommentsRoute } from '../../../src/features/works/social/routes'
import { callJson, dataOf, dbFirst, dbRun, expectError, newUser, type TestUser } from '../../helpers'
import { makeAdmin } from '../../support/generation'
import { awayFromWindowEdge, expectMinuteLimited, insertWork } from '../../support/works'

const post = (workId: string, user: TestUser, text: unknown) => callJson('POST', `/api/works/${workId}/comments`, { text }, { token: user.accessToken })
const list = (workId: string, query = '', user?: TestUser) =>
  callJson('GET', `/api/works/${workId}/comments${query}`, undefined, { token: user?.accessToken })

/** The stored counter and the rows it counts. */
async function commentsOf(workId: string) {
  return (await dbFirst<{ counter: number; rows: number }>(
    'SELECT comments_count AS counter, (SELECT COUNT(*) FROM work_comments WHERE work_id = ?1) AS rows FROM works WHERE id = ?1',
    workId,
  ))!
}

/** Frees a user from the comment rate limits (tests that are not about them write many). */
const resetCommentLimits = (userId: string) => dbRun("DELETE FROM rate_limits WHERE key LIKE 'comments:%:' || ?1", userId)

describe('POST /api/works/:id/comments', () => {
  it('stores plain text as sent (trimmed), answers 201 with the comment and the new count', async () => {
    const owner = await newUser('cmown')
    const fan = await newUser('cmfan')
    const { workId } = await insertWork(owner.id, { published: true })
    const text = '  <script>alert(1)</script> & "quotes"\nsecond line 🌅  '
    const created = dataOf(await post(workId, fan, text), createCommentRoute, 201)
    // Never HTML-escaped or sanitised: the exact text, trimmed; clients render it as text.
    expect(created.comment).toMatchObject({
      workId,
      text: '<script>alert(1)</script> & "quotes"\nsecond line 🌅',
      author: { id: fan.id, username: fan.username, avatarUrl: null },
      canDelete: true,
    })
    expect(created.commentsCount).toBe(1)
    const stored = await dbFirst<{ text: string }>('SELECT text FROM work_comments WHERE id = ?1', created.comment.id)
    expect(stored?.text).toBe('<script>alert(1)</script> & "quotes"\nsecond line 🌅')
    expect(await commentsOf(workId)).toEqual({ counter: 1, rows: 1 })
  })

  it('validates: 1..500 characters after trim (emoji count as one), newlines only among control characters', async () => {
    const owner = await newUser('cmown')
    const { workId } = await insertWork(owner.id, { published: true })
    for (const bad of ['', '   \n  ', 'x'.repeat(501), 'tab\there', 'bell\u0007', 'nul\u0000', 'esc\u001b[31m', 'c1\u0085', 42, null]) {
      expectError(await post(workId, owner, bad), 400, 'VALIDATION_ERROR')
    }
    expectError(await callJson('POST', `/api/works/${workId}/comments`, {}, { token: owner.accessToken }), 400, 'VALIDATION_ERROR')
    await resetCommentLimits(owner.id)
    // Exactly 500 characters, even when each is two UTF-16 units; CRLF is stored as LF.
    dataOf(await post(workId, owner, 'x'.repeat(500)), createCommentRoute, 201)
    dataOf(await post(workId, owner, '🌅'.repeat(500)), createCommentRoute, 201)
    const crlf = dataOf(await post(workId, owner, 'a\r\nb'), createCommentRoute, 201)
    expect(crlf.comment.text).toBe('a\nb')
    expect(await commentsOf(workId)).toEqual({ counter: 3, rows: 3 })
  })

  it('refuses Unicode bidi controls (display spoofing) with 400 naming the field; emoji ZWJ sequences are fine', async () => {
    const owner = await newUser('cmown')
    const { workId } = await insertWork(owner.id, { published: true })
    const bidi = ['\u202A', '\u202B', '\u202C', '\u202D', '\u202E', '\u2066', '\u2067', '\u2068', '\u2069', '\u200E', '\u200F']
    for (const c of bidi) {
      const error = expectError(await post(workId, owner, `nice ${c}txt.exe`), 400, 'VALIDATION_ERROR')
      expect(error.details).toEqual([expect.objectContaining({ field: 'text', message: expect.stringContaining('bidirectional') })])
    }
    expect(await commentsOf(workId)).toEqual({ counter: 0, rows: 0 })
    // Family and technologist emoji are joined with U+200D: kept as sent.
    const zwj = '👩\u200D👩\u200D👧 and 👩\u200D💻'
    expect(dataOf(await post(workId, owner, zwj), createCommentRoute, 201).comment.text).toBe(zwj)
  })

  it("someone else's private, pending or rejected work, and an unknown id, are 404; my own private work is fine", async () => {
    const owner = await newUser('cmown')
    const fan = await newUser('cmfan')
    const hidden = [
      await insertWork(owner.id),
      await insertWork(owner.id, { isPublic: true, reviewStatus: 'pending' }),
      await insertWork(owner.id, { reviewStatus: 'rejected' }),
    ]
    for (const { workId } of hidden) {
      expectError(await post(workId, fan, 'hello'), 404, 'NOT_FOUND')
      expectError(await list(workId, '', fan), 404, 'NOT_FOUND')
      expectError(await list(workId), 404, 'NOT_FOUND')
      expect(await commentsOf(workId)).toEqual({ counter: 0, rows: 0 })
    }
    expectError(await post('wrk_missing', fan, 'hello'), 404, 'NOT_FOUND')
    const mine = hidden[0]!.workId
    dataOf(await post(mine, owner, 'note to self'), createCommentRoute, 201)
    expect(dataOf(await list(mine, '', owner), listCommentsRoute, 200).items).toHaveLength(1)
    expectError(await callJson('POST', `/api/works/${mine}/comments`, { text: 'x' }), 401, 'UNAUTHORIZED')
  })

  it('is rate-limited per user: the 11th comment within a minute is 429 with Retry-After, and stores nothing', async () => {
    const owner = await newUser('cmown')
    const fan = await newUser('cmfan')
    const other = await newUser('cmfan')
    const { workId } = await insertWork(owner.id, { published: true })
    await awayFromWindowEdge(60_000)
    // In parallel: the limit counts atomically, so exactly 10 get through.
    const answers = await Promise.all(Array.from({ length: 12 }, (_, i) => post(workId, fan, `comment ${i}`)))
    expect(answers.filter((a) => a.status === 201)).toHaveLength(10)
    expectMinuteLimited(answers, 2)
    expect(await commentsOf(workId)).toEqual({ counter: 10, rows: 10 })
    // Per user: someone else may still comment.
    dataOf(await post(workId, other, 'me too'), createCommentRoute, 201)
  })

  it('has a daily budget of 200 per user', async () => {
    const owner = await newUser('cmown')
    const fan = await newUser('cmfan')
    const { workId } = await insertWork(owner.id, { published: true })
    await awayFromWindowEdge(86_400_000)
    // Pretend 200 comments were written today (the minute window is fresh).
    const day = Math.floor(Date.now() / 86_400_000) * 86_400_000
    await dbRun('INSERT INTO rate_limits (key, window_start, count) VALUES (?1, ?2, 200)', `comments:day:${fan.id}`, day)
    const refused = expectError(await post(workId, fan, 'one more'), 429, 'RATE_LIMITED')
    expect(refused.details).toMatchObject({ retryAfter: expect.any(Number) })
    expect(await commentsOf(workId)).toEqual({ counter: 0, rows: 0 })
  })
})

describe('GET /api/works/:id/comments', () => {
  it('lists newest first, paged, with canDelete for the viewer (false when anonymous)', async () => {
    const owner = await newUser('cmown')
    const a = await newUser('cmfan')
    const b = await newUser('cmfan')
    const { workId } = await insertWork(owner.id, { published: true })
    const texts: string[] = []
    for (let i = 0; i < 5; i++) {
      const author = i % 2 === 0 ? a : b
      texts.push(dataOf(await post(workId, author, `c${i}`), createCommentRoute, 201).comment.text)
      // Distinct timestamps, so "newest first" has one right answer.
      await new Promise((resolve) => setTimeout(resolve, 5))
    }
    const page1 = dataOf(await list(workId, '?page=1&limit=2', a), listCommentsRoute, 200)
    expect(page1.items.map((c) => c.text)).toEqual(['c4', 'c3'])
    expect(page1.pagination).toEqual({ page: 1, limit: 2, total: 5, totalPages: 3, hasNext: true, hasPrev: false })
    expect(page1.items.map((c) => c.canDelete)).toEqual([true, false])
    const page3 = dataOf(await list(workId, '?page=3&limit=2', a), listCommentsRoute, 200)
    expect(page3.items.map((c) => c.text)).toEqual(['c0'])
    // The owner may delete every comment on their work; an anonymous reader none.
    expect(dataOf(await list(workId, '', owner), listCommentsRoute, 200).items.every((c) => c.canDelete)).toBe(true)
    const anonymous = dataOf(await list(workId), listCommentsRoute, 200)
    expect(anonymous.items.map((c) => c.text)).toEqual(['c4', 'c3', 'c2', 'c1', 'c0'])
    expect(anonymous.items.some((c) => c.canDelete)).toBe(false)
    expect(anonymous.items[0]).toMatchObject({ workId, author: { id: a.id, username: a.username } })
    // Raw JSON: an author is only {id, username, avatarUrl} (no email).
    const raw = z.object({ data: z.object({ items: z.array(z.object({ author: z.record(z.string(), z.unknown()) })) }) }).parse((await list(workId)).body)
    expect(Object.keys(raw.data.items[0]!.author).sort()).toEqual(['avatarUrl', 'id', 'username'])
  })

  it('400 for bad paging; 401 for a bad token', async () => {
    const owner = await newUser('cmown')
    const { workId } = await insertWork(owner.id, { published: true })
    for (const q of ['?page=0', '?limit=101', '?limit=x']) expectError(await list(workId, q), 400, 'VALIDATION_ERROR')
    expectError(await callJson('GET', `/api/works/${workId}/comments`, undefined, { token: 'not-a-token' }), 401, 'UNAUTHORIZED')
  })
})

describe('DELETE /api/comments/:id', () => {
  it('the author, the work owner and an admin may delete; a stranger gets 404 and nothing changes', async () => {
    const owner = await newUser('cmown')
    const author = await newUser('cmfan')
    const stranger = await newUser('cmstr')
    const admin = await newUser('cmadm')
    await makeAdmin(admin.id)
    const { workId } = await insertWork(owner.id, { published: true })
    const ids: string[] = []
    for (let i = 0; i < 3; i++) ids.push(dataOf(await post(workId, author, `c${i}`), createCommentRoute, 201).comment.id)
    expect(await commentsOf(workId)).toEqual({ counter: 3, rows: 3 })

    expectError(await callJson('DELETE', `/api/comments/${ids[0]}`, undefined, { token: stranger.accessToken }), 404, 'NOT_FOUND')
    expect(await commentsOf(workId)).toEqual({ counter: 3, rows: 3 })

    const deleters = [author, owner, admin]
    for (const [i, who] of deleters.entries()) {
      const done = dataOf(await callJson('DELETE', `/api/comments/${ids[i]}`, undefined, { token: who.accessToken }), deleteCommentRoute, 200)
      expect(done).toEqual({ deleted: true, id: ids[i], workId, commentsCount: 2 - i })
      expect(await commentsOf(workId)).toEqual({ counter: 2 - i, rows: 2 - i })
    }
    // Already gone: 404 for everyone, even the admin.
    expectError(await callJson('DELETE', `/api/comments/${ids[0]}`, undefined, { token: admin.accessToken }), 404, 'NOT_FOUND')
    expectError(await callJson('DELETE', '/api/comments/cmt_missing', undefined, { token: owner.accessToken }), 404, 'NOT_FOUND')
    expectError(await callJson('DELETE', `/api/comments/${ids[0]}`), 401, 'UNAUTHORIZED')
  })

  it('parallel deletes of one comment: exactly one succeeds and the counter stays equal to the rows', async () => {
    const owner = await newUser('cmown')
    const author = await newUser('cmfan')
    const { workId } = await insertWork(owner.id, { published: true })
    const { id } = dataOf(await post(workId, author, 'gone soon'), createCommentRoute, 201).comment
    dataOf(await post(workId, author, 'stays'), createCommentRoute, 201)
    const answers = await Promise.all([author, owner, author, owner].map((u) => callJson('DELETE', `/api/comments/${id}`, undefined, { token: u.accessToken })))
    expect(answers.map((a) => a.status).sort()).toEqual([200, 404, 404, 404])
    expect(await commentsOf(workId)).toEqual({ counter: 1, rows: 1 })
  })
})
