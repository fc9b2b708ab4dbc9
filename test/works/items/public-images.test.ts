import { env } from 'cloudflare:test'
import { describe, expect, it } from 'vitest'
import { call, callJson, newUser } from '../../helpers'
import { insertWork } from '../../support/works'
import { bytesOf } from '../../support/images'
import { createdWork, review, workRow } from './support'

const image = (workId: string, variant: string, v: number | null = 1, headers: Record<string, string> = {}) =>
  call('GET', `/api/works/${workId}/images/${variant}${v === null ? '' : `?v=${v}`}`, undefined, { headers })

describe('GET /api/works/:id/images/:variant', () => {
  it('serves a published work without a token: derivatives immutable, the original for a day', async () => {
    const owner = await newUser('wimg')
    const { workId } = await insertWork(owner.id, { published: true })
    for (const variant of ['thumb', 'preview']) {
      const res = await image(workId, variant)
      expect(res.status, variant).toBe(200)
      expect(res.headers.get('Cache-Control')).toBe('public, max-age=31536000, immutable')
      expect(res.headers.get('Content-Type')).toMatch(/^image\//)
      expect((await bytesOf(res)).length).toBeGreaterThan(0)
    }
    const original = await image(workId, 'original')
    expect(original.status).toBe(200)
    expect(original.headers.get('Cache-Control')).toBe('public, max-age=86400')
    await original.arrayBuffer()
  })

  it('a second request for a thumb is answered from the edge cache, without D1 or R2', async () => {
    const owner = await newUser('wimg')
    const { workId, imageId } = await insertWork(owner.id, { published: true })
    const first = await image(workId, 'thumb')
    expect(first.status).toBe(200)
    const bytes = await bytesOf(first)
    // Remove the R2 object and unpublish the row: only the cache can still answer.
    const row = await env.DB.prepare('SELECT thumb_key FROM images WHERE id = ?1').bind(imageId).first<{ thumb_key: string }>()
    await env.MEDIA.delete(row!.thumb_key)
    await env.DB.prepare('UPDATE works SET published_at = NULL WHERE id = ?1').bind(workId).run()
    const second = await image(workId, 'thumb')
    expect(second.status).toBe(200)
    expect(await bytesOf(second)).toEqual(bytes)
    // The cache answers conditional requests too.
    const etag = first.headers.get('ETag')!
    const conditional = await image(workId, 'thumb', 1, { 'If-None-Match': etag })
    expect(conditional.status).toBe(304)
    // The original is not put in the Workers cache: it reads D1 every time, so now it is 404.
    expect((await image(workId, 'original')).status).toBe(404)
  })

  it('the edge keeps a copy for 5 minutes only, so a work taken down elsewhere stops being served everywhere', async () => {
    const owner = await newUser('wimg')
    const { workId } = await insertWork(owner.id, { published: true })
    const res = await image(workId, 'thumb')
    expect(res.headers.get('Cache-Control')).toBe('public, max-age=31536000, immutable')
    await res.arrayBuffer()
    const stored = await caches.default.match(`http://localhost/api/works/${workId}/images/thumb?v=1`)
    expect(stored?.headers.get('Cache-Control')).toBe('public, max-age=300')
    await stored?.arrayBuffer()
    // A hit still tells clients the URL is immutable.
    const hit = await image(workId, 'thumb')
    expect(hit.headers.get('Cache-Control')).toBe('public, max-age=31536000, immutable')
    await hit.arrayBuffer()
  })

  it("a private work's picture answers only the owner's signed work URLs, also after the image left the library", async () => {
    const owner = await newUser('wimg')
    const { work, image: img } = await createdWork(owner.accessToken)
    expect(work.image.variants.thumb).toMatch(new RegExp(`^/api/works/${work.id}/images/thumb\\?exp=\\d+&sig=`))
    const signed = await call('GET', work.image.variants.thumb)
    expect(signed.status).toBe(200)
    expect(signed.headers.get('Cache-Control')).toBe('private, max-age=3600')
    await signed.arrayBuffer()
    // A signature for one work or variant opens nothing else.
    const other = await createdWork(owner.accessToken)
    const forged = work.image.variants.thumb.replace(work.id, other.work.id)
    expect((await call('GET', forged)).status).toBe(404)
    expect((await call('GET', work.image.variants.thumb.replace('/thumb?', '/preview?'))).status).toBe(404)
    expect((await call('GET', `/api/works/${work.id}/images/thumb?exp=9999999999&sig=AAAA`)).status).toBe(404)
    // Removing the image from the library does not break the work; the image's own URLs end.
    expect((await callJson('DELETE', `/api/images/${img.id}`, undefined, { token: owner.accessToken })).status).toBe(200)
    const after = await call('GET', work.image.variants.original)
    expect(after.status).toBe(200)
    await after.arrayBuffer()
    expect((await call('GET', img.variants.thumb)).status).toBe(404)
  })

  it('an unpublished work, a missing or stale version and an unknown work are 404', async () => {
    const owner = await newUser('wimg')
    const { work } = await createdWork(owner.accessToken, { isPublic: true })
    // Pending review: not public yet.
    for (const variant of ['thumb', 'preview', 'original']) expect((await image(work.id, variant)).status).toBe(404)
    await review(work.id, 'approved')
    expect((await workRow(work.id))?.publish_version).toBe(1)
    expect((await image(work.id, 'thumb', null)).status).toBe(404)
    expect((await image(work.id, 'thumb', 2)).status).toBe(404)
    expect((await image('wrk_nope', 'thumb')).status).toBe(404)
    expect((await image(work.id, 'huge')).status).toBe(400)
    expect((await image(work.id, 'preview', 1)).status).toBe(200)
  })

  it('made private: its URLs stop answering (this data centre\'s cached copies are dropped too); published again: new URLs', async () => {
    const owner = await newUser('wimg')
    const { work } = await createdWork(owner.accessToken, { isPublic: true })
    await review(work.id, 'approved')
    const cached = await image(work.id, 'thumb')
    expect(cached.status).toBe(200)
    await cached.arrayBuffer()
    expect((await callJson('PUT', `/api/works/${work.id}`, { isPublic: false }, { token: owner.accessToken })).status).toBe(200)
    expect((await image(work.id, 'thumb')).status).toBe(404)

    expect((await callJson('PUT', `/api/works/${work.id}`, { isPublic: true }, { token: owner.accessToken })).status).toBe(200)
    await review(work.id, 'approved')
    expect((await image(work.id, 'thumb', 1)).status).toBe(404)
    const fresh = await image(work.id, 'thumb', 2)
    expect(fresh.status).toBe(200)
    await fresh.arrayBuffer()
  })

  it("deleted: its cached thumb stops answering in this data centre", async () => {
    const owner = await newUser('wimg')
    const { work } = await createdWork(owner.accessToken, { isPublic: true })
    await review(work.id, 'approved')
    const cached = await image(work.id, 'thumb')
    expect(cached.status).toBe(200)
    await cached.arrayBuffer()
    expect((await callJson('POST', '/api/works/batch/delete', { ids: [work.id] }, { token: owner.accessToken })).status).toBe(200)
    expect((await image(work.id, 'thumb')).status).toBe(404)
  })

  it('the public original is served from the metadata-free copy, made on first need', async () => {
    const owner = await newUser('wimg')
    const { work } = await createdWork(owner.accessToken, { isPublic: true })
    await review(work.id, 'approved')
    const res = await image(work.id, 'original')
    expect(res.status).toBe(200)
    const key = (await env.DB.prepare('SELECT clean_original_key AS k FROM images WHERE id = ?1').bind(work.image.id).first<{ k: string | null }>())?.k
    // Served from the cleaned copy, stored on first need.
    expect(key).toMatch(/clean/)
    await res.arrayBuffer()
  })
})
