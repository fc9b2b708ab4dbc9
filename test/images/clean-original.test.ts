import { env } from 'cloudflare:test'
import { beforeAll, describe, expect, it } from 'vitest'
import { readExif } from '../../src/lib/exif'
import { call, newUser, type TestUser } from '../helpers'
import { bytesOf, encodeAs, fixturePhoto, infoOf, latin1, uploadImage } from '../images-helpers'

// What a stranger downloads as a public (or signed) original: the owner's file minus every
// metadata carrier, including ones a blacklist misses (an appended second JPEG, APP11 C2PA).

let owner: TestUser
beforeAll(async () => {
  owner = await newUser('clean')
})

const cat = (...parts: Uint8Array[]) => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0))
  parts.reduce((o, p) => (out.set(p, o), o + p.length), 0)
  return out
}

async function publicOriginal(bytes: Uint8Array, name: string) {
  const image = await uploadImage(owner.accessToken, bytes, name)
  await env.DB.prepare("UPDATE images SET visibility = 'public' WHERE id = ?").bind(image.id).run()
  const res = await call('GET', `/api/images/${image.id}/original`) // anonymous
  expect(res.status).toBe(200)
  return { res, bytes: await bytesOf(res) }
}

describe('clean originals for strangers', () => {
  it('a JPEG with a GPS-tagged JPEG appended after EOI loses the appended image', async () => {
    const crafted = cat(fixturePhoto('Canon_40D.jpg'), fixturePhoto('DSCN0010.jpg'))
    const { res, bytes } = await publicOriginal(crafted, 'motion.jpg')
    expect(res.headers.get('Content-Type')).toBe('image/jpeg')
    expect((await readExif(bytes)).gps).toBeNull()
    expect(latin1(bytes)).not.toMatch(/NIKON|GPS|Exif/)
    expect(bytes.length).toBeLessThan(fixturePhoto('Canon_40D.jpg').length)
    expect(await infoOf(bytes)).toMatchObject({ format: 'image/jpeg', width: 100, height: 68 })
  })

  it('an AVIF (no lossless cleaner) is re-encoded and the copy is whitelisted too', async () => {
    const avif = await encodeAs(fixturePhoto('Canon_40D.jpg'), 'image/avif')
    const { res, bytes } = await publicOriginal(avif, 'photo.avif')
    expect(res.headers.get('Content-Type')).toBe('image/png')
    expect(latin1(bytes)).not.toMatch(/eXIf|tEXt|iTXt|Exif/)
    expect(await infoOf(bytes)).toMatchObject({ format: 'image/png', width: 100, height: 68 })
  })
})
