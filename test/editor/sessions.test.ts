import { describe, expect, it } from 'vitest'
import {
  createSessionRoute, deleteSessionRoute, getSessionRoute, listSessionsRoute, renameSessionRoute,
} from '../../src/features/editor/sessions/routes'
import { callJson, dataOf, expectError, newUser } from '../helpers'
import { newSession, postMessage } from './support'

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

describe('chat sessions: create, get, rename, delete', () => {
  it('creates an untitled session and one with a title; get answers the same', async () => {
    const user = await newUser('chs')
    const untitled = dataOf(await callJson('POST', '/api/sessions', undefined, { token: user.accessToken }), createSessionRoute, 201).session
    expect(untitled).toMatchObject({ title: null, titleSetByUser: false, messageCount: 0, lastMessageAt: null, deletedAt: null })
    const titled = await newSession(user.accessToken, { title: '  Sunset edits  ' })
    expect(titled).toMatchObject({ title: 'Sunset edits', titleSetByUser: true })
    const got = dataOf(await callJson('GET', `/api/sessions/${titled.id}`, undefined, { token: user.accessToken }), getSessionRoute, 200).session
    expect(got).toEqual(titled)
  })

  it('renames (the title becomes the user\'s) and validates the title', async () => {
    const user = await newUser('chs')
    const s = await newSession(user.accessToken)
    const renamed = dataOf(await callJson('PUT', `/api/sessions/${s.id}`, { title: 'Harbour' }, { token: user.accessToken }), renameSessionRoute, 200).session
    expect(renamed).toMatchObject({ title: 'Harbour', titleSetByUser: true })
    for (const body of [{ title: '' }, { title: '   ' }, { title: 'x'.repeat(101) }, { title: 'two\nlines' }, {}]) {
      expectError(await callJson('PUT', `/api/sessions/${s.id}`, body, { token: user.accessToken }), 400, 'VALIDATION_ERROR')
    }
    expectError(await callJson('POST', '/api/sessions', { title: 'y'.repeat(101) }, { token: user.accessToken }), 400, 'VALIDATION_ERROR')
  })

  it("someone else's session is 404 on every route, and unauthenticated is 401", async () => {
    const owner = await newUser('chs')
    const other = await newUser('chs')
    const s = await newSession(owner.accessToken, { title: 'Mine' })
    const t = { token: other.accessToken }
    expectError(await callJson('GET', `/api/sessions/${s.id}`, undefined, t), 404, 'NOT_FOUND')
    expectError(await callJson('PUT', `/api/sessions/${s.id}`, { title: 'Stolen' }, t), 404, 'NOT_FOUND')
    expectError(await callJson('DELETE', `/api/sessions/${s.id}`, undefined, t), 404, 'NOT_FOUND')
    expectError(await callJson('GET', `/api/sessions/${s.id}/messages`, undefined, t), 404, 'NOT_FOUND')
    expectError(await callJson('POST', `/api/sessions/${s.id}/messages`, { text: 'hi' }, t), 404, 'NOT_FOUND')
    expectError(await callJson('GET', `/api/sessions/${s.id}`), 401, 'UNAUTHORIZED')
    expectError(await callJson('GET', '/api/sessions/chs_unknown', undefined, { token: owner.accessToken }), 404, 'NOT_FOUND')
    // Nothing changed for the owner.
    const got = dataOf(await callJson('GET', `/api/sessions/${s.id}`, undefined, { token: owner.accessToken }), getSessionRoute, 200).session
    expect(got.title).toBe('Mine')
  })

  it('a deleted session is hidden at once: get, list, messages, posting and its messages all 404', async () => {
    const user = await newUser('chs')
    const t = { token: user.accessToken }
    const s = await newSession(user.accessToken)
    const { message } = await postMessage(user.accessToken, s.id, { text: 'hello' })
    const deleted = dataOf(await callJson('DELETE', `/api/sessions/${s.id}`, undefined, t), deleteSessionRoute, 200).session
    expect(deleted.deletedAt).not.toBeNull()
    expectError(await callJson('GET', `/api/sessions/${s.id}`, undefined, t), 404, 'NOT_FOUND')
    expectError(await callJson('DELETE', `/api/sessions/${s.id}`, undefined, t), 404, 'NOT_FOUND')
    expectError(await callJson('PUT', `/api/sessions/${s.id}`, { title: 'back' }, t), 404, 'NOT_FOUND')
    expectError(await callJson('GET', `/api/sessions/${s.id}/messages`, undefined, t), 404, 'NOT_FOUND')
    expectError(await callJson('POST', `/api/sessions/${s.id}/messages`, { text: 'more' }, t), 404, 'NOT_FOUND')
    expectError(await callJson('PUT', `/api/messages/${message.id}`, { text: 'edit' }, t), 404, 'NOT_FOUND')
    expectError(await callJson('DELETE', `/api/messages/${message.id}`, undefined, t), 404, 'NOT_FOUND')
    const list = dataOf(await callJson('GET', '/api/sessions', undefined, t), listSessionsRoute, 200)
    expect(list.items.map((i) => i.id)).not.toContain(s.id)
    expect(list.pagination.total).toBe(0)
  })
})

describe('GET /api/sessions', () => {
  it('newest activity first: a message moves a session to the top; limit/offset and page agree', async () => {
    const user = await newUser('chl')
    const t = { token: user.accessToken }
    const a = await newSession(user.accessToken, { title: 'A' })
    await sleep(5)
    const b = await newSession(user.accessToken, { title: 'B' })
    await sleep(5)
    const c = await newSession(user.accessToken, { title: 'C' })
    await sleep(5)
    let list = dataOf(await callJson('GET', '/api/sessions', undefined, t), listSessionsRoute, 200)
    expect(list.items.map((i) => i.title)).toEqual(['C', 'B', 'A'])
    // A message in A is the newest activity.
    await postMessage(user.accessToken, a.id, { text: 'bump' })
    list = dataOf(await callJson('GET', '/api/sessions', undefined, t), listSessionsRoute, 200)
    expect(list.items.map((i) => i.id)).toEqual([a.id, c.id, b.id])
    expect(list.pagination).toEqual({ page: 1, limit: 20, total: 3, totalPages: 1, hasNext: false, hasPrev: false })

    const byOffset = dataOf(await callJson('GET', '/api/sessions?limit=1&offset=1', undefined, t), listSessionsRoute, 200)
    expect(byOffset.items.map((i) => i.id)).toEqual([c.id])
    expect(byOffset.pagination).toMatchObject({ page: 2, limit: 1, total: 3, hasNext: true, hasPrev: true })
    const byPage = dataOf(await callJson('GET', '/api/sessions?limit=1&page=3', undefined, t), listSessionsRoute, 200)
    expect(byPage.items.map((i) => i.id)).toEqual([b.id])
    expect(byPage.pagination).toMatchObject({ page: 3, total: 3, totalPages: 3, hasNext: false, hasPrev: true })
    for (const q of ['limit=0', 'limit=101', 'offset=-1', 'page=0', 'limit=abc']) {
      expectError(await callJson('GET', `/api/sessions?${q}`, undefined, t), 400, 'VALIDATION_ERROR')
    }
  })

  it('lists only my sessions', async () => {
    const me = await newUser('chl')
    const other = await newUser('chl')
    await newSession(other.accessToken, { title: 'Theirs' })
    const mine = await newSession(me.accessToken, { title: 'Mine' })
    const list = dataOf(await callJson('GET', '/api/sessions', undefined, { token: me.accessToken }), listSessionsRoute, 200)
    expect(list.items.map((i) => i.id)).toEqual([mine.id])
  })

  it('search matches titles and current message text, Latin and CJK, long and short terms', async () => {
    const user = await newUser('chq')
    const other = await newUser('chq')
    const t = { token: user.accessToken }
    const harbour = await newSession(user.accessToken, { title: 'Harbour at dawn' })
    const cat = await newSession(user.accessToken)
    await postMessage(user.accessToken, cat.id, { text: 'Turn the cat into a watercolour\n把猫变成水彩画' })
    const sunset = await newSession(user.accessToken, { title: '日落 edits' })
    await postMessage(user.accessToken, sunset.id, { text: 'Warm the SKY tones' })
    // Someone else's matching session never shows.
    const theirs = await newSession(other.accessToken, { title: 'Harbour too' })
    await postMessage(other.accessToken, theirs.id, { text: 'watercolour 水彩画' })

    const search = async (q: string) =>
      dataOf(await callJson('GET', `/api/sessions?search=${encodeURIComponent(q)}`, undefined, t), listSessionsRoute, 200).items.map((i) => i.id).sort()
    expect(await search('harbour')).toEqual([harbour.id])
    expect(await search('HARB')).toEqual([harbour.id])
    expect(await search('watercolour')).toEqual([cat.id])
    expect(await search('水彩画')).toEqual([cat.id])
    // Short CJK terms (< 3 characters) match as substrings: in a title and in a message.
    expect(await search('日落')).toEqual([sunset.id])
    expect(await search('猫')).toEqual([cat.id])
    // Every term must occur (in the title or in one message).
    expect(await search('sky warm')).toEqual([sunset.id])
    expect(await search('sky watercolour')).toEqual([])
    expect(await search('zebra')).toEqual([])
    // Blank search does not filter.
    expect(await search('   ')).toEqual([harbour.id, cat.id, sunset.id].sort())
    // The count follows the filter.
    const counted = dataOf(await callJson('GET', '/api/sessions?search=watercolour', undefined, t), listSessionsRoute, 200)
    expect(counted.pagination.total).toBe(1)
  })

  it('search sees edits and deletions at once: old text stops matching, new text matches', async () => {
    const user = await newUser('chq')
    const t = { token: user.accessToken }
    const s = await newSession(user.accessToken, { title: 'Plain' })
    const { message } = await postMessage(user.accessToken, s.id, { text: 'a lighthouse at night' })
    const search = async (q: string) =>
      dataOf(await callJson('GET', `/api/sessions?search=${encodeURIComponent(q)}`, undefined, t), listSessionsRoute, 200).items.map((i) => i.id)
    expect(await search('lighthouse')).toEqual([s.id])
    const edited = await callJson('PUT', `/api/messages/${message.id}`, { text: 'a windmill at noon' }, t)
    expect(edited.status).toBe(200)
    expect(await search('lighthouse')).toEqual([])
    expect(await search('windmill')).toEqual([s.id])
    expect((await callJson('DELETE', `/api/messages/${message.id}`, undefined, t)).status).toBe(200)
    expect(await search('windmill')).toEqual([])
    // Renaming is searchable too.
    await callJson('PUT', `/api/sessions/${s.id}`, { title: 'Orchard' }, t)
    expect(await search('orchard')).toEqual([s.id])
    expect(await search('plain')).toEqual([])
    // And the deleted session disappears from search.
    await callJson('DELETE', `/api/sessions/${s.id}`, undefined, t)
    expect(await search('orchard')).toEqual([])
  })
})
