import { env } from 'cloudflare:test'
import { describe, expect, it } from 'vitest'
import { deleteMessageRoute, editMessageRoute } from '../../src/features/editor/messages/routes'
import { purgeDeletedSessions } from '../../src/features/editor/sessions/purge'
import { handleScheduled } from '../../src/jobs/scheduled'
import { call, callJson, dataOf, expectError, newUser } from '../helpers'
import { imageKeys } from '../support/images'
import { imageRefs, insertImage, newSession, postMessage } from './support'

const DAY_MS = 86_400_000

describe('messages hold their images', () => {
  it('each message version holds each image once; deleting the message releases every version\'s hold', async () => {
    const user = await newUser('ref')
    const t = { token: user.accessToken }
    const img = await insertImage(user.id)
    const s = await newSession(user.accessToken)
    // The library record holds it (1); the message takes one more, even when the id is repeated.
    const m = (await postMessage(user.accessToken, s.id, { text: 'a', imageIds: [img, img] })).message
    expect(await imageRefs(img)).toEqual({ refs: 2, hidden: 0 })
    // The edited version keeps its reference (readable with includeEdits); the new one takes its own.
    dataOf(await callJson('PUT', `/api/messages/${m.id}`, { text: 'b' }, t), editMessageRoute, 200)
    expect(await imageRefs(img)).toEqual({ refs: 3, hidden: 0 })
    dataOf(await callJson('DELETE', `/api/messages/${m.id}`, undefined, t), deleteMessageRoute, 200)
    expect(await imageRefs(img)).toEqual({ refs: 1, hidden: 0 })
    expect(await imageKeys(user.id, img)).not.toEqual([])
  })

  it('an image deleted from the library stays while a message holds it, and is freed with its files when the message goes', async () => {
    const user = await newUser('ref')
    const t = { token: user.accessToken }
    const img = await insertImage(user.id)
    const s = await newSession(user.accessToken)
    const m = (await postMessage(user.accessToken, s.id, { imageIds: [img] })).message
    expect((await callJson('DELETE', `/api/images/${img}`, undefined, t)).status).toBe(200)
    expect(await imageRefs(img)).toEqual({ refs: 1, hidden: 1 })
    expect(await imageKeys(user.id, img)).not.toEqual([])
    dataOf(await callJson('DELETE', `/api/messages/${m.id}`, undefined, t), deleteMessageRoute, 200)
    expect(await imageRefs(img)).toBeNull()
    expect(await imageKeys(user.id, img)).toEqual([])
  })

  it("the message's own image URLs keep serving after a library delete, and end with the message", async () => {
    const user = await newUser('ref')
    const t = { token: user.accessToken }
    const img = await insertImage(user.id)
    const s = await newSession(user.accessToken)
    const m = (await postMessage(user.accessToken, s.id, { text: 'look', imageIds: [img] })).message
    const other = (await postMessage(user.accessToken, s.id, { text: 'no image' })).message
    const { thumb, original } = m.images[0]!.variants
    expect((await callJson('DELETE', `/api/images/${img}`, undefined, t)).status).toBe(200)
    // The library URL is gone, the message's are not (no token needed: the URL is signed).
    expect((await call('GET', `/api/images/${img}/thumb`, undefined, t)).status).toBe(404)
    expect((await call('GET', thumb)).status).toBe(200)
    const full = await call('GET', original)
    expect(full.status).toBe(200)
    expect(full.headers.get('Cache-Control')).toMatch(/^private/)
    // The signature binds message, image and variant: moved to another message or variant, or unsigned, it is 404.
    expect((await call('GET', thumb.replace(m.id, other.id))).status).toBe(404)
    expect((await call('GET', thumb.replace('/thumb?', '/preview?'))).status).toBe(404)
    expect((await call('GET', thumb.split('?')[0]!, undefined, t)).status).toBe(404)
    dataOf(await callJson('DELETE', `/api/messages/${m.id}`, undefined, t), deleteMessageRoute, 200)
    expect((await call('GET', thumb)).status).toBe(404)
  })

  it('parallel deletes of one message release once', async () => {
    const user = await newUser('ref')
    const t = { token: user.accessToken }
    const img = await insertImage(user.id)
    const s = await newSession(user.accessToken)
    const m = (await postMessage(user.accessToken, s.id, { imageIds: [img] })).message
    const answers = await Promise.all(Array.from({ length: 5 }, () => callJson('DELETE', `/api/messages/${m.id}`, undefined, t)))
    expect(answers.filter((a) => a.status === 200)).toHaveLength(1)
    for (const a of answers.filter((x) => x.status !== 200)) expectError(a, 404, 'NOT_FOUND')
    expect(await imageRefs(img)).toEqual({ refs: 1, hidden: 0 })
  })

  it('a refused post takes no reference', async () => {
    const user = await newUser('ref')
    const other = await newUser('ref')
    const mine = await insertImage(user.id)
    const theirs = await insertImage(other.id)
    const s = await newSession(user.accessToken)
    expectError(await callJson('POST', `/api/sessions/${s.id}/messages`, { imageIds: [mine, theirs] }, { token: user.accessToken }), 404, 'NOT_FOUND')
    expect(await imageRefs(mine)).toEqual({ refs: 1, hidden: 0 })
    expect(await imageRefs(theirs)).toEqual({ refs: 1, hidden: 0 })
  })
})

describe('deleted sessions: kept 30 days, then purged by the cron', () => {
  it('soft delete keeps the references; the purge after 30 days releases them and frees what nothing else holds', async () => {
    const user = await newUser('prg')
    const t = { token: user.accessToken }
    const kept = await insertImage(user.id)
    const orphan = await insertImage(user.id)
    const s = await newSession(user.accessToken, { title: 'Purge me' })
    const m = (await postMessage(user.accessToken, s.id, { text: 'two images', imageIds: [kept, orphan] })).message
    await callJson('PUT', `/api/messages/${m.id}`, { text: 'edited' }, t)
    await postMessage(user.accessToken, s.id, { text: 'one image', imageIds: [orphan] })
    // orphan: library + 2 versions + second message; then removed from the library.
    expect((await callJson('DELETE', `/api/images/${orphan}`, undefined, t)).status).toBe(200)
    expect(await imageRefs(orphan)).toEqual({ refs: 3, hidden: 1 })
    expect((await callJson('DELETE', `/api/sessions/${s.id}`, undefined, t)).status).toBe(200)
    expect(await imageRefs(kept)).toEqual({ refs: 3, hidden: 0 })
    expect(await imageRefs(orphan)).toEqual({ refs: 3, hidden: 1 })

    // Not yet: 29 days later nothing is purged.
    expect(await purgeDeletedSessions(env, Date.now() + 29 * DAY_MS)).toBe(0)
    expect(await env.DB.prepare('SELECT id FROM chat_sessions WHERE id = ?1').bind(s.id).first()).not.toBeNull()

    const later = Date.now() + 31 * DAY_MS
    expect(await purgeDeletedSessions(env, later)).toBeGreaterThanOrEqual(1)
    expect(await env.DB.prepare('SELECT id FROM chat_sessions WHERE id = ?1').bind(s.id).first()).toBeNull()
    const left = await env.DB.prepare('SELECT COUNT(*) AS n FROM chat_messages WHERE session_id = ?1').bind(s.id).first<{ n: number }>()
    expect(left!.n).toBe(0)
    // The library still holds `kept`; nothing holds `orphan`: its row and files are gone.
    expect(await imageRefs(kept)).toEqual({ refs: 1, hidden: 0 })
    expect(await imageKeys(user.id, kept)).not.toEqual([])
    expect(await imageRefs(orphan)).toBeNull()
    expect(await imageKeys(user.id, orphan)).toEqual([])
    // A second (or overlapping) run releases nothing more.
    await purgeDeletedSessions(env, later)
    expect(await imageRefs(kept)).toEqual({ refs: 1, hidden: 0 })
    // Its search rows went with it.
    const fts = await env.DB.prepare("SELECT COUNT(*) AS n FROM chat_sessions_fts WHERE chat_sessions_fts MATCH '\"Purge me\"'").first<{ n: number }>()
    expect(fts!.n).toBe(0)
  })

  it('the cron sweep runs the purge: a session deleted 31 days ago is gone after one sweep', async () => {
    const user = await newUser('prg')
    const img = await insertImage(user.id)
    const s = await newSession(user.accessToken)
    await postMessage(user.accessToken, s.id, { imageIds: [img] })
    await callJson('DELETE', `/api/sessions/${s.id}`, undefined, { token: user.accessToken })
    // Back-date the deletion rather than the clock: the sweep purges with the real now.
    await env.DB.prepare('UPDATE chat_sessions SET deleted_at = ?2 WHERE id = ?1').bind(s.id, Date.now() - 31 * DAY_MS).run()
    await handleScheduled({} as ScheduledController, env)
    expect(await env.DB.prepare('SELECT id FROM chat_sessions WHERE id = ?1').bind(s.id).first()).toBeNull()
    expect(await imageRefs(img)).toEqual({ refs: 1, hidden: 0 })
  })

  it('overlapping purges of the same sessions release each reference once', async () => {
    const user = await newUser('prg')
    const img = await insertImage(user.id)
    const sessions = await Promise.all([0, 1, 2].map(() => newSession(user.accessToken)))
    for (const s of sessions) await postMessage(user.accessToken, s.id, { imageIds: [img] })
    for (const s of sessions) await callJson('DELETE', `/api/sessions/${s.id}`, undefined, { token: user.accessToken })
    expect(await imageRefs(img)).toEqual({ refs: 4, hidden: 0 })
    const later = Date.now() + 31 * DAY_MS
    await Promise.all([purgeDeletedSessions(env, later), purgeDeletedSessions(env, later), purgeDeletedSessions(env, later)])
    expect(await imageRefs(img)).toEqual({ refs: 1, hidden: 0 })
  })
})
