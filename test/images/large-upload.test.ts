import { env } from 'cloudflare:test'
import { describe, expect, it } from 'vitest'
import { sha256Hex } from '../../src/lib/ids'
import { newUser } from '../helpers'
import { fixturePhoto, uploadImage } from '../support/images'

// Uploads are held as one Blob and streamed to the binding, the digest and R2; only the head
// of the file is read into memory (whole-file EXIF only where the format needs it). These
// files are larger than that head, so the streamed paths and the EXIF placement both matter.

const cat = (...parts: Uint8Array[]) => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0))
  parts.reduce((o, p) => (out.set(p, o), o + p.length), 0)
  return out
}

/** APP15 padding segments (valid JPEG, ignored by decoders) adding about `bytes`. */
function jpegPadding(bytes: number): Uint8Array {
  const segments: Uint8Array[] = []
  for (let left = bytes; left > 0; left -= 65_537) {
    const segment = new Uint8Array(65_537)
    segment.set([0xff, 0xef, 0xff, 0xff])
    for (let i = 4; i < segment.length; i++) segment[i] = (i * 7) & 0xff
    segments.push(segment)
  }
  return cat(...segments)
}

/** The length of the APP segments at the start of a JPEG that precede `marker`'s first segment, inclusive. */
function endOfFirstSegment(jpeg: Uint8Array, marker: number): number {
  let pos = 2
  for (;;) {
    const length = (jpeg[pos + 2]! << 8) | jpeg[pos + 3]!
    if (jpeg[pos + 1] === marker) return pos + 2 + length
    pos += 2 + length
  }
}

describe('large uploads', () => {
  it('a 3 MB JPEG keeps its GPS for the owner, its exact bytes in R2 and the right sha256', { timeout: 60_000 }, async () => {
    const owner = await newUser('large')
    const photo = fixturePhoto('DSCN0010.jpg')
    const exifEnd = endOfFirstSegment(photo, 0xe1)
    const big = cat(photo.subarray(0, exifEnd), jpegPadding(3 * 1024 * 1024), photo.subarray(exifEnd))
    const image = await uploadImage(owner.accessToken, big, 'big.jpg')
    expect(image.exif?.gps).toEqual(expect.objectContaining({ latitude: expect.any(Number) }))
    expect(image.size).toBe(big.length)
    expect(image.sha256).toBe(await sha256Hex(big))
    const stored = await env.MEDIA.get(`images/${owner.id}/${image.id}/original.jpg`)
    expect(new Uint8Array(await stored!.arrayBuffer())).toEqual(big)
    expect([image.width, image.height]).toEqual([640, 480])
  })
})
