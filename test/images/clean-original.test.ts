import { createExecutionContext, env, waitOnExecutionContext } from 'cloudflare:test'
import { beforeAll, describe, expect, it } from 'vitest'
import { createApp } from '../../src/app'
import { readExif } from '../../src/lib/exif'
import { call, newUser, type TestUser } from '../helpers'
import { bytesOf, encodeAs, fixturePhoto, infoOf, latin1, uploadImage } from '../support/images'

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

describe('many strangers at once', () => {
  it('make one clean copy: ten concurrent downloads read and write the original once', async () => {
    const image = await uploadImage(owner.accessToken, fixturePhoto('DSCN0010.jpg'), 'crowd.jpg')
    await env.DB.prepare("UPDATE images SET visibility = 'public' WHERE id = ?").bind(image.id).run()
    let cleanPuts = 0
    const media = new Proxy(env.MEDIA, {
      get(target, prop) {
        if (prop === 'put') {
          return (key: string, ...rest: unknown[]) => {
            if (key.includes('/clean.')) cleanPuts++
            return (target.put as (...a: unknown[]) => unknown).call(target, key, ...rest)
          }
        }
        const value = Reflect.get(target, prop, target)
        return typeof value === 'function' ? value.bind(target) : value
      },
    })
    const app = createApp()
    const results = await Promise.all(
      Array.from({ length: 10 }, async () => {
        const ctx = createExecutionContext()
        const res = await app.fetch(new Request(`http://localhost/api/images/${image.id}/original`), { ...env, MEDIA: media }, ctx)
        const bytes = await bytesOf(res)
        await waitOnExecutionContext(ctx)
        return { status: res.status, gps: (await readExif(bytes)).gps }
      }),
    )
    expect(results.every((r) => r.status === 200 && r.gps === null)).toBe(true)
    expect(cleanPuts).toBe(1)
  })
})
