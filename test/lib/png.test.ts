import { env } from 'cloudflare:test'
import { describe, expect, it } from 'vitest'
import { encode } from 'fast-png'
import { decodePng, encodePng as encodeRgbaPng } from '../../src/lib/png'
import { encodePng, makePng } from '../support/images'

// decodePng (fast-png underneath) feeds ThumbHash: if it mis-decodes (wrong filter, wrong channel
// order, a layout not expanded to RGBA), every placeholder is silently wrong, so compare real
// pixel values, not just sizes.

/** The pixel makePng paints at (x, y): a red/green gradient over blue 128. */
const expected = (x: number, y: number, w: number, h: number) => [
  Math.round((x / Math.max(1, w - 1)) * 255),
  Math.round((y / Math.max(1, h - 1)) * 255),
  128,
  255,
]

const pixel = (rgba: Uint8Array, width: number, x: number, y: number) => Array.from(rgba.subarray((y * width + x) * 4, (y * width + x) * 4 + 4))

describe('decodePng', () => {
  it('round-trips makePng pixel for pixel', async () => {
    const [w, h] = [17, 9]
    const { width, height, rgba } = await decodePng(await makePng(w, h))
    expect([width, height]).toEqual([w, h])
    expect(rgba.length).toBe(w * h * 4)
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) expect(pixel(rgba, w, x, y), `${x},${y}`).toEqual(expected(x, y, w, h))
    }
  })

  it('ignores ancillary chunks (text, EXIF) between IHDR and IDAT', async () => {
    const png = await makePng(3, 2, { extraChunks: [['tEXt', new TextEncoder().encode('Comment\0hello')]] })
    const { rgba } = await decodePng(png)
    expect(pixel(rgba, 3, 2, 1)).toEqual(expected(2, 1, 3, 2))
  })

  it('decodes what the Images binding encodes (the production input of decodePng)', async () => {
    const source = await makePng(64, 48)
    const out = await env.IMAGES.input(new Blob([source]).stream()).output({ format: 'image/png' })
    const reencoded = new Uint8Array(await new Response(out.image()).arrayBuffer())
    const { width, height, rgba } = await decodePng(reencoded)
    expect([width, height]).toEqual([64, 48])
    for (const [x, y] of [[0, 0], [63, 0], [0, 47], [63, 47], [31, 20], [10, 40]] as const) {
      const got = pixel(rgba, width, x, y)
      const want = expected(x, y, 64, 48)
      for (let c = 0; c < 3; c++) expect(Math.abs(got[c]! - want[c]!), `${x},${y} channel ${c}`).toBeLessThanOrEqual(2)
      expect(got[3]).toBe(255)
    }
  })

  it('undoes all five row filters (None, Sub, Up, Average, Paeth) on RGBA exactly', async () => {
    // Encoders (Cloudflare's included) pick a filter per row; makePng only writes None, so
    // build rows with every filter over noisy pixels, where a wrong predictor cannot hide.
    const [w, h, bpp] = [13, 10, 4]
    let seed = 12345
    const source = Uint8Array.from({ length: w * h * bpp }, () => ((seed = (seed * 1103515245 + 12345) >>> 0) >>> 16) & 0xff)
    const scanlines = new Uint8Array((w * bpp + 1) * h)
    for (let y = 0; y < h; y++) {
      const filter = y % 5
      scanlines[y * (w * bpp + 1)] = filter
      for (let i = 0; i < w * bpp; i++) {
        const x = source[y * w * bpp + i]!
        const a = i >= bpp ? source[y * w * bpp + i - bpp]! : 0
        const b = y > 0 ? source[(y - 1) * w * bpp + i]! : 0
        const c = y > 0 && i >= bpp ? source[(y - 1) * w * bpp + i - bpp]! : 0
        const p = a + b - c
        const paeth = Math.abs(p - a) <= Math.abs(p - b) && Math.abs(p - a) <= Math.abs(p - c) ? a : Math.abs(p - b) <= Math.abs(p - c) ? b : c
        const predicted = [0, a, b, (a + b) >> 1, paeth][filter]!
        scanlines[y * (w * bpp + 1) + 1 + i] = (x - predicted) & 0xff
      }
    }
    const { rgba } = await decodePng(await encodePng({ width: w, height: h, colorType: 6, depth: 8 }, scanlines))
    expect(Array.from(rgba)).toEqual(Array.from(source))
  })

  it('expands gray, gray+alpha, 16-bit and packed palettes with transparency to RGBA', async () => {
    // 16-bit gray: the high byte of each sample is kept.
    const gray16 = await decodePng(await encodePng({ width: 2, height: 1, colorType: 0, depth: 16 }, new Uint8Array([0, 0x12, 0x34, 0xab, 0xcd])))
    expect(Array.from(gray16.rgba)).toEqual([0x12, 0x12, 0x12, 255, 0xab, 0xab, 0xab, 255])
    const grayAlpha = await decodePng(await encodePng({ width: 1, height: 1, colorType: 4, depth: 8 }, new Uint8Array([0, 200, 50])))
    expect(Array.from(grayAlpha.rgba)).toEqual([200, 200, 200, 50])
    // 2-bit palette, indices 0..3 packed four to a byte (0b00_01_10_11), then index 2 again.
    const palette = new Uint8Array([255, 0, 0, 0, 255, 0, 0, 0, 255, 9, 9, 9])
    const trns = new Uint8Array([0, 128]) // entries 2 and 3 have no alpha entry: opaque
    const indexed = await decodePng(
      await encodePng({ width: 5, height: 1, colorType: 3, depth: 2 }, new Uint8Array([0, 0b00011011, 0b10000000]), [['PLTE', palette], ['tRNS', trns]]),
    )
    expect(Array.from(indexed.rgba)).toEqual([255, 0, 0, 0, 0, 255, 0, 128, 0, 0, 255, 255, 9, 9, 9, 255, 0, 0, 255, 255])
  })

  it('decodes Adam7-interlaced PNGs to the same pixels', async () => {
    const [w, h] = [11, 7]
    const source = Uint8Array.from({ length: w * h * 4 }, (_, i) => (i * 37) & 0xff)
    const interlaced = encode({ width: w, height: h, data: source, depth: 8, channels: 4 }, { interlace: 'Adam7' })
    expect(interlaced[8 + 8 + 12]).toBe(1) // the IHDR interlace byte: really interlaced
    expect(Array.from((await decodePng(interlaced)).rgba)).toEqual(Array.from(source))
  })

  it('refuses non-PNG bytes, corrupted chunks and oversized headers with an error (never garbage)', async () => {
    await expect(decodePng(new TextEncoder().encode('definitely not a png file'))).rejects.toThrow(/not a PNG/)
    // A flipped IHDR byte no longer matches the chunk's CRC.
    const corrupted = await makePng(4, 4)
    corrupted[8 + 8 + 12] = 1
    await expect(decodePng(corrupted)).rejects.toThrow(/crc/i)
    // A header claiming a huge image: refused before inflating anything.
    await expect(decodePng(await makePng(2, 2, { claimWidth: 5000, claimHeight: 5000 }))).rejects.toThrow(/unsupported/)
  })
})

describe('encodePng', () => {
  it('round-trips RGBA pixels through a PNG the Images binding also reads', async () => {
    const [w, h] = [9, 5]
    const source = Uint8Array.from({ length: w * h * 4 }, (_, i) => (i % 4 === 3 ? 255 : (i * 53) & 0xff))
    const png = await encodeRgbaPng(w, h, source)
    expect(Array.from((await decodePng(png)).rgba)).toEqual(Array.from(source))
    const info = await env.IMAGES.info(new Blob([png]).stream())
    expect(info).toMatchObject({ format: 'image/png', width: w, height: h })
  })
})
