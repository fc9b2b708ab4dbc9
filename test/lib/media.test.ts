import { describe, expect, it } from 'vitest'
import { headerDimensions, sniffImageMime } from '../../src/lib/media'
import { fixturePhoto, makePng } from '../support/images'

// Format detection must rely on the leading bytes alone: names and declared types lie. Each
// header below is built by hand from the format's specification, padded to a realistic length.

const ascii = (text: string) => Array.from(text, (ch) => ch.charCodeAt(0))
const bytes = (...parts: Array<number[] | Uint8Array>) => {
  const flat = parts.flatMap((p) => Array.from(p))
  return new Uint8Array(Math.max(flat.length, 32)).map((_, i) => flat[i] ?? 0)
}
const u32be = (n: number) => [(n >>> 24) & 0xff, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff]
const u16le = (n: number) => [n & 0xff, (n >>> 8) & 0xff]
const u24le = (n: number) => [n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff]

/** ISO-BMFF `ftyp` box with the given major brand (AVIF/HEIC containers). */
const ftyp = (brand: string) => bytes(u32be(24), ascii('ftyp'), ascii(brand), [0, 0, 0, 0], ascii('mif1'), ascii(brand))

/** A GIF logical screen descriptor: width/height little-endian at 6 and 8. */
const gif = (version: string, w: number, h: number) => bytes(ascii(version), u16le(w), u16le(h), [0xf7, 0, 0])

/** WebP extended (VP8X): canvas size minus one as 24-bit little-endian at 24 and 27. */
const webpVp8x = (w: number, h: number) =>
  bytes(ascii('RIFF'), [0, 0, 0, 0], ascii('WEBPVP8X'), [10, 0, 0, 0], [0x10, 0, 0, 0], u24le(w - 1), u24le(h - 1))

/** WebP lossless (VP8L): signature 0x2f at 20, then 14-bit width-1 and height-1 packed at 21. */
const webpVp8l = (w: number, h: number) => {
  const packed = (w - 1) | ((h - 1) << 14)
  return bytes(ascii('RIFF'), [0, 0, 0, 0], ascii('WEBPVP8L'), [5, 0, 0, 0], [0x2f], [packed & 0xff, (packed >>> 8) & 0xff, (packed >>> 16) & 0xff, (packed >>> 24) & 0xff])
}

/** WebP lossy (VP8 ): frame tag, start code 9d 01 2a, then 14-bit width/height at 26 and 28. */
const webpVp8 = (w: number, h: number) =>
  bytes(ascii('RIFF'), [0, 0, 0, 0], ascii('WEBPVP8 '), [10, 0, 0, 0], [0, 0, 0], [0x9d, 0x01, 0x2a], u16le(w), u16le(h))

/** Smallest plausible JPEG: SOI, an APP0 segment to skip, then SOF0 with height/width. */
const jpeg = (w: number, h: number, sofMarker = 0xc0) =>
  bytes([0xff, 0xd8], [0xff, 0xe0, 0, 4, 0, 0], [0xff, sofMarker, 0, 11, 8, (h >> 8) & 0xff, h & 0xff, (w >> 8) & 0xff, w & 0xff, 1, 1, 0x11, 0])

describe('sniffImageMime', () => {
  it('recognises each supported format by its magic bytes', async () => {
    expect(sniffImageMime(jpeg(10, 10))).toBe('image/jpeg')
    expect(sniffImageMime(await makePng(2, 2))).toBe('image/png')
    expect(sniffImageMime(webpVp8x(10, 10))).toBe('image/webp')
    expect(sniffImageMime(gif('GIF87a', 1, 1))).toBe('image/gif')
    expect(sniffImageMime(gif('GIF89a', 1, 1))).toBe('image/gif')
    expect(sniffImageMime(fixturePhoto('Canon_40D.jpg'))).toBe('image/jpeg')
  })

  it('maps AVIF and every HEIF brand we accept from the ftyp box', () => {
    expect(sniffImageMime(ftyp('avif'))).toBe('image/avif')
    expect(sniffImageMime(ftyp('avis'))).toBe('image/avif')
    for (const brand of ['heic', 'heix', 'hevc', 'hevx', 'heim', 'heis', 'mif1', 'msf1']) {
      expect(sniffImageMime(ftyp(brand)), brand).toBe('image/heic')
    }
  })

  it('refuses look-alikes: other ftyp brands (video), other RIFF kinds, partial signatures', () => {
    // An MP4 is also an ISO-BMFF file with ftyp; it must not pass as an image.
    expect(sniffImageMime(ftyp('isom'))).toBeNull()
    expect(sniffImageMime(ftyp('mp42'))).toBeNull()
    // RIFF is also WAV/AVI.
    expect(sniffImageMime(bytes(ascii('RIFF'), [0, 0, 0, 0], ascii('WAVEfmt ')))).toBeNull()
    // PNG signature with a wrong line-ending byte (the check that catches FTP text-mode damage).
    expect(sniffImageMime(bytes([0x89], ascii('PNG'), [0x0d, 0x0a, 0x1a, 0x00]))).toBeNull()
    expect(sniffImageMime(bytes(ascii('GIF88a')))).toBeNull()
    expect(sniffImageMime(bytes([0xff, 0xd8, 0x00]))).toBeNull()
    expect(sniffImageMime(new TextEncoder().encode('<svg xmlns="http://www.w3.org/2000/svg"></svg>'))).toBeNull()
    expect(sniffImageMime(new TextEncoder().encode('%PDF-1.7 some document'))).toBeNull()
  })

  it('answers null for inputs too short to hold any signature, without throwing', () => {
    expect(sniffImageMime(new Uint8Array())).toBeNull()
    expect(sniffImageMime(new Uint8Array([0xff, 0xd8, 0xff]))).toBeNull()
    expect(sniffImageMime(new Uint8Array(11).fill(0xff))).toBeNull()
  })
})

describe('headerDimensions', () => {
  // These sizes gate pixel-flood checks before any decoder runs, so they must be exact.
  it('reads PNG IHDR, including a size that lies about the pixels', async () => {
    expect(headerDimensions(await makePng(7, 5), 'image/png')).toEqual({ width: 7, height: 5 })
    expect(headerDimensions(await makePng(2, 2, { claimWidth: 20000, claimHeight: 30000 }), 'image/png')).toEqual({ width: 20000, height: 30000 })
  })

  it('reads the GIF logical screen (little-endian)', () => {
    expect(headerDimensions(gif('GIF89a', 513, 258), 'image/gif')).toEqual({ width: 513, height: 258 })
  })

  it('reads all three WebP layouts', () => {
    expect(headerDimensions(webpVp8x(12001, 3), 'image/webp')).toEqual({ width: 12001, height: 3 })
    expect(headerDimensions(webpVp8l(1000, 700), 'image/webp')).toEqual({ width: 1000, height: 700 })
    expect(headerDimensions(webpVp8(640, 480), 'image/webp')).toEqual({ width: 640, height: 480 })
    // An unknown chunk is not guessed at.
    expect(headerDimensions(bytes(ascii('RIFF'), [0, 0, 0, 0], ascii('WEBPXXXX')), 'image/webp')).toBeNull()
  })

  it('walks JPEG segments to the SOF marker (baseline and progressive), not DHT', () => {
    expect(headerDimensions(jpeg(4000, 3000), 'image/jpeg')).toEqual({ width: 4000, height: 3000 })
    expect(headerDimensions(jpeg(321, 123, 0xc2), 'image/jpeg')).toEqual({ width: 321, height: 123 })
    // 0xC4 is DHT, not a frame header: it is skipped, and without a SOF there is no answer.
    expect(headerDimensions(jpeg(50, 50, 0xc4), 'image/jpeg')).toBeNull()
  })

  it('reads real camera JPEGs by their frame, not by EXIF (no_exif.jpg claims 4134x5906)', () => {
    expect(headerDimensions(fixturePhoto('no_exif.jpg'), 'image/jpeg')).toEqual({ width: 322, height: 466 })
    expect(headerDimensions(fixturePhoto('DSCN0010.jpg'), 'image/jpeg')).toEqual({ width: 640, height: 480 })
    // Stored size, before orientation: the caller applies EXIF orientation itself.
    expect(headerDimensions(fixturePhoto('landscape_6.jpg'), 'image/jpeg')).toEqual({ width: 450, height: 600 })
  })

  it('answers null (never throws) for formats it cannot read and for truncated headers', async () => {
    expect(headerDimensions(ftyp('avif'), 'image/avif')).toBeNull()
    expect(headerDimensions(ftyp('heic'), 'image/heic')).toBeNull()
    expect(headerDimensions((await makePng(4, 4)).subarray(0, 18), 'image/png')).toBeNull()
    expect(headerDimensions(new Uint8Array([0xff, 0xd8, 0xff, 0xe0, 0x00]), 'image/jpeg')).toBeNull()
    // A JPEG whose segment chain breaks (no 0xFF where a marker must be).
    expect(headerDimensions(bytes([0xff, 0xd8], [0x12, 0x34, 0, 4, 0, 0]), 'image/jpeg')).toBeNull()
  })
})
