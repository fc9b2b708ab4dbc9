import { describe, expect, it } from 'vitest'
import { createMessageRoute, deleteMessageRoute, editMessageRoute, listMessagesRoute } from '../../src/features/editor/messages/routes'
import { getSessionRoute } from '../../src/features/editor/sessions/routes'
import { call, callJson, dataOf, expectError, newUser } from '../helpers'
import { insertImage, newSession, postMessage } from './support'

const list = async (token: string, sessionId: string, query = '') =>
  dataOf(await callJson('GET', `/api/sessions/${sessionId}/messages${query}`, undefined, { token }), listMessagesRoute, 200)

describe('POST /api/sessions/:id/messages', () => {
  it('posts text, own images and params; answers the message with signed image URLs and the session counters', async () => {
    const user = await newUser('msg')
    const s = await newSession(user.accessToken)
    const [img1, img2] = [await insertImage(user.id), await insertImage(user.id)]
    const { message, session } = await postMessage(user.accessToken, s.id, {
      role: 'user',
      text: '  Make the sky warmer\r\nand softer  ',
      imageIds: [img2, img1, img2],
      params: { strength: 0.6, style: { tone: 'warm' } },
    })
    expect(message).toMatchObject({
      sessionId: s.id, seq: 1, version: 1, role: 'user', text: 'Make the sky warmer\nand softer', status: 'none',
      params: { strength: 0.6, style: { tone: 'warm' } }, imageIds: [img2, img1], taskId: null, editedOf: null, supersededBy: null, deletedAt: null,
    })
    // Repeats count once; order is kept; each image comes with the image's signed URLs, which serve the bytes.
    expect(message.images.map((i) => i.id)).toEqual([img2, img1])
    expect((await call('GET', message.images[0]!.variants.thumb)).status).toBe(200)
    expect(session).toMatchObject({ id: s.id, messageCount: 1, lastMessageAt: message.createdAt })
    const second = await postMessage(user.accessToken, s.id, { text: 'again' })
    expect(second.message.seq).toBe(2)
    expect(second.session.messageCount).toBe(2)
  })

  it('refuses bad input: empty message, text over 4000, 9 images, a non-user role, big params, control characters', async () => {
    const user = await newUser('msg')
    const s = await newSession(user.accessToken)
    const t = { token: user.accessToken }
    const images = await Promise.all(Array.from({ length: 9 }, () => insertImage(user.id)))
    const post = (body: unknown) => callJson('POST', `/api/sessions/${s.id}/messages`, body, t)
    for (const body of [
      {},
      { text: '' },
      { text: '   \n ' },
      { imageIds: [] },
      { text: 'x'.repeat(4001) },
      { text: 'ok', imageIds: images },
      { text: 'ok', role: 'assistant' },
      { text: 'ok', params: { blob: 'x'.repeat(9000) } },
      { text: 'ok', params: ['not', 'an', 'object'] },
      { text: 'bell \u0007' },
      // A lone surrogate would be stored as U+FFFD (and could pass the length limit): refused.
      { text: 'broken \ud800 text' },
      { text: 42 },
      // Generation is the next part of the editor: refused rather than silently dropped.
      { text: 'ok', generate: { model: 'sdxl' } },
    ]) {
      expectError(await post(body), 400, 'VALIDATION_ERROR')
    }
    // Exactly at the limits is fine: 4000 characters (counted as characters, not UTF-16 units) and 8 images.
    const long = dataOf(await post({ text: '猫'.repeat(3999) + '🐈', imageIds: images.slice(0, 8) }), createMessageRoute, 201)
    expect(long.message.images).toHaveLength(8)
    // Nothing was written by the refused posts.
    const session = dataOf(await callJson('GET', `/api/sessions/${s.id}`, undefined, t), getSessionRoute, 200).session
    expect(session.messageCount).toBe(1)
  })

  it("someone else's image, a deleted or an unknown one is 404 naming each, and nothing is written", async () => {
    const user = await newUser('msg')
    const other = await newUser('msg')
    const s = await newSession(user.accessToken)
    const t = { token: user.accessToken }
    const mine = await insertImage(user.id)
    const theirs = await insertImage(other.id)
    const gone = await insertImage(user.id)
    expect((await callJson('DELETE', `/api/images/${gone}`, undefined, t)).status).toBe(200)
    const error = expectError(await callJson('POST', `/api/sessions/${s.id}/messages`, { text: 'x', imageIds: [mine, theirs, gone, 'img_nope'] }, t), 404, 'NOT_FOUND')
    expect(error.details).toEqual({
      errors: [theirs, gone, 'img_nope'].map((id) => ({ id, code: 'NOT_FOUND', error: 'Image not found' })),
    })
    expect((await list(user.accessToken, s.id)).items).toEqual([])
  })
})

describe('titles from the first message', () => {
  it('the first line, cut at a word boundary, at most 60 characters', async () => {
    const user = await newUser('ttl')
    const s = await newSession(user.accessToken)
    const text = '\n  Replace the grey overcast sky with a glowing orange sunset over the harbour  \nsecond line'
    const { session } = await postMessage(user.accessToken, s.id, { text })
    expect(session.title).toBe('Replace the grey overcast sky with a glowing orange sunset…')
    expect([...session.title!].length).toBeLessThanOrEqual(60)
    expect(session.titleSetByUser).toBe(false)
    // Only the first message titles it.
    const later = await postMessage(user.accessToken, s.id, { text: 'Something else' })
    expect(later.session.title).toBe(session.title)
  })

  it('a short first line is the title as is; text without spaces is cut at 60 characters', async () => {
    const user = await newUser('ttl')
    const a = await newSession(user.accessToken)
    expect((await postMessage(user.accessToken, a.id, { text: 'Brighter eyes' })).session.title).toBe('Brighter eyes')
    const b = await newSession(user.accessToken)
    const title = (await postMessage(user.accessToken, b.id, { text: '把'.repeat(80) })).session.title!
    expect([...title]).toHaveLength(60)
    expect(title.endsWith('…')).toBe(true)
  })

  it('"Image edit" when the first message has only images; a user-set title is never overwritten', async () => {
    const user = await newUser('ttl')
    const img = await insertImage(user.id)
    const a = await newSession(user.accessToken)
    expect((await postMessage(user.accessToken, a.id, { imageIds: [img] })).session.title).toBe('Image edit')
    const b = await newSession(user.accessToken, { title: 'My title' })
    expect((await postMessage(user.accessToken, b.id, { text: 'A different idea' })).session.title).toBe('My title')
    // Renamed before the first message: kept too.
    const c = await newSession(user.accessToken)
    await callJson('PUT', `/api/sessions/${c.id}`, { title: 'Renamed' }, { token: user.accessToken })
    expect((await postMessage(user.accessToken, c.id, { text: 'Hello' })).session.title).toBe('Renamed')
  })

  it('parallel first messages: exactly one of them titles the session', async () => {
    const user = await newUser('ttl')
    const s = await newSession(user.accessToken)
    const texts = ['alpha one', 'beta two', 'gamma three', 'delta four', 'epsilon five']
    const answers = await Promise.all(texts.map((text) => callJson('POST', `/api/sessions/${s.id}/messages`, { text }, { token: user.accessToken })))
    const posted = answers.map((a) => dataOf(a, createMessageRoute, 201).message)
    const first = posted.find((m) => m.seq === 1)!
    const session = dataOf(await callJson('GET', `/api/sessions/${s.id}`, undefined, { token: user.accessToken }), getSessionRoute, 200).session
    expect(session.title).toBe(first.text)
  })
})

describe('listing messages', () => {
  it('oldest first, limit/offset, page, and after=<seq> with nextAfter', async () => {
    const user = await newUser('mls')
    const s = await newSession(user.accessToken)
    for (let i = 1; i <= 5; i++) await postMessage(user.accessToken, s.id, { text: `m${i}` })
    const all = await list(user.accessToken, s.id)
    expect(all.items.map((m) => m.text)).toEqual(['m1', 'm2', 'm3', 'm4', 'm5'])
    expect(all.nextAfter).toBe(5)
    const page = await list(user.accessToken, s.id, '?limit=2&offset=2')
    expect(page.items.map((m) => m.seq)).toEqual([3, 4])
    expect(page.pagination).toMatchObject({ page: 2, total: 5, hasNext: true, hasPrev: true })
    expect((await list(user.accessToken, s.id, '?limit=2&page=3')).items.map((m) => m.seq)).toEqual([5])
    // Follow with after=: a device that saw seq 3 gets 4 and 5, then nothing new.
    const after = await list(user.accessToken, s.id, '?after=3')
    expect(after.items.map((m) => m.seq)).toEqual([4, 5])
    expect(after.nextAfter).toBe(5)
    const rest = await list(user.accessToken, s.id, `?after=${after.nextAfter}`)
    expect(rest.items).toEqual([])
    expect(rest.nextAfter).toBe(5)
    // after wins over offset; limit applies.
    expect((await list(user.accessToken, s.id, '?after=1&offset=3&limit=2')).items.map((m) => m.seq)).toEqual([2, 3])
    for (const q of ['?after=-1', '?after=x', '?includeEdits=maybe', '?limit=101']) {
      expectError(await callJson('GET', `/api/sessions/${s.id}/messages${q}`, undefined, { token: user.accessToken }), 400, 'VALIDATION_ERROR')
    }
  })
})

describe('PUT /api/messages/:id (edit keeps history)', () => {
  it('answers a new version whose editedOf is the edited id; lists show it in place unless includeEdits', async () => {
    const user = await newUser('med')
    const t = { token: user.accessToken }
    const s = await newSession(user.accessToken)
    const img = await insertImage(user.id)
    const first = (await postMessage(user.accessToken, s.id, { text: 'first', imageIds: [img], params: { strength: 0.5 } })).message
    await postMessage(user.accessToken, s.id, { text: 'second' })
    const v2 = dataOf(await callJson('PUT', `/api/messages/${first.id}`, { text: 'first, edited' }, t), editMessageRoute, 200)
    expect(v2.message).toMatchObject({ seq: 1, version: 2, text: 'first, edited', editedOf: first.id, supersededBy: null, imageIds: [img], params: { strength: 0.5 } })
    expect(v2.message.id).not.toBe(first.id)
    expect(v2.session.messageCount).toBe(2)
    const v3 = dataOf(await callJson('PUT', `/api/messages/${v2.message.id}`, { text: 'third take', params: null }, t), editMessageRoute, 200).message
    expect(v3).toMatchObject({ version: 3, editedOf: v2.message.id, params: null })

    const current = await list(user.accessToken, s.id)
    expect(current.items.map((m) => [m.seq, m.text])).toEqual([[1, 'third take'], [2, 'second']])
    expect(current.pagination.total).toBe(2)
    const history = await list(user.accessToken, s.id, '?includeEdits=true')
    expect(history.items.map((m) => [m.seq, m.version, m.text, m.supersededBy])).toEqual([
      [1, 1, 'first', v2.message.id],
      [1, 2, 'first, edited', v3.id],
      [1, 3, 'third take', null],
      [2, 1, 'second', null],
    ])
  })

  it('editing a replaced version is 409 naming the current id; parallel edits: one wins, the others 409', async () => {
    const user = await newUser('med')
    const t = { token: user.accessToken }
    const s = await newSession(user.accessToken)
    const m = (await postMessage(user.accessToken, s.id, { text: 'base' })).message
    const answers = await Promise.all(['a', 'b', 'c', 'd'].map((text) => callJson('PUT', `/api/messages/${m.id}`, { text }, t)))
    const won = answers.filter((a) => a.status === 200)
    expect(won).toHaveLength(1)
    const winner = dataOf(won[0]!, editMessageRoute, 200).message
    for (const lost of answers.filter((a) => a.status !== 200)) {
      expect(expectError(lost, 409, 'CONFLICT').details).toEqual({ currentId: winner.id })
    }
    const history = await list(user.accessToken, s.id, '?includeEdits=1')
    expect(history.items.map((x) => x.version)).toEqual([1, 2])
  })

  it('validates: empty text only when the message has images; assistant messages 403; others 404', async () => {
    const owner = await newUser('med')
    const other = await newUser('med')
    const t = { token: owner.accessToken }
    const s = await newSession(owner.accessToken)
    const textOnly = (await postMessage(owner.accessToken, s.id, { text: 'words' })).message
    expectError(await callJson('PUT', `/api/messages/${textOnly.id}`, { text: '  ' }, t), 400, 'VALIDATION_ERROR')
    expectError(await callJson('PUT', `/api/messages/${textOnly.id}`, { text: 'x'.repeat(4001) }, t), 400, 'VALIDATION_ERROR')
    expectError(await callJson('PUT', `/api/messages/${textOnly.id}`, {}, t), 400, 'VALIDATION_ERROR')
    const withImage = (await postMessage(owner.accessToken, s.id, { text: 'caption', imageIds: [await insertImage(owner.id)] })).message
    expect(dataOf(await callJson('PUT', `/api/messages/${withImage.id}`, { text: '' }, t), editMessageRoute, 200).message.text).toBe('')
    expectError(await callJson('PUT', `/api/messages/${textOnly.id}`, { text: 'mine now' }, { token: other.accessToken }), 404, 'NOT_FOUND')
    expectError(await callJson('DELETE', `/api/messages/${textOnly.id}`, undefined, { token: other.accessToken }), 404, 'NOT_FOUND')
    expectError(await callJson('PUT', '/api/messages/msg_unknown', { text: 'x' }, t), 404, 'NOT_FOUND')
    // An assistant reply (written by generations, part 2 of the editor) is not editable.
    const { env } = await import('cloudflare:test')
    await env.DB.prepare(
      `INSERT INTO chat_messages (id, fts_id, session_id, user_id, seq, role, text, status, created_at, updated_at)
       VALUES ('msg_assistant_1', (SELECT MAX(fts_id) + 1 FROM chat_messages), ?1, ?2, 99, 'assistant', 'done', 'done', ?3, ?3)`,
    ).bind(s.id, owner.id, Date.now()).run()
    expectError(await callJson('PUT', '/api/messages/msg_assistant_1', { text: 'rewrite' }, t), 403, 'FORBIDDEN')
  })
})

describe('DELETE /api/messages/:id', () => {
  it('deletes the message with every version (given any version id), scrubbed, hidden from lists and counters', async () => {
    const user = await newUser('mdl')
    const t = { token: user.accessToken }
    const s = await newSession(user.accessToken)
    const m = (await postMessage(user.accessToken, s.id, { text: 'secret plan' })).message
    const keep = (await postMessage(user.accessToken, s.id, { text: 'keep me' })).message
    const v2 = dataOf(await callJson('PUT', `/api/messages/${m.id}`, { text: 'secret plan v2' }, t), editMessageRoute, 200).message
    const deleted = dataOf(await callJson('DELETE', `/api/messages/${m.id}`, undefined, t), deleteMessageRoute, 200)
    expect(deleted.id).toBe(v2.id)
    expect([...deleted.ids].sort()).toEqual([m.id, v2.id].sort())
    expect(deleted.session).toMatchObject({ messageCount: 1, lastMessageAt: keep.createdAt })
    expect((await list(user.accessToken, s.id, '?includeEdits=true')).items.map((x) => x.id)).toEqual([keep.id])
    // The text is gone from storage, not only hidden.
    const { env } = await import('cloudflare:test')
    const stored = await env.DB.prepare("SELECT COUNT(*) AS n FROM chat_messages WHERE session_id = ?1 AND text LIKE '%secret%'").bind(s.id).first<{ n: number }>()
    expect(stored!.n).toBe(0)
    expectError(await callJson('DELETE', `/api/messages/${v2.id}`, undefined, t), 404, 'NOT_FOUND')
    expectError(await callJson('PUT', `/api/messages/${v2.id}`, { text: 'again' }, t), 404, 'NOT_FOUND')
  })
})
