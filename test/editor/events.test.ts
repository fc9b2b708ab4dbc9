import { afterEach, describe, expect, it } from 'vitest'
import { callJson, newUser } from '../helpers'
import { closeAll, connect, type Client } from '../support/ws-client'
import { newSession, postMessage } from './support'

afterEach(closeAll)

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))
const editorFrames = (c: Client) => c.frames.filter((f) => f.type.startsWith('session.') || f.type.startsWith('message.'))

describe('session.* and message.* on /api/ws', () => {
  it('every device of the owner hears each change, parsed by the declared UserEvent schema; others hear nothing', async () => {
    const user = await newUser('evt')
    const stranger = await newUser('evt')
    const t = { token: user.accessToken }
    const [phone, laptop, theirs] = await Promise.all([connect(user.accessToken), connect(user.accessToken), connect(stranger.accessToken)])

    const s = await newSession(user.accessToken)
    const created = await laptop.waitForType('session.created', (f) => f.data.session.id === s.id)
    expect(created.data.session).toEqual(s)

    const { message } = await postMessage(user.accessToken, s.id, { text: 'Hello editor' })
    const posted = await phone.waitForType('message.created', (f) => f.data.message.id === message.id)
    expect(posted.data.message).toEqual(message)
    expect(posted.data.session).toMatchObject({ id: s.id, messageCount: 1, title: 'Hello editor' })
    // The first message titled the session: devices hear the new title.
    await phone.waitForType('session.updated', (f) => f.data.session.title === 'Hello editor')

    const edited = await callJson('PUT', `/api/messages/${message.id}`, { text: 'Hello again' }, t)
    expect(edited.status).toBe(200)
    const update = await laptop.waitForType('message.updated', (f) => f.data.message.editedOf === message.id)
    expect(update.data.message.text).toBe('Hello again')

    expect((await callJson('DELETE', `/api/messages/${update.data.message.id}`, undefined, t)).status).toBe(200)
    const removed = await phone.waitForType('message.deleted')
    expect(removed.data.message).toMatchObject({ id: update.data.message.id, text: '', deletedAt: expect.any(String) })
    expect(removed.data.session.messageCount).toBe(0)

    expect((await callJson('PUT', `/api/sessions/${s.id}`, { title: 'Renamed' }, t)).status).toBe(200)
    await laptop.waitForType('session.updated', (f) => f.data.session.title === 'Renamed' && f.data.session.titleSetByUser)
    expect((await callJson('DELETE', `/api/sessions/${s.id}`, undefined, t)).status).toBe(200)
    const gone = await phone.waitForType('session.deleted')
    expect(gone.data.session.deletedAt).not.toBeNull()

    // Both devices saw the same ordered editor history; nothing undeclared, nothing for the stranger.
    await sleep(300)
    const kinds = (c: Client) => editorFrames(c).map((f) => f.type)
    expect(kinds(phone)).toEqual(['session.created', 'message.created', 'session.updated', 'message.updated', 'message.deleted', 'session.updated', 'session.deleted'])
    expect(kinds(laptop)).toEqual(kinds(phone))
    expect(phone.frames.filter((f) => f.type === 'undeclared-frame')).toEqual([])
    expect(editorFrames(theirs)).toEqual([])
  })
})
