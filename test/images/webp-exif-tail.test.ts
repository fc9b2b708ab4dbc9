import { describe, expect, it } from 'vitest'
import { newUser } from '../helpers'
import { encodeAs, makePng, uploadImage } from '../support/images'

/** Appends a RIFF EXIF chunk (with a GPS-looking payload) to a WebP and fixes the RIFF size. */
function withExifChunk(webp: Uint8Array, payloadBytes: number): Uint8Array {
  const payload = new Uint8Array(payloadBytes).map((_, i) => (i * 7) & 0xff)
  const chunk = new Uint8Array(8 + payload.length + (payload.length % 2))
  chunk.set([0x45, 0x58, 0x49, 0x46]) // "EXIF"
  new DataView(chunk.buffer).setUint32(4, payload.length, true)
  chunk.set(payload, 8)
  const out = new Uint8Array(webp.length + chunk.length)
  out.set(webp)
  out.set(chunk, webp.length)
  new DataView(out.buffer).setUint32(4, out.length - 8, true)
  return out
}

describe('a WebP with a big chunk after the image data', () => {
  it('is answered (stored or refused), never left hanging', async () => {
    const user = await newUser('webp')
    const webp = await encodeAs(await makePng(300, 200), 'image/webp')
    const big = withExifChunk(webp, 1_200_000)
    const started = Date.now()
    const res = await Promise.race([
      uploadImage(user.accessToken, big, 'tail.webp').then(() => 'answered', (e: unknown) => `error ${String(e)}`),
      new Promise((resolve) => setTimeout(() => resolve('hung'), 15_000)),
    ])
    expect(res).toBe('answered')
    expect(Date.now() - started).toBeLessThan(15_000)
  })
})
