import { env } from 'cloudflare:test'
import { z } from '@hono/zod-openapi'
import { beforeAll, describe, expect, it } from 'vitest'
import { uploadImagesRoute } from '../../src/features/images/routes'
import { callJson, dataOf, newUser, type TestUser, expectError } from '../helpers'
import { base64, encodeAs, fixturePhoto, formWith, makePng, waitForPreview } from '../support/images'

// A batch is all or nothing: a client retrying a half-stored batch would duplicate photos, and a
// half-stored batch it gives up on leaves orphans nobody can see or delete.

let user: TestUser
const upload = (body: unknown) => callJson('POST', '/api/images/upload', body, { token: user.accessToken })

async function stored() {
  const rows = await env.DB.prepare('SELECT count(*) AS n FROM images WHERE owner_id = ?').bind(user.id).first<{ n: number }>()
  const objects = (await env.MEDIA.list({ prefix: `images/${user.id}/` })).objects
  return { rows: rows?.n ?? 0, objects: objects.length }
}

/** The per-file failures a refused batch lists in `details.files` (raw entries, nothing stripped). */
const failedFiles = (details: unknown) => z.object({ files: z.array(z.record(z.string(), z.unknown())) }).parse(details).files

beforeAll(async () => {
  user = await newUser('bat')
})

describe('successful batches', () => {
  it('multipart `images` of mixed formats: one record per file, in order, each with its own files', async () => {
    const before = await stored()
    const png = await makePng(30, 20)
    const files = [
      { bytes: fixturePhoto('Canon_40D.jpg'), name: 'one.jpg' },
      { bytes: png, name: 'two.png' },
      { bytes: await encodeAs(png, 'image/webp'), name: 'three.webp' },
    ]
    const { images } = dataOf(await upload(formWith('images', files, { sessionId: 'batch-1' })), uploadImagesRoute, 201)
    expect(images.map((i) => i.filename)).toEqual(['one.jpg', 'two.png', 'three.webp'])
    expect(images.map((i) => i.mime)).toEqual(['image/jpeg', 'image/png', 'image/webp'])
    expect(images.every((i) => i.sessionId === 'batch-1')).toBe(true)
    expect(new Set(images.map((i) => i.id)).size).toBe(3)
    for (const img of images) {
      expect(await env.MEDIA.head(`images/${user.id}/${img.id}/thumb.webp`), img.filename ?? img.id).not.toBeNull()
    }
    // Let the background previews land, so later tests compare a settled bucket.
    await Promise.all(images.map((i) => waitForPreview(i.id)))
    const after = await stored()
    expect(after.rows - before.rows).toBe(3)
    expect(after.objects - before.objects).toBe(9) // original, thumb, preview each
  })

  it('accepts exactly 20 files (the documented maximum)', async () => {
    const png = await makePng(8, 8)
    const files = Array.from({ length: 20 }, (_, i) => ({ bytes: png, name: `p${i}.png` }))
    const { images } = dataOf(await upload(formWith('images', files)), uploadImagesRoute, 201)
    expect(images).toHaveLength(20)
    await Promise.all(images.map((i) => waitForPreview(i.id)))
  })
})

describe('a batch with bad files stores nothing', () => {
  it('JSON batch with a corrupted photo in the middle → 422, the bad one named, no rows, no objects', async () => {
    const before = await stored()
    const good = base64(await makePng(16, 16))
    const { status, body } = await upload({
      images: [good, { data: base64(fixturePhoto('corrupted.jpg')), filename: 'corrupted.jpg' }, { data: good, filename: 'ok.png' }],
    })
    const error = expectError({ status, body }, 422, 'INVALID_IMAGE')
    expect(failedFiles(error.details)).toEqual([{ index: 1, filename: 'corrupted.jpg', code: 'INVALID_IMAGE', error: expect.any(String) }])
    expect(error.error).toMatch(/corrupted\.jpg/)
    expect(error.error).toMatch(/nothing was stored/i)
    expect(await stored()).toEqual(before)
  })

  it('every bad file is listed; the answer takes the first failure’s status', async () => {
    const before = await stored()
    const text = new TextEncoder().encode('just some text, certainly not pixels')
    const flood = await makePng(4, 4, { claimWidth: 50_000, claimHeight: 50_000 })
    const form = formWith('images', [
      { bytes: await makePng(10, 10), name: 'fine.png' },
      { bytes: flood, name: 'flood.png' },
      { bytes: text, name: 'notes.png' },
    ])
    const { status, body } = await upload(form)
    const error = expectError({ status, body }, 422, 'INVALID_IMAGE')
    expect(failedFiles(error.details)).toEqual([
      expect.objectContaining({ index: 1, filename: 'flood.png', code: 'INVALID_IMAGE' }),
      expect.objectContaining({ index: 2, filename: 'notes.png', code: 'UNSUPPORTED_MEDIA_TYPE' }),
    ])
    expect(await stored()).toEqual(before)
  })

  it('an oversized pixel count in a batch (100 MP) is refused even when each side is allowed', async () => {
    const before = await stored()
    // 11,000 x 10,000 = 110 MP: both sides under 12,000 px, the area over 100 MP.
    const wide = await makePng(4, 4, { claimWidth: 11_000, claimHeight: 10_000 })
    const { status, body } = await upload(formWith('images', [{ bytes: await makePng(5, 5), name: 'ok.png' }, { bytes: wide, name: 'big.png' }]))
    const error = expectError({ status, body }, 422, 'INVALID_IMAGE')
    expect(error.error).toMatch(/megapixel/)
    expect(failedFiles(error.details)).toEqual([expect.objectContaining({ index: 1, filename: 'big.png' })])
    expect(await stored()).toEqual(before)
  })
})

describe('storage failures roll back', () => {
  it('if the D1 insert fails after the R2 writes, the R2 objects are deleted again', async () => {
    const before = await stored()
    // Make D1 refuse the rows, as a full database or a constraint failure would, after the
    // originals and thumbs have already been written to R2.
    await env.DB.exec("CREATE TRIGGER test_refuse_images BEFORE INSERT ON images BEGIN SELECT RAISE(ABORT, 'refused by test'); END")
    try {
      const files = [
        { bytes: await makePng(20, 20), name: 'a.png' },
        { bytes: fixturePhoto('no_exif.jpg'), name: 'b.jpg' },
      ]
      const { status, body } = await upload(formWith('images', files))
      // Not the client's fault: a server error, still in the JSON envelope, without internals.
      expect(status).toBe(500)
      expect(z.object({ success: z.boolean() }).parse(body).success).toBe(false)
      expect(JSON.stringify(body)).not.toMatch(/refused by test|trigger|stack/i)
    } finally {
      await env.DB.exec('DROP TRIGGER test_refuse_images')
    }
    expect(await stored()).toEqual(before)
    // And the next upload works normally.
    expect((await upload(formWith('image', [{ bytes: await makePng(6, 6), name: 'c.png' }]))).status).toBe(201)
  })
})
