import { env } from 'cloudflare:test'
import { describe, expect, it } from 'vitest'
import { readExif } from '../../src/lib/exif'
import { decodePng } from '../../src/lib/png'
import { stripJpegMetadata, stripPngMetadata } from '../../src/lib/strip-metadata'
import { fixturePhoto, latin1, makePng } from '../support/images'

// The clean original is what strangers download: if a GPS block survives here, the photographer's
// home address leaks. It must also stay a valid image that displays upright.

/** JPEG segments before the scan, as [marker, payload] pairs. */
function jpegSegments(bytes: Uint8Array): Array<[number, Uint8Array]> {
  const out: Array<[number, Uint8Array]> = []
  let pos = 2
  while (pos + 4 <= bytes.length && bytes[pos] === 0xff) {
    const marker = bytes[pos + 1]!
    if (marker === 0xda) break
    const length = (bytes[pos + 2]! << 8) | bytes[pos + 3]!
    out.push([marker, bytes.subarray(pos + 4, pos + 2 + length)])
    pos += 2 + length
  }
  return out
}

/** Offset of the SOS marker, found by walking segments (an EXIF thumbnail also holds FF DA). */
function scanStart(bytes: Uint8Array): number {
  let pos = 2
  while (bytes[pos + 1] !== 0xda) pos += 2 + ((bytes[pos + 2]! << 8) | bytes[pos + 3]!)
  return pos
}

/** PNG chunk types in order. */
function pngChunks(bytes: Uint8Array): string[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  const types: string[] = []
  for (let pos = 8; pos + 12 <= bytes.length; pos += 12 + view.getUint32(pos)) types.push(latin1(bytes.subarray(pos + 4, pos + 8)))
  return types
}

const infoOf = (bytes: Uint8Array) => env.IMAGES.info(new Blob([bytes]).stream())

describe('stripJpegMetadata', () => {
  it('drops the camera APP1 (GPS, make, serial) but writes back a minimal orientation EXIF', async () => {
    const original = fixturePhoto('DSCN0010.jpg')
    // Precondition, so the test cannot pass vacuously: the fixture really carries GPS.
    expect((await readExif(original)).gps).not.toBeNull()

    const clean = stripJpegMetadata(original, 6)!
    expect(clean).not.toBeNull()
    const app1 = jpegSegments(clean).filter(([m]) => m === 0xe1)
    expect(app1).toHaveLength(1)
    expect(app1[0]![1].length).toBeLessThan(40) // just "Exif\0\0" + TIFF header + one IFD entry
    const text = latin1(clean)
    expect(text).not.toMatch(/NIKON|COOLPIX/i)
    const exif = await readExif(clean)
    expect(exif.gps).toBeNull()
    expect(exif.orientation).toBe(6)
    expect(exif.exif?.make ?? null).toBeNull()
    expect(exif.exif?.takenAt ?? null).toBeNull()
  })

  it('keeps the picture itself byte for byte and still decodes', async () => {
    const original = fixturePhoto('Canon_40D.jpg')
    const clean = stripJpegMetadata(original, 1)!
    // Orientation 1 needs no EXIF at all.
    expect(jpegSegments(clean).some(([m]) => m === 0xe1)).toBe(false)
    expect(latin1(clean)).not.toContain('Exif')
    // The entropy-coded scan (from SOS to EOI) is untouched: lossless.
    const scan = (b: Uint8Array) => b.subarray(scanStart(b))
    expect(scan(clean)).toEqual(scan(original))
    expect(clean.length).toBeLessThan(original.length)
    expect(await infoOf(clean)).toMatchObject({ format: 'image/jpeg', width: 100, height: 68 })
  })

  it('keeps ICC profiles (APP2) and JFIF, drops comments (COM) and IPTC (APP13)', () => {
    const original = fixturePhoto('no_exif.jpg')
    const segment = (marker: number, payload: string) => {
      const data = new TextEncoder().encode(payload)
      return new Uint8Array([0xff, marker, ((data.length + 2) >> 8) & 0xff, (data.length + 2) & 0xff, ...data])
    }
    const extra = [segment(0xe2, 'ICC_PROFILE\0keep-me'), segment(0xfe, 'shot at 12 Secret Street'), segment(0xed, 'Photoshop 3.0\0iptc-city')]
    const withExtras = new Uint8Array([...original.subarray(0, 2), ...extra.flatMap((s) => Array.from(s)), ...original.subarray(2)])
    const text = latin1(stripJpegMetadata(withExtras, 1)!)
    expect(text).toContain('ICC_PROFILE\0keep-me')
    expect(text).not.toContain('Secret Street')
    expect(text).not.toContain('iptc-city')
  })

  it('refuses (null) what it cannot parse safely rather than emitting a broken file', () => {
    expect(stripJpegMetadata(new TextEncoder().encode('not a jpeg at all'), 1)).toBeNull()
    // A segment whose length runs past the end of the file.
    expect(stripJpegMetadata(new Uint8Array([0xff, 0xd8, 0xff, 0xe1, 0x40, 0x00, 1, 2, 3]), 1)).toBeNull()
    // Garbage where the next marker should be.
    expect(stripJpegMetadata(new Uint8Array([0xff, 0xd8, 0x00, 0x11, 0x22, 0x33, 0x44]), 1)).toBeNull()
  })
})

describe('stripPngMetadata', () => {
  const enc = (text: string) => new TextEncoder().encode(text)
  // A minimal big-endian TIFF/EXIF payload; its content does not matter, its presence does.
  const exifPayload = new Uint8Array([0x4d, 0x4d, 0, 0x2a, 0, 0, 0, 8, 0, 0])

  it('removes tEXt, iTXt, zTXt, tIME and eXIf chunks and keeps everything else', async () => {
    const png = await makePng(6, 4, {
      extraChunks: [
        ['tEXt', enc('Location\0home')],
        ['eXIf', exifPayload],
        ['iTXt', enc('XML:com.adobe.xmp\0\0\0\0\0<x/>')],
        ['zTXt', enc('Comment\0\0x')],
        ['tIME', new Uint8Array([7, 0xe8, 1, 1, 0, 0, 0])],
        ['pHYs', new Uint8Array([0, 0, 0x0b, 0x13, 0, 0, 0x0b, 0x13, 1])],
      ],
    })
    expect(pngChunks(png)).toEqual(['IHDR', 'tEXt', 'eXIf', 'iTXt', 'zTXt', 'tIME', 'pHYs', 'IDAT', 'IEND'])
    const clean = stripPngMetadata(png)!
    expect(pngChunks(clean)).toEqual(['IHDR', 'pHYs', 'IDAT', 'IEND'])
    expect(latin1(clean)).not.toContain('home')
    // Still a valid PNG with the same pixels, for our decoder and for the Images binding.
    expect((await decodePng(clean)).rgba).toEqual((await decodePng(png)).rgba)
    expect(await infoOf(clean)).toMatchObject({ format: 'image/png', width: 6, height: 4 })
  })

  it('stops at IEND (trailing bytes after the image are dropped) and refuses truncated chunks', async () => {
    const png = await makePng(2, 2)
    const trailing = new Uint8Array([...png, ...enc('hidden payload after IEND')])
    expect(latin1(stripPngMetadata(trailing)!)).not.toContain('hidden payload')
    const truncated = png.subarray(0, png.length - 20)
    expect(stripPngMetadata(truncated)).toBeNull()
  })
})
