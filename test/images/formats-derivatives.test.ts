import { env } from 'cloudflare:test'
import { thumbHashToApproximateAspectRatio } from 'thumbhash'
import { z } from '@hono/zod-openapi'
import { beforeAll, describe, expect, it } from 'vitest'
import { getImageRoute, listImagesRoute } from '../../src/features/images/routes'
import { readExif } from '../../src/lib/exif'
import { fromBase64 } from '../../src/lib/ids'
import { call, callJson, dataOf, newUser, type TestUser } from '../helpers'
import { bytesOf, encodeAs, fixturePhoto, infoOf, latin1, makePng, TINY_GIF, uploadImage, waitForPreview } from '../support/images'

// What an accepted upload turns into: the right format and real decoded size for every input
// format, the camera metadata clients show, and derivatives that are small, upright and clean.

let user: TestUser
const get = (path: string) => call('GET', path, undefined, { token: user.accessToken })

beforeAll(async () => {
  user = await newUser('fmt')
})

describe('formats', () => {
  it('accepts WebP, AVIF and GIF, typing them by their bytes and sizing them by decoding', async () => {
    const source = await makePng(90, 60)
    const cases = [
      { bytes: await encodeAs(source, 'image/webp'), mime: 'image/webp', size: [90, 60], ext: 'webp' },
      { bytes: await encodeAs(source, 'image/avif'), mime: 'image/avif', size: [90, 60], ext: 'avif' },
      { bytes: TINY_GIF, mime: 'image/gif', size: [1, 1], ext: 'gif' },
    ]
    for (const c of cases) {
      // Deliberately misnamed: neither the name nor a declared type may decide the format.
      const img = await uploadImage(user.accessToken, c.bytes, 'upload.bin')
      expect(img.mime, c.mime).toBe(c.mime)
      expect([img.width, img.height], c.mime).toEqual(c.size)
      expect(img.size).toBe(c.bytes.length)
      // The original is stored as sent, under the extension of its real format.
      const stored = await env.MEDIA.get(`images/${user.id}/${img.id}/original.${c.ext}`)
      expect(stored, c.mime).not.toBeNull()
      expect(await bytesOf(new Response(stored!.body))).toEqual(c.bytes)
      expect(stored!.httpMetadata?.contentType).toBe(c.mime)
    }
  })

  it('no_exif.jpg: dimensions come from the pixels (322x466), not its EXIF claim of 4134x5906', async () => {
    const img = await uploadImage(user.accessToken, fixturePhoto('no_exif.jpg'), 'no_exif.jpg')
    expect([img.width, img.height]).toEqual([322, 466])
    const row = await env.DB.prepare('SELECT width, height FROM images WHERE id = ?').bind(img.id).first()
    expect(row).toEqual({ width: 322, height: 466 })
  })

  it('stores the SHA-256 of exactly the bytes received', async () => {
    const bytes = fixturePhoto('Canon_40D.jpg')
    const img = await uploadImage(user.accessToken, bytes, 'c.jpg')
    const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', bytes))
    expect(img.sha256).toBe(Array.from(digest, (b) => b.toString(16).padStart(2, '0')).join(''))
  })
})

describe('EXIF', () => {
  it('Canon_40D.jpg: make, model, capture time and exposure settings', async () => {
    const img = await uploadImage(user.accessToken, fixturePhoto('Canon_40D.jpg'), 'Canon_40D.jpg')
    expect(img.exif?.make).toBe('Canon')
    expect(img.exif?.model).toBe('Canon EOS 40D')
    expect(img.exif?.takenAt).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/)
    // The top-level takenAt (used for sorting and filtering) is the same instant.
    expect(img.takenAt).toBe(img.exif?.takenAt)
    for (const field of ['exposureTime', 'fNumber', 'iso', 'focalLength'] as const) {
      expect(img.exif?.[field], field).toBeTypeOf('number')
      expect(img.exif?.[field], field).toBeGreaterThan(0)
    }
    // Real dimensions, even though the EXIF block is a full-size camera one.
    expect([img.width, img.height]).toEqual([100, 68])
  })

  it('DSCN0010.jpg: the owner sees GPS in the detail and in the list', async () => {
    const img = await uploadImage(user.accessToken, fixturePhoto('DSCN0010.jpg'), 'DSCN0010.jpg', { sessionId: 'gps-check' })
    const detail = await callJson('GET', `/api/images/${img.id}`, undefined, { token: user.accessToken })
    const exif = dataOf(detail, getImageRoute, 200).image.exif
    const gps = z.object({ latitude: z.number(), longitude: z.number() }).parse(exif?.gps)
    // The fixture was taken in northern Italy: a plausible coordinate, not just "a number".
    expect(gps.latitude).toBeGreaterThan(43)
    expect(gps.latitude).toBeLessThan(44)
    expect(gps.longitude).toBeGreaterThan(11)
    expect(gps.longitude).toBeLessThan(12)
    const list = await callJson('GET', '/api/images?sessionId=gps-check', undefined, { token: user.accessToken })
    expect(dataOf(list, listImagesRoute, 200).items[0]?.exif?.gps).toEqual(exif?.gps)
    // GPS is kept apart from the EXIF summary column, so no code path can show it by accident.
    const row = await env.DB.prepare('SELECT exif FROM images WHERE id = ?').bind(img.id).first<{ exif: string }>()
    expect(row!.exif).not.toMatch(/latitude|gps/i)
  })

  it('an image without EXIF answers exif: null and takenAt: null', async () => {
    const img = await uploadImage(user.accessToken, await makePng(10, 10), 'plain.png')
    expect(img.exif).toBeNull()
    expect(img.takenAt).toBeNull()
  })
})

describe('derivatives', () => {
  it('thumb is WebP, longest side 256, ready when the upload answers; preview ≤ 1600 follows', async () => {
    const img = await uploadImage(user.accessToken, await makePng(2000, 1000), 'wide.png')
    expect(img.variantsReady.thumb).toBe(true)
    const thumb = await get(`/api/images/${img.id}/thumb`)
    expect(thumb.status).toBe(200)
    expect(thumb.headers.get('Content-Type')).toBe('image/webp')
    const thumbBytes = await bytesOf(thumb)
    expect(latin1(thumbBytes.subarray(0, 4)) + latin1(thumbBytes.subarray(8, 12))).toBe('RIFFWEBP')
    expect(await infoOf(thumbBytes)).toMatchObject({ format: 'image/webp', width: 256, height: 128 })

    // The preview is made in the background; once done, the metadata says so.
    await waitForPreview(img.id)
    const detail = await callJson('GET', `/api/images/${img.id}`, undefined, { token: user.accessToken })
    expect(dataOf(detail, getImageRoute, 200).image.variantsReady.preview).toBe(true)
    const preview = await get(`/api/images/${img.id}/preview`)
    expect(preview.headers.get('Content-Type')).toBe('image/webp')
    expect(await infoOf(await bytesOf(preview))).toMatchObject({ format: 'image/webp', width: 1600, height: 800 })
  })

  it('never upscales: a small image keeps its size in thumb and preview', async () => {
    const img = await uploadImage(user.accessToken, await makePng(120, 80), 'small.png')
    await waitForPreview(img.id)
    for (const variant of ['thumb', 'preview']) {
      expect(await infoOf(await bytesOf(await get(`/api/images/${img.id}/${variant}`))), variant).toMatchObject({ width: 120, height: 80 })
    }
  })

  it('makes the preview on first request when the background work did not', async () => {
    const img = await uploadImage(user.accessToken, await makePng(300, 200), 'lazy.png')
    await waitForPreview(img.id)
    // Simulate a background job that never ran (evicted isolate, failed write).
    await env.MEDIA.delete(`images/${user.id}/${img.id}/preview.webp`)
    await env.DB.prepare('UPDATE images SET preview_ready = 0 WHERE id = ?').bind(img.id).run()
    const res = await get(`/api/images/${img.id}/preview`)
    expect(res.status).toBe(200)
    expect(await infoOf(await bytesOf(res))).toMatchObject({ format: 'image/webp', width: 300, height: 200 })
    expect(await env.MEDIA.head(`images/${user.id}/${img.id}/preview.webp`)).not.toBeNull()
    const row = await env.DB.prepare('SELECT preview_ready FROM images WHERE id = ?').bind(img.id).first()
    expect(row).toEqual({ preview_ready: 1 })
  })

  it('derivatives apply EXIF orientation and carry no metadata', async () => {
    // landscape_6.jpg is stored 450x600 with orientation 6: upright it is 600x450.
    const six = await uploadImage(user.accessToken, fixturePhoto('landscape_6.jpg'), 'six.jpg')
    const gps = await uploadImage(user.accessToken, fixturePhoto('DSCN0010.jpg'), 'gps.jpg')
    await Promise.all([waitForPreview(six.id), waitForPreview(gps.id)])
    const sixThumb = await bytesOf(await get(`/api/images/${six.id}/thumb`))
    expect(await infoOf(sixThumb)).toMatchObject({ width: 256, height: 192 })
    const sixPreview = await bytesOf(await get(`/api/images/${six.id}/preview`))
    expect(await infoOf(sixPreview)).toMatchObject({ width: 600, height: 450 })
    for (const variant of ['thumb', 'preview']) {
      const bytes = await bytesOf(await get(`/api/images/${gps.id}/${variant}`))
      const exif = await readExif(bytes)
      expect(exif.gps, variant).toBeNull()
      expect(exif.exif, variant).toBeNull()
      expect(latin1(bytes), variant).not.toMatch(/NIKON|GPS/)
    }
  })

  it('the ThumbHash placeholder describes the picture (its aspect ratio), not a constant', async () => {
    const wide = await uploadImage(user.accessToken, await makePng(400, 100), 'wide.png')
    const tall = await uploadImage(user.accessToken, await makePng(100, 400), 'tall.png')
    const ratio = (hash: string) => thumbHashToApproximateAspectRatio(fromBase64(hash))
    expect(ratio(wide.thumbhash!)).toBeGreaterThan(2.5)
    expect(ratio(tall.thumbhash!)).toBeLessThan(0.4)
    expect(wide.thumbhash).not.toBe(tall.thumbhash)
    // Stored, not only answered.
    const row = await env.DB.prepare('SELECT thumbhash FROM images WHERE id = ?').bind(wide.id).first()
    expect(row).toEqual({ thumbhash: wide.thumbhash })
  })
})
