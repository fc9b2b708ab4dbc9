import { describe, expect, it } from 'vitest'
import { createMessageRoute, listMessagesRoute } from '../../src/features/editor/messages/routes'
import { getSessionRoute } from '../../src/features/editor/sessions/routes'
import { callJson, dataOf, newUser } from '../helpers'
import { awayFromWindowEdge, expectMinuteLimited } from '../support/works'
import { countedFromRows, newSession, postMessage, sessionRow } from './support'

describe('messageCount and lastMessageAt stay exact', () => {
  it('20 parallel posts: seq 1..20 without gaps or repeats, counters equal the rows', async () => {
    // The posts must all fall in one rate-limit minute (30 a minute), so none is refused by chance.
    await awayFromWindowEdge(60_000)
    const user = await newUser('cnt')
    const s = await newSession(user.accessToken)
    const answers = await Promise.all(
      Array.from({ length: 20 }, (_, i) => callJson('POST', `/api/sessions/${s.id}/messages`, { text: `parallel ${i}` }, { token: user.accessToken })),
    )
    const posted = answers.map((a) => dataOf(a, createMessageRoute, 201).message)
    expect(posted.map((m) => m.seq).sort((a, b) => a - b)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1))
    const session = dataOf(await callJson('GET', `/api/sessions/${s.id}`, undefined, { token: user.accessToken }), getSessionRoute, 200).session
    const expected = await countedFromRows(s.id)
    expect(session.messageCount).toBe(20)
    expect(expected!.messageCount).toBe(20)
    expect(session.lastMessageAt).toBe(new Date(expected!.lastMessageAt!).toISOString())
  })

  it('parallel edits and deletes mixed with posts: the counters still equal the rows', async () => {
    await awayFromWindowEdge(60_000)
    const user = await newUser('cnt')
    const t = { token: user.accessToken }
    const s = await newSession(user.accessToken)
    const base = []
    for (let i = 0; i < 8; i++) base.push((await postMessage(user.accessToken, s.id, { text: `base ${i}` })).message)
    await Promise.all([
      ...base.slice(0, 4).map((m) => callJson('DELETE', `/api/messages/${m.id}`, undefined, t)),
      ...base.slice(4).map((m) => callJson('PUT', `/api/messages/${m.id}`, { text: `${m.text} edited` }, t)),
      ...[0, 1, 2].map((i) => callJson('POST', `/api/sessions/${s.id}/messages`, { text: `late ${i}` }, t)),
    ])
    const row = await sessionRow(s.id)
    const expected = await countedFromRows(s.id)
    expect(row!.messageCount).toBe(7)
    expect(row).toMatchObject(expected!)
    expect(row!.activityAt).toBe(expected!.lastMessageAt)
    // Deleting everything: no messages, no lastMessageAt, activity falls back to the creation.
    const list = dataOf(await callJson('GET', `/api/sessions/${s.id}/messages?limit=100`, undefined, t), listMessagesRoute, 200).items
    await Promise.all(list.map((m) => callJson('DELETE', `/api/messages/${m.id}`, undefined, t)))
    const empty = dataOf(await callJson('GET', `/api/sessions/${s.id}`, undefined, t), getSessionRoute, 200).session
    expect(empty).toMatchObject({ messageCount: 0, lastMessageAt: null })
    expect((await sessionRow(s.id))!.activityAt).toBe(Date.parse(empty.createdAt))
  })
})

describe('rate limits', () => {
  it('30 messages a minute per user: the 31st is 429 with Retry-After; edits count too', async () => {
    await awayFromWindowEdge(60_000)
    const user = await newUser('lim')
    const s = await newSession(user.accessToken)
    const first = await postMessage(user.accessToken, s.id, { text: 'one' })
    const answers = await Promise.all(
      Array.from({ length: 29 }, (_, i) => callJson('POST', `/api/sessions/${s.id}/messages`, { text: `m${i}` }, { token: user.accessToken })),
    )
    expectMinuteLimited(answers, 0)
    const edit = await callJson('PUT', `/api/messages/${first.message.id}`, { text: 'over' }, { token: user.accessToken })
    const post = await callJson('POST', `/api/sessions/${s.id}/messages`, { text: 'over' }, { token: user.accessToken })
    expectMinuteLimited([edit, post], 2)
    // Another user is not affected.
    const other = await newUser('lim')
    const theirs = await newSession(other.accessToken)
    await postMessage(other.accessToken, theirs.id, { text: 'fine' })
  })

  it('10 new sessions a minute per user', async () => {
    await awayFromWindowEdge(60_000)
    const user = await newUser('lim')
    const answers = await Promise.all(Array.from({ length: 12 }, () => callJson('POST', '/api/sessions', {}, { token: user.accessToken })))
    expect(answers.filter((a) => a.status === 201)).toHaveLength(10)
    expectMinuteLimited(answers, 2)
  })

  it('60 searches a minute per user; listing without search is not limited', async () => {
    await awayFromWindowEdge(60_000)
    const user = await newUser('lim')
    const answers = await Promise.all(
      Array.from({ length: 62 }, () => callJson('GET', '/api/sessions?search=portrait', undefined, { token: user.accessToken })),
    )
    expect(answers.filter((a) => a.status === 200)).toHaveLength(60)
    expectMinuteLimited(answers, 2)
    expect((await callJson('GET', '/api/sessions', undefined, { token: user.accessToken })).status).toBe(200)
  })
})
