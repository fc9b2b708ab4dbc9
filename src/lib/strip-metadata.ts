/**
 * Lossless metadata removal for originals served to anyone but the owner: no EXIF (GPS,
 * serial numbers), XMP, IPTC or comments survive. JPEG keeps its orientation through a minimal
 * new EXIF block so the photo still displays upright; ICC colour profiles are kept.
 */

const APP1 = 0xe1
const APP13 = 0xed
const COM = 0xfe
const SOS = 0xda

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

/** Returns the JPEG without APP1/APP13/COM segments, or null if it cannot be parsed safely. */
export function stripJpegMetadata(bytes: Uint8Array, orientation: number): Uint8Array | null {
  if (bytes[0] !== 0xff || bytes[1] !== 0xd8) return null
  const parts: Uint8Array[] = [bytes.subarray(0, 2)]
  if (orientation > 1 && orientation <= 8) parts.push(orientationExif(orientation))
  let pos = 2
  while (pos + 4 <= bytes.length) {
    if (bytes[pos] !== 0xff) return null
    const marker = bytes[pos + 1]!
    if (marker === 0xff) {
      pos += 1 // fill byte
      continue
    }
    if (marker === SOS) {
      parts.push(bytes.subarray(pos))
      break
    }
    const length = (bytes[pos + 2]! << 8) | bytes[pos + 3]!
    if (length < 2 || pos + 2 + length > bytes.length) return null
    if (marker !== APP1 && marker !== APP13 && marker !== COM) parts.push(bytes.subarray(pos, pos + 2 + length))
    pos += 2 + length
  }
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0))
  parts.reduce((offset, p) => (out.set(p, offset), offset + p.length), 0)
  return out
}

const PNG_TEXT_CHUNKS = new Set(['eXIf', 'tEXt', 'iTXt', 'zTXt', 'tIME'])

/** Returns the PNG without EXIF and text chunks, or null if it cannot be parsed safely. */
export function stripPngMetadata(bytes: Uint8Array): Uint8Array | null {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  const parts: Uint8Array[] = [bytes.subarray(0, 8)]
  let pos = 8
  while (pos + 12 <= bytes.length) {
    const length = view.getUint32(pos)
    const end = pos + 12 + length
    if (end > bytes.length) return null
    const type = String.fromCharCode(...bytes.subarray(pos + 4, pos + 8))
    if (!PNG_TEXT_CHUNKS.has(type)) parts.push(bytes.subarray(pos, end))
    pos = end
    if (type === 'IEND') break
  }
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0))
  parts.reduce((offset, p) => (out.set(p, offset), offset + p.length), 0)
  return out
}
