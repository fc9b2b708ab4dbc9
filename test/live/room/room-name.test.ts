import { env, runInDurableObject } from 'cloudflare:test'
import { afterEach, describe, expect, it } from 'vitest'
import type { LiveRoom } from '../../../src/features/live/room/live-room'
import { call, newUser } from '../../helpers'
import { acceptLive, closeAllSockets, connectLive, createSession, distinctPngs, finishCleanup, upgradeLive, uploadPhotos, viewerToken } from '../../support/live'

afterEach(closeAllSockets)

const roomOf = (sessionId: string) => env.LIVE_ROOM.get(env.LIVE_ROOM.idFromName(sessionId))

describe('a LiveRoom knows its session from its name', () => {
  it('ctx.id.name is the session id, and nothing in its storage names the session', async () => {
    const owner = await newUser('lvown')
    const s = await createSession(owner.accessToken)
    await uploadPhotos(owner.accessToken, s.id, await distinctPngs(1))
    const room = roomOf(s.id)
    const { name, context, deleting } = await runInDurableObject(room, async (_instance: LiveRoom, state) => ({
      name: state.id.name,
      context: await state.storage.get<Record<string, unknown>>('context'),
      deleting: await state.storage.get('deleting'),
    }))
    expect(name).toBe(s.id)
    // What the Worker tells the room is the session's state (for the one hasEnded rule), not its id.
    expect(context).toMatchObject({ codeVersion: 1, downloadPolicy: 'preview', status: 'live', endsAt: null })
    expect(context).not.toHaveProperty('sessionId')
    expect(deleting).toBeUndefined()
  })

  it('a first-frame token is checked against the session the room is named after', async () => {
    const owner = await newUser('lvown')
    const s = await createSession(owner.accessToken)
    const other = await createSession(owner.accessToken)
    const guest = await connectLive(s.id, await viewerToken(s.id, s.accessCode))
    expect(guest.events[0]?.type).toBe('connected')
    // A viewer token of another session, sent as the first frame, is refused by this room.
    const stranger = await viewerToken(other.id, other.accessCode)
    const socket = acceptLive(await upgradeLive(s.id))
    socket.ws.send(JSON.stringify({ type: 'auth', token: stranger }))
    expect((await socket.closed).code).toBe(4401)
  })

  it('a deleted session is cleaned up by its room alarm from the name alone', async () => {
    const owner = await newUser('lvown')
    const s = await createSession(owner.accessToken)
    await uploadPhotos(owner.accessToken, s.id, await distinctPngs(2))
    expect((await call('DELETE', `/api/live/sessions/${s.id}`, undefined, { token: owner.accessToken })).status).toBe(200)
    // destroy() takes no session id: the alarm deletes the photos and the row of the session it is named after.
    await finishCleanup(s.id)
    expect(await env.DB.prepare('SELECT count(*) AS n FROM live_photos WHERE session_id = ?1').bind(s.id).first<{ n: number }>()).toEqual({ n: 0 })
  })
})
