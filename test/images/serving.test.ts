import { env } from 'cloudflare:test'
import { beforeAll, describe, expect, it } from 'vitest'
import { readExif } from '../../src/lib/exif'
import { signResource } from '../../src/lib/signed-urls'
import { uploadImagesRoute } from '../../src/features/images/routes'
import { call, callJson, dataOf, newUser, type TestUser, expectError } from '../helpers'
import { base64, bytesOf, fixturePhoto, infoOf, latin1, uploadImage } from '../support/images'

// GET /api/images/:id/:variant is what browsers and CDNs hit: its caching headers decide whether
// private photos end up in shared caches, and its access rules decide who sees what.

let owner: TestUser
let stranger: TestUser
// biome-ignore lint: tests read arbitrary JSON.
let photo: any // DSCN0010.jpg: GPS in its EXIF, orientation 1
const original = fixturePhoto('DSCN0010.jpg')
const asOwner = (path: string, headers?: Record<string, string>) => call('GET', path, undefined, { token: owner.accessToken, headers })

beforeAll(async () => {
  owner = await newUser('srv')
  stranger = await newUser('srv')
  photo = await uploadImage(owner.accessToken, original, 'DSCN0010.jpg')
})

describe('conditional and range requests', () => {
  it('answers 304 to If-None-Match with the current ETag, on originals and derivatives', async () => {
    for (const variant of ['original', 'thumb']) {
      const first = await asOwner(`/api/images/${photo.id}/${variant}`)
      const etag = first.headers.get('ETag')
      await first.arrayBuffer()
      expect(etag, variant).toMatch(/^"[^"]+"$/)
      const again = await asOwner(`/api/images/${photo.id}/${variant}`, { 'If-None-Match': etag! })
      expect(again.status, variant).toBe(304)
      expect((await bytesOf(again)).length).toBe(0)
      expect(again.headers.get('ETag')).toBe(etag)
      // A stale ETag gets the full body.
      const stale = await asOwner(`/api/images/${photo.id}/${variant}`, { 'If-None-Match': '"not-the-etag"' })
      expect(stale.status, variant).toBe(200)
      expect((await bytesOf(stale)).length, variant).toBeGreaterThan(0)
    }
  })

  it('serves byte ranges of originals with 206 and Content-Range', async () => {
    const head = await asOwner(`/api/images/${photo.id}/original`, { Range: 'bytes=0-99' })
    expect(head.status).toBe(206)
    expect(head.headers.get('Content-Range')).toBe(`bytes 0-99/${original.length}`)
    expect(head.headers.get('Content-Length')).toBe('100')
    expect(await bytesOf(head)).toEqual(original.subarray(0, 100))
    const tail = await asOwner(`/api/images/${photo.id}/original`, { Range: 'bytes=-50' })
    expect(tail.status).toBe(206)
    expect(tail.headers.get('Content-Range')).toBe(`bytes ${original.length - 50}-${original.length - 1}/${original.length}`)
    expect(await bytesOf(tail)).toEqual(original.subarray(original.length - 50))
    const full = await asOwner(`/api/images/${photo.id}/original`)
    expect(full.headers.get('Accept-Ranges')).toBe('bytes')
    expect(await bytesOf(full)).toEqual(original)
  })

  it('answers 416 to a range that starts past the end of the original', async () => {
    // RFC 9110 §15.5.17: no overlap with the representation → 416, not a 206 of the whole file.
    // (Deployed R2 throws on such a range and the route maps that to 416; the local R2 that
    // `npm run dev` and these tests use returns the whole object instead, so the route must not
    // rely on the storage backend to judge the range.)
    const res = await asOwner(`/api/images/${photo.id}/original`, { Range: `bytes=${original.length + 1000}-` })
    const body = await bytesOf(res)
    expect(res.status, `Content-Range: ${res.headers.get('Content-Range')}, ${body.length} bytes`).toBe(416)
    expect(res.headers.get('Content-Type')).toMatch(/application\/json/)
    expect(JSON.parse(new TextDecoder().decode(body))).toMatchObject({ success: false, code: 'RANGE_NOT_SATISFIABLE' })
  })

  it('ignores Range on derivatives (whole thumb, 200)', async () => {
    const res = await asOwner(`/api/images/${photo.id}/thumb`, { Range: 'bytes=0-9' })
    expect(res.status).toBe(200)
    expect(res.headers.get('Content-Range')).toBeNull()
    expect((await bytesOf(res)).length).toBeGreaterThan(10)
  })
})

describe('headers', () => {
  it('sets Content-Type from the stored format and keeps private images out of shared caches', async () => {
    const orig = await asOwner(`/api/images/${photo.id}/original`)
    expect(orig.headers.get('Content-Type')).toBe('image/jpeg')
    expect(orig.headers.get('Cache-Control')).toMatch(/^private\b/)
    // Owner and stranger get different bytes for the same URL: caches must key on the token.
    expect(orig.headers.get('Vary')).toMatch(/Authorization/)
    await orig.arrayBuffer()
    const thumb = await asOwner(`/api/images/${photo.id}/thumb`)
    expect(thumb.headers.get('Content-Type')).toBe('image/webp')
    expect(thumb.headers.get('Cache-Control')).toMatch(/^private\b/)
    expect(thumb.headers.get('X-Content-Type-Options')).toBe('nosniff')
    await thumb.arrayBuffer()
  })

  it('caches derivatives of public images for a year, immutably, and serves them to anyone', async () => {
    const pub = await uploadImage(owner.accessToken, fixturePhoto('Canon_40D.jpg'), 'pub.jpg')
    await env.DB.prepare("UPDATE images SET visibility = 'public' WHERE id = ?").bind(pub.id).run()
    for (const variant of ['thumb', 'preview']) {
      const res = await call('GET', `/api/images/${pub.id}/${variant}`) // no token, no signature
      expect(res.status, variant).toBe(200)
      expect(res.headers.get('Cache-Control'), variant).toBe('public, max-age=31536000, immutable')
      await res.arrayBuffer()
    }
    // The public original, to a stranger, is the metadata-free copy.
    const orig = await call('GET', `/api/images/${pub.id}/original`)
    expect(orig.status).toBe(200)
    expect(orig.headers.get('Cache-Control')).toMatch(/^public\b/)
    expect((await readExif(await bytesOf(orig))).gps).toBeNull()
  })

  it('Content-Disposition: inline by default, attachment with ?download=1, variant in the name', async () => {
    const inline = await asOwner(`/api/images/${photo.id}/original`)
    expect(inline.headers.get('Content-Disposition')).toBe(`inline; filename="DSCN0010.jpg"; filename*=UTF-8''DSCN0010.jpg`)
    await inline.arrayBuffer()
    const attachment = await asOwner(`/api/images/${photo.id}/thumb?download=1`)
    expect(attachment.headers.get('Content-Disposition')).toMatch(/^attachment; filename="DSCN0010-thumb\.webp"/)
    await attachment.arrayBuffer()
  })

  it('sanitises the client file name: no path, no quotes, no header injection, ASCII fallback', async () => {
    const uploaded = await callJson(
      'POST',
      '/api/images/upload',
      { data: base64(fixturePhoto('Canon_40D.jpg')), filename: '..\\..\\etc/ph"oto\r\nSet-Cookie: x=1 café.jpg' },
      { token: owner.accessToken },
    )
    const res = await asOwner(`/api/images/${dataOf(uploaded, uploadImagesRoute, 201).images[0]!.id}/original?download=1`)
    const header = res.headers.get('Content-Disposition')!
    await res.arrayBuffer()
    const quoted = header.match(/filename="([^"]*)"/)![1]!
    expect(quoted).toBe('photoSet-Cookie: x=1 caf_.jpg')
    expect(header).not.toMatch(/[\r\n]|\.\.|\//)
    expect(header).toContain(`filename*=UTF-8''${encodeURIComponent('photoSet-Cookie: x=1 café.jpg')}`)
    // One header, not two: the CR LF did not split it.
    expect(res.headers.get('Set-Cookie')).toBeNull()
  })
})

describe('signed URLs', () => {
  const signedPath = async (id: string, variant: string, exp: number) => `/api/images/${id}/${variant}?${await signResource(env, `image:${id}:${variant}`, exp)}`
  const now = () => Math.floor(Date.now() / 1000)

  it('the URLs in the metadata work without a token, for every variant', async () => {
    for (const variant of ['thumb', 'preview', 'original'] as const) {
      const res = await call('GET', photo.variants[variant])
      expect(res.status, variant).toBe(200)
      expect((await bytesOf(res)).length, variant).toBeGreaterThan(0)
    }
  })

  it('tampered, expired, too-far-future or cross-variant signatures are 404, never 401/403', async () => {
    const url = new URL(photo.variants.original, 'http://x')
    const sig = url.searchParams.get('sig')!
    url.searchParams.set('sig', (sig[0] === 'A' ? 'B' : 'A') + sig.slice(1))
    const cases = {
      tampered: url.pathname + url.search,
      expired: await signedPath(photo.id, 'original', now() - 10),
      tooFar: await signedPath(photo.id, 'original', now() + 365 * 86_400),
      otherVariant: photo.variants.thumb.replace('/thumb?', '/original?'),
      noSignature: `/api/images/${photo.id}/original`,
    }
    for (const [name, path] of Object.entries(cases)) {
      const res = await call('GET', path)
      expectError({ status: res.status, body: await res.json(), res }, 404, 'NOT_FOUND')
      expect(res.status, name).toBe(404)
    }
    // A freshly signed, valid URL still works: the 404s above are about the signature.
    const valid = await call('GET', await signedPath(photo.id, 'original', now() + 3600))
    expect(valid.status).toBe(200)
    await valid.arrayBuffer()
  })
})

describe('the original as anyone but the owner sees it', () => {
  it('owner gets the exact upload; others get no EXIF, GPS or camera data, same pixels', async () => {
    const own = await bytesOf(await asOwner(`/api/images/${photo.id}/original`))
    expect(own).toEqual(original)
    const res = await call('GET', photo.variants.original, undefined, { token: stranger.accessToken })
    expect(res.status).toBe(200)
    const clean = await bytesOf(res)
    const text = latin1(clean)
    expect(text).not.toContain('Exif')
    expect(text).not.toMatch(/NIKON|COOLPIX|GPS/)
    expect((await readExif(clean)).gps).toBeNull()
    expect(res.headers.get('Content-Length')).toBe(String(clean.length))
    expect(await infoOf(clean)).toMatchObject({ format: 'image/jpeg', width: 640, height: 480 })
  })

  it('keeps the orientation, so a rotated camera photo still displays upright', async () => {
    const six = await uploadImage(owner.accessToken, fixturePhoto('landscape_6.jpg'), 'six.jpg')
    const clean = await bytesOf(await call('GET', six.variants.original))
    const exif = await readExif(clean)
    expect(exif.orientation).toBe(6)
    expect(exif.gps).toBeNull()
    // Stored pixels unchanged (450x600); the orientation tag turns them upright to 600x450.
    expect(await infoOf(clean)).toMatchObject({ width: 450, height: 600 })
  })
})
