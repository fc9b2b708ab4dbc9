import { env } from 'cloudflare:test'
import { createExecutionContext, waitOnExecutionContext } from 'cloudflare:test'
import { afterEach, describe, expect, it } from 'vitest'
import { createApp } from '../../../src/app'
import { listLivePhotosRoute, moderateLivePhotosRoute } from '../../../src/features/live/photos/routes'
import { deleteLiveSessionRoute, listLiveSessionsRoute, uploadLiveWatermarkRoute } from '../../../src/features/live/sessions/routes'
import { callJson, dataOf, dbFirst, dbRun, freshIp, newUser } from '../../helpers'
import { formWith, makePng } from '../../support/images'
import { closeAllSockets, connectLive, createSession, distinctPngs, eventually, finishCleanup, nth, uploadPhotos, viewerToken } from '../../support/live'

afterEach(closeAllSockets)

/** Writes `n` photos (with their image rows) straight into D1: big sessions without 100 uploads. */
async function seedPhotos(ownerId: string, sessionId: string, n: number, status: 'pending' | 'approved') {
  const now = Date.now()
  const stmts: D1PreparedStatement[] = []
  for (let i = 1; i <= n; i++) {
    const imageId = `img_seed_${sessionId}_${i}`
    stmts.push(
      env.DB.prepare(
        `INSERT INTO images (id, owner_id, type, visibility, live_session_id, mime, width, height, bytes, sha256, original_key, thumb_key, preview_key, ref_count, created_at, updated_at)
         VALUES (?1, ?2, 'live', 'private', ?3, 'image/png', 8, 8, 100, 'x', ?4, ?5, ?6, 1, ?7, ?7)`,
      ).bind(imageId, ownerId, sessionId, `images/${ownerId}/${imageId}/original.png`, `images/${ownerId}/${imageId}/thumb.webp`, `images/${ownerId}/${imageId}/preview.webp`, now),
      env.DB.prepare('INSERT INTO live_photos (id, session_id, image_id, seq, status, created_at, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6)').bind(`lph_seed_${sessionId}_${i}`, sessionId, imageId, i, status, now),
    )
  }
  await env.DB.batch(stmts)
  await dbRun('UPDATE live_sessions SET photo_seq = ? WHERE id = ?', n, sessionId)
  return Array.from({ length: n }, (_, i) => `lph_seed_${sessionId}_${i + 1}`)
}

describe("D1's 100-parameter limit", () => {
  it('batch-approves 99 photos (and 100) in one request; guests get them in one frame', async () => {
    const owner = await newUser('lvown')
    const s = await createSession(owner.accessToken, { moderation: 'manual' })
    const ids = await seedPhotos(owner.id, s.id, 100, 'pending')
    const guest = await connectLive(s.id, await viewerToken(s.id, s.accessCode))
    const res = await callJson('POST', '/api/live/photos/batch', { ids: ids.slice(0, 99), action: 'approve' }, { token: owner.accessToken })
    expect(dataOf(res, moderateLivePhotosRoute, 200).updated).toBe(99)
    await eventually(() => guest.events.filter((e) => e.type === 'photo.added').length === 99, '99 photo.added')
    expect(guest.frames.filter((f) => Array.isArray(f))).toHaveLength(1)
    const all = await callJson('POST', '/api/live/photos/batch', { ids, action: 'feature' }, { token: owner.accessToken })
    dataOf(all, moderateLivePhotosRoute, 200)
    expect(await dbFirst('SELECT COUNT(*) AS n FROM live_photos WHERE session_id = ? AND featured = 1', s.id)).toEqual({ n: 100 })
    const del = await callJson('POST', '/api/live/photos/batch', { ids, action: 'delete' }, { token: owner.accessToken })
    dataOf(del, moderateLivePhotosRoute, 200)
    expect(await dbFirst('SELECT COUNT(*) AS n FROM live_photos WHERE session_id = ?', s.id)).toEqual({ n: 0 })
  })

  it('deletes a session with 101 photos in pages: gone at once for everyone, rows and images after', async () => {
    const owner = await newUser('lvown')
    const s = await createSession(owner.accessToken)
    await seedPhotos(owner.id, s.id, 101, 'approved')
    const res = await callJson('DELETE', `/api/live/sessions/${s.id}`, undefined, { token: owner.accessToken })
    dataOf(res, deleteLiveSessionRoute, 200)
    expect((await callJson('GET', `/api/live/sessions/${s.id}`, undefined, { token: owner.accessToken })).status).toBe(404)
    expect(dataOf(await callJson('GET', '/api/live/sessions', undefined, { token: owner.accessToken }), listLiveSessionsRoute, 200).items).toEqual([])
    await finishCleanup(s.id)
    expect(await dbFirst('SELECT COUNT(*) AS n FROM live_photos WHERE session_id = ?', s.id)).toEqual({ n: 0 })
    expect(await dbFirst('SELECT COUNT(*) AS n FROM images WHERE live_session_id = ?', s.id)).toEqual({ n: 0 })
  })

  it('lists 100 photos per page with their images', async () => {
    const owner = await newUser('lvown')
    const s = await createSession(owner.accessToken)
    await seedPhotos(owner.id, s.id, 100, 'approved')
    const res = await callJson('GET', `/api/live/sessions/${s.id}/photos?limit=100`, undefined, { token: owner.accessToken })
    const { items } = dataOf(res, listLivePhotosRoute, 200)
    expect(items).toHaveLength(100)
    expect(items.every((p) => p.width === 8)).toBe(true)
  })
})

describe('watermarked guest derivatives', () => {
  it('are rendered once per photo, however many guests open it at once', async () => {
    const owner = await newUser('lvown')
    const s = await createSession(owner.accessToken, { moderation: 'manual' })
    const mark = await callJson('POST', `/api/live/sessions/${s.id}/watermark`, formWith('watermark', [{ bytes: await makePng(40, 20), name: 'logo.png' }]), { token: owner.accessToken })
    dataOf(mark, uploadLiveWatermarkRoute, 200)
    const photo = nth(await uploadPhotos(owner.accessToken, s.id, await distinctPngs(1)), 0)
    let inputs = 0
    const counting = {
      info: (stream: ReadableStream<Uint8Array>) => env.IMAGES.info(stream),
      input: (stream: ReadableStream<Uint8Array>) => {
        inputs++
        return env.IMAGES.input(stream)
      },
    } as unknown as ImagesBinding
    const app = createApp()
    const run = async (method: string, path: string, token: string, body?: unknown) => {
      const ctx = createExecutionContext()
      const headers = new Headers({ Authorization: `Bearer ${token}`, 'CF-Connecting-IP': freshIp() })
      if (body) headers.set('Content-Type', 'application/json')
      const res = await app.fetch(new Request(`http://localhost${path}`, { method, headers, body: body ? JSON.stringify(body) : undefined }), { ...env, IMAGES: counting }, ctx)
      await res.arrayBuffer()
      await waitOnExecutionContext(ctx)
      return res
    }
    // Approval renders the guest thumb and preview once, before any guest asks.
    expect((await run('PUT', `/api/live/photos/${photo.id}`, owner.accessToken, { status: 'approved' })).status).toBe(200)
    const afterApproval = inputs
    expect(afterApproval).toBeGreaterThan(0)
    expect(await dbFirst('SELECT guest_thumb_key IS NOT NULL AS t, guest_preview_key IS NOT NULL AS p FROM live_photos WHERE id = ?', photo.id)).toEqual({ t: 1, p: 1 })
    const guest = await viewerToken(s.id, s.accessCode)
    const first = await Promise.all(Array.from({ length: 10 }, () => run('GET', `/api/live/photos/${photo.id}/thumb`, guest)))
    expect(first.every((r) => r.status === 200)).toBe(true)
    expect(inputs).toBe(afterApproval)
    // Without the stored copy (a new watermark), ten guests at once still cost one render per variant.
    await dbRun('UPDATE live_photos SET guest_thumb_key = NULL WHERE id = ?', photo.id)
    const again = await Promise.all(Array.from({ length: 10 }, () => run('GET', `/api/live/photos/${photo.id}/thumb`, guest)))
    expect(again.every((r) => r.status === 200)).toBe(true)
    expect(inputs - afterApproval).toBe(afterApproval / 2)
  })
})
