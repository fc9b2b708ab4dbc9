import { env } from 'cloudflare:test'
import exifr from 'exifr'
import { describe, expect, it } from 'vitest'
import { readExif } from '../../src/lib/exif'
import { stripGifMetadata, stripWebpMetadata } from '../../src/lib/strip-metadata-riff-gif'
import { stripJpegMetadata, stripMetadata, stripPngMetadata } from '../../src/lib/strip-metadata'
import { encodeAs, fixturePhoto, latin1, makePng, pngChunk, TINY_GIF } from '../support/images'

// Clean originals are cleaned by whitelist: a metadata carrier nobody thought of (an appended
// MPF/motion-photo JPEG, a C2PA APP11 box, an unknown PNG chunk) must not survive either.

const enc = (text: string) => new TextEncoder().encode(text)
const cat = (...parts: Uint8Array[]) => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0))
  parts.reduce((o, p) => (out.set(p, o), o + p.length), 0)
  return out
}
const segment = (marker: number, payload: Uint8Array) =>
  cat(new Uint8Array([0xff, marker, ((payload.length + 2) >> 8) & 0xff, (payload.length + 2) & 0xff]), payload)
const infoOf = (bytes: Uint8Array) => env.IMAGES.info(new Blob([bytes]).stream())

/** Asserts that nothing GPS-, EXIF- or XMP-like is left, by parser and by byte search. */
async function expectNoMetadata(bytes: Uint8Array) {
  expect((await readExif(bytes)).gps).toBeNull()
  expect(await exifr.gps(bytes).catch(() => undefined)).toBeFalsy()
  const text = latin1(bytes)
  for (const needle of ['GPS', 'NIKON', 'xmpmeta', 'ns.adobe.com/xap', 'jumb', 'c2pa', 'Secret']) expect(text, needle).not.toContain(needle)
}

/** The payload of the first APP1 "Exif" segment of a JPEG (the TIFF block, after "Exif\0\0"). */
function exifPayloadOf(jpeg: Uint8Array): Uint8Array {
  let pos = 2
  while (pos + 4 <= jpeg.length) {
    const length = (jpeg[pos + 2]! << 8) | jpeg[pos + 3]!
    if (jpeg[pos + 1] === 0xe1 && latin1(jpeg.subarray(pos + 4, pos + 8)) === 'Exif') return jpeg.slice(pos + 10, pos + 2 + length)
    pos += 2 + length
  }
  throw new Error('no EXIF')
}

describe('JPEG whitelist', () => {
  it('drops a second JPEG appended after EOI (MPF, motion photos) with its GPS', async () => {
    const gpsPhoto = fixturePhoto('DSCN0010.jpg')
    const base = stripJpegMetadata(fixturePhoto('Canon_40D.jpg'), 1)!
    const combined = cat(base, gpsPhoto)
    // Precondition: a reader that scans the whole file does find the appended GPS.
    expect(latin1(combined)).toContain('NIKON')
    const clean = stripJpegMetadata(combined, 1)!
    expect(clean).toEqual(base)
    await expectNoMetadata(clean)
    expect(await infoOf(clean)).toMatchObject({ format: 'image/jpeg', width: 100, height: 68 })
  })

  it('drops APP11 (JUMBF/C2PA), XMP APP1, MPF APP2, APP3–APP13, APP15 and COM; keeps ICC, JFIF and Adobe', async () => {
    const original = fixturePhoto('Canon_40D.jpg')
    const extras = [
      segment(0xeb, enc('JP\0\0\0\0\0\x01jumb c2pa.assertions GPS 52.1 Secret')),
      segment(0xe1, enc('http://ns.adobe.com/xap/1.0/\0<x:xmpmeta>exif:GPSLatitude="52,1N"</x:xmpmeta>')),
      segment(0xe2, enc('MPF\0MM\0*Secret')),
      segment(0xe2, enc('ICC_PROFILE\0\x01\x02chunk-one')),
      segment(0xe2, enc('ICC_PROFILE\0\x02\x02chunk-two')),
      segment(0xe5, enc('maker Secret')),
      segment(0xef, enc('Secret')),
      segment(0xee, enc('Adobe\0d\0\0\0\0\x01')),
      segment(0xe0, enc('JFXX\0\x10Secret thumbnail')),
    ]
    const crafted = cat(original.subarray(0, 2), ...extras, original.subarray(2))
    const clean = stripJpegMetadata(crafted, 6)!
    await expectNoMetadata(clean)
    const text = latin1(clean)
    expect(text).toContain('chunk-one')
    expect(text).toContain('chunk-two')
    expect(text).toContain('Adobe\0d')
    expect((await readExif(clean)).orientation).toBe(6)
    expect(await infoOf(clean)).toMatchObject({ format: 'image/jpeg' })
  })

  it('keeps every scan of a progressive JPEG and drops segments between scans', () => {
    const frame = segment(0xc2, new Uint8Array([8, 0, 1, 0, 1, 1, 1, 0x11, 0]))
    const dht = segment(0xc4, new Uint8Array([0, ...new Array(16).fill(0)]))
    const sos = segment(0xda, new Uint8Array([1, 1, 0, 0, 63, 0]))
    const scan1 = new Uint8Array([0x12, 0xff, 0x00, 0x34, 0xff, 0xd0, 0x56]) // stuffed byte and RST0 stay inside
    const scan2 = new Uint8Array([0x78, 0x9a])
    const jpeg = cat(new Uint8Array([0xff, 0xd8]), segment(0xdb, new Uint8Array(65)), frame, dht, sos, scan1,
      segment(0xe1, enc('Exif\0\0Secret')), segment(0xfe, enc('Secret')), dht, sos, scan2, new Uint8Array([0xff, 0xd9]), enc('Secret trailer'))
    const clean = stripJpegMetadata(jpeg, 1)!
    expect(clean).toEqual(cat(new Uint8Array([0xff, 0xd8]), segment(0xdb, new Uint8Array(65)), frame, dht, sos, scan1, dht, sos, scan2, new Uint8Array([0xff, 0xd9])))
  })

  it('puts the orientation EXIF after JFIF APP0 and fails closed on files without a frame, scan or EOI', () => {
    const original = fixturePhoto('no_exif.jpg')
    const clean = stripJpegMetadata(original, 8)!
    expect(clean[3]).toBe(0xe0)
    expect(latin1(clean.subarray(2 + 2 + ((clean[4]! << 8) | clean[5]!)))).toMatch(/^\xff\xe1..Exif/)
    expect(stripJpegMetadata(original.subarray(0, original.length - 2), 1)).toBeNull() // no EOI: truncated
    expect(stripJpegMetadata(cat(new Uint8Array([0xff, 0xd8]), segment(0xda, new Uint8Array(6)), new Uint8Array([0xff, 0xd9])), 1)).toBeNull()
  })
})

describe('PNG whitelist', () => {
  it('keeps only rendering chunks: unknown, private, sPLT and text chunks go, nothing after IEND', async () => {
    const png = await makePng(4, 3, {
      extraChunks: [
        ['gAMA', new Uint8Array([0, 0, 0xb1, 0x8f])],
        ['prVt', enc('Secret private chunk')],
        ['sPLT', enc('Secret palette name\0\x08')],
        ['eXIf', exifPayloadOf(fixturePhoto('DSCN0010.jpg'))],
        ['iTXt', enc('XML:com.adobe.xmp\0\0\0\0\0<x:xmpmeta/>')],
        ['caBX', enc('jumb c2pa')],
      ],
    })
    expect((await readExif(png)).gps).not.toBeNull() // precondition: the eXIf chunk carries GPS
    const clean = stripPngMetadata(cat(png, pngChunk('tEXt', enc('Secret\0after IEND'))))!
    await expectNoMetadata(clean)
    expect(latin1(clean)).toContain('gAMA')
    expect(clean.length).toBeLessThan(png.length)
    expect(await infoOf(clean)).toMatchObject({ format: 'image/png', width: 4, height: 3 })
  })

  it('fails closed without IHDR first or without IEND', async () => {
    const png = await makePng(2, 2)
    expect(stripPngMetadata(png.subarray(0, png.length - 12))).toBeNull()
    const noIhdr = cat(png.subarray(0, 8), pngChunk('tEXt', enc('a\0b')), png.subarray(8))
    expect(stripPngMetadata(noIhdr)).toBeNull()
  })
})

describe('WebP whitelist', () => {
  /** An extended WebP (VP8X) around a real VP8 bitstream, with EXIF and XMP chunks. */
  async function webpWithMetadata() {
    const simple = await encodeAs(await makePng(8, 6), 'image/webp')
    const image = simple.subarray(12) // the VP8/VP8L chunk
    const vp8x = new Uint8Array(10)
    vp8x[0] = 0x08 | 0x04
    vp8x.set([7, 0, 0, 5, 0, 0], 4)
    const riffChunk = (type: string, data: Uint8Array) => {
      const head = cat(enc(type), new Uint8Array(4))
      new DataView(head.buffer).setUint32(4, data.length, true)
      return cat(head, data, new Uint8Array(data.length & 1))
    }
    const body = cat(enc('WEBP'), riffChunk('VP8X', vp8x), image, riffChunk('EXIF', exifPayloadOf(fixturePhoto('DSCN0010.jpg'))),
      riffChunk('XMP ', enc('<x:xmpmeta>Secret</x:xmpmeta>')), riffChunk('zzzz', enc('Secret')))
    const head = cat(enc('RIFF'), new Uint8Array(4))
    new DataView(head.buffer).setUint32(4, body.length, true)
    return cat(head, body, enc('Secret after RIFF'))
  }

  it('drops EXIF, XMP and unknown chunks, clears the VP8X flags and still decodes', async () => {
    const webp = await webpWithMetadata()
    expect(await infoOf(webp)).toMatchObject({ format: 'image/webp', width: 8, height: 6 })
    expect(latin1(webp)).toContain('NIKON')
    const clean = stripWebpMetadata(webp)!
    await expectNoMetadata(clean)
    expect(clean[20]! & 0x0c).toBe(0)
    expect(new DataView(clean.buffer).getUint32(4, true)).toBe(clean.length - 8)
    expect(await infoOf(clean)).toMatchObject({ format: 'image/webp', width: 8, height: 6 })
    expect(stripMetadata(webp, 'image/webp', 1)).toEqual(clean)
  })

  it('fails closed on truncated chunks', async () => {
    const webp = await webpWithMetadata()
    expect(stripWebpMetadata(webp.subarray(0, 40))).toBeNull()
  })
})

describe('GIF whitelist', () => {
  it('drops comment and XMP application extensions and trailing data, keeps the loop and the image', async () => {
    const header = TINY_GIF.subarray(0, 13 + 6) // header, screen descriptor, 2-colour table
    const rest = TINY_GIF.subarray(19)
    const comment = cat(new Uint8Array([0x21, 0xfe, 6]), enc('Secret'), new Uint8Array([0]))
    const xmp = cat(new Uint8Array([0x21, 0xff, 11]), enc('XMP DataXMP'), new Uint8Array([8]), enc('xmpmeta!'), new Uint8Array([0]))
    const loop = new Uint8Array([0x21, 0xff, 11, ...enc('NETSCAPE2.0'), 3, 1, 0, 0, 0])
    const gif = cat(header, loop, comment, xmp, rest, enc('Secret after trailer'))
    const clean = stripGifMetadata(gif)!
    expect(clean).toEqual(cat(header, loop, rest))
    await expectNoMetadata(clean)
    expect(await infoOf(clean)).toMatchObject({ format: 'image/gif', width: 1, height: 1 })
    expect(stripGifMetadata(TINY_GIF.subarray(0, TINY_GIF.length - 1))).toBeNull()
  })
})
