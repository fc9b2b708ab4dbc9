/**
 * Lossless metadata removal for originals served to anyone but the owner. Every format is
 * cleaned by WHITELIST: only what decoding, colour and animation need is copied, everything
 * else (EXIF/GPS, XMP, IPTC, MPF, JUMBF/C2PA, comments, maker blocks, unknown chunks, and
 * anything after the end of the image, such as an appended second JPEG) is dropped. JPEG keeps
 * its orientation through a minimal new EXIF block so the photo still displays upright; ICC
 * colour profiles are kept. Each function returns null when the file cannot be parsed safely,
 * so the caller fails closed (re-encodes or refuses) rather than serving the raw bytes.
 */

import { stripGifMetadata, stripWebpMetadata } from './strip-metadata-riff-gif'

const SOI = 0xd8
const EOI = 0xd9
const SOS = 0xda
const DQT = 0xdb
const DNL = 0xdc
const DRI = 0xdd
const DHT = 0xc4
const DAC = 0xcc
const APP0 = 0xe0
const APP2 = 0xe2
const APP14 = 0xee

/** Frame headers SOF0–SOF15 (C4 DHT, C8 JPG and CC DAC are not frames). */
const isSof = (m: number) => m >= 0xc0 && m <= 0xcf && m !== DHT && m !== 0xc8 && m !== DAC
const isRst = (m: number) => m >= 0xd0 && m <= 0xd7

function startsWith(bytes: Uint8Array, text: string): boolean {
  if (bytes.length < text.length) return false
  for (let i = 0; i < text.length; i++) if (bytes[i] !== text.charCodeAt(i)) return false
  return true
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0))
  parts.reduce((offset, p) => (out.set(p, offset), offset + p.length), 0)
  return out
}

function orientationExif(orientation: number): Uint8Array {
  // "Exif\0\0" + big-endian TIFF header + IFD0 with a single Orientation (0x0112) SHORT entry.
  const segment = new Uint8Array(36)
  const view = new DataView(segment.buffer)
  view.setUint16(0, 0xffe1)
  view.setUint16(2, 34)
  segment.set([0x45, 0x78, 0x69, 0x66, 0, 0], 4)
  segment.set([0x4d, 0x4d, 0x00, 0x2a], 10)
  view.setUint32(14, 8)
  view.setUint16(18, 1)
  view.setUint16(20, 0x0112)
  view.setUint16(22, 3)
  view.setUint32(24, 1)
  view.setUint16(28, orientation)
  view.setUint32(32, 0)
  return segment
}

/** Whether a marker segment is needed to decode or colour the picture. */
function keepJpegSegment(marker: number, payload: Uint8Array): boolean {
  if (marker === DQT || marker === DHT || marker === DRI || marker === DAC || marker === DNL || isSof(marker)) return true
  if (marker === APP0) return startsWith(payload, 'JFIF\0')
  if (marker === APP2) return startsWith(payload, 'ICC_PROFILE\0')
  if (marker === APP14) return startsWith(payload, 'Adobe')
  return false
}

/** End of the entropy-coded data that starts at `pos`: the offset of the next real marker. */
function scanEnd(bytes: Uint8Array, pos: number): number {
  for (let i = pos; i + 1 < bytes.length; i++) {
    if (bytes[i] !== 0xff) continue
    const next = bytes[i + 1]!
    if (next === 0x00 || isRst(next) || next === 0xff) continue
    return i
  }
  return -1
}

/**
 * The JPEG with only SOI, JFIF APP0, ICC APP2, Adobe APP14, the decoding tables, frame and scan
 * data, and the first EOI; nothing after that EOI. A minimal orientation EXIF is written back.
 */
export function stripJpegMetadata(bytes: Uint8Array, orientation: number): Uint8Array | null {
  if (bytes[0] !== 0xff || bytes[1] !== SOI) return null
  const header: Uint8Array[] = []
  const body: Uint8Array[] = []
  let sawFrame = false
  let sawScan = false
  let pos = 2
  for (;;) {
    if (pos + 2 > bytes.length || bytes[pos] !== 0xff) return null
    const marker = bytes[pos + 1]!
    if (marker === 0xff) {
      pos += 1 // fill byte
      continue
    }
    if (marker === EOI) {
      if (!sawScan) return null
      body.push(bytes.subarray(pos, pos + 2))
      break // whatever follows the first EOI (MPF images, motion photos, payloads) is dropped
    }
    if (pos + 4 > bytes.length) return null
    const length = (bytes[pos + 2]! << 8) | bytes[pos + 3]!
    const end = pos + 2 + length
    if (length < 2 || end > bytes.length) return null
    const segment = bytes.subarray(pos, end)
    if (marker === SOS) {
      if (!sawFrame) return null
      const dataEnd = scanEnd(bytes, end)
      if (dataEnd < 0) return null
      body.push(bytes.subarray(pos, dataEnd))
      sawScan = true
      pos = dataEnd
      continue
    }
    if (marker === 0x01 || isRst(marker) || (marker >= 0xf0 && marker <= 0xfd) || marker === 0xde || marker === 0xdf) {
      return null // JPEG extensions, hierarchical or misplaced markers: not something to copy blindly
    }
    if (keepJpegSegment(marker, segment.subarray(4))) {
      if (isSof(marker)) sawFrame = true
      ;(sawScan ? body : header).push(segment)
    }
    pos = end
  }
  const exif = orientation > 1 && orientation <= 8 ? [orientationExif(orientation)] : []
  // JFIF wants its APP0 right after SOI; the orientation EXIF follows it.
  const jfifFirst = header[0] && header[0][1] === APP0 ? [header.shift()!] : []
  return concat([bytes.subarray(0, 2), ...jfifFirst, ...exif, ...header, ...body])
}

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]

/**
 * PNG chunks that decoding and rendering need. APNG animation chunks (acTL, fcTL, fdAT) are
 * kept: they hold frames and timing, no text. Everything else (eXIf, tEXt, iTXt, zTXt, tIME,
 * sPLT with its free-form name, private and unknown chunks) is dropped.
 */
const PNG_KEEP = new Set([
  'IHDR', 'PLTE', 'IDAT', 'IEND', 'tRNS', 'gAMA', 'cHRM', 'sRGB', 'iCCP', 'sBIT', 'bKGD', 'pHYs',
  'cICP', 'mDCv', 'cLLi', 'acTL', 'fcTL', 'fdAT',
])

/** The PNG with whitelisted chunks only, ending at IEND; null if it cannot be parsed safely. */
export function stripPngMetadata(bytes: Uint8Array): Uint8Array | null {
  if (bytes.length < 8 || PNG_SIGNATURE.some((b, i) => bytes[i] !== b)) return null
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  const parts: Uint8Array[] = [bytes.subarray(0, 8)]
  let pos = 8
  let first = true
  for (;;) {
    if (pos + 12 > bytes.length) return null // no IEND: truncated
    const length = view.getUint32(pos)
    const end = pos + 12 + length
    if (length > 0x7fffffff || end > bytes.length) return null
    const type = String.fromCharCode(...bytes.subarray(pos + 4, pos + 8))
    if (first && type !== 'IHDR') return null
    first = false
    if (PNG_KEEP.has(type)) parts.push(bytes.subarray(pos, end))
    pos = end
    if (type === 'IEND') break // nothing after IEND is copied
  }
  return concat(parts)
}

/** The whitelist cleaner for `mime`; null for formats without one or files it cannot parse. */
export function stripMetadata(bytes: Uint8Array, mime: string, orientation: number): Uint8Array | null {
  switch (mime) {
    case 'image/jpeg':
      return stripJpegMetadata(bytes, orientation)
    case 'image/png':
      return stripPngMetadata(bytes)
    case 'image/webp':
      return stripWebpMetadata(bytes)
    case 'image/gif':
      return stripGifMetadata(bytes)
    default:
      return null
  }
}
