/**
 * Whitelist metadata removal for WebP and GIF (see strip-metadata.ts for JPEG and PNG). Both
 * stay animated and lossless; null means the file could not be parsed safely.
 */

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0))
  parts.reduce((offset, p) => (out.set(p, offset), offset + p.length), 0)
  return out
}

const ascii = (bytes: Uint8Array) => String.fromCharCode(...bytes)

/** Image, alpha, animation and colour chunks; EXIF, XMP and unknown chunks are dropped. */
const WEBP_KEEP = new Set(['VP8X', 'VP8 ', 'VP8L', 'ALPH', 'ANIM', 'ANMF', 'ICCP'])
const VP8X_EXIF = 0x08
const VP8X_XMP = 0x04

/** The WebP without EXIF/XMP (and unknown) chunks, VP8X flags and RIFF size fixed. */
export function stripWebpMetadata(bytes: Uint8Array): Uint8Array | null {
  if (bytes.length < 20 || ascii(bytes.subarray(0, 4)) !== 'RIFF' || ascii(bytes.subarray(8, 12)) !== 'WEBP') return null
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  const riffEnd = 8 + view.getUint32(4, true)
  if (riffEnd > bytes.length || riffEnd < 20) return null
  const chunks: Uint8Array[] = []
  let pos = 12
  let sawImage = false
  while (pos < riffEnd) {
    if (pos + 8 > riffEnd) return null
    const type = ascii(bytes.subarray(pos, pos + 4))
    const size = view.getUint32(pos + 4, true)
    const dataEnd = pos + 8 + size
    if (dataEnd > riffEnd) return null
    if (WEBP_KEEP.has(type)) {
      const chunk = bytes.slice(pos, dataEnd)
      if (type === 'VP8X') {
        if (size < 10) return null
        chunk[8] = chunk[8]! & ~(VP8X_EXIF | VP8X_XMP)
      }
      if (type === 'VP8 ' || type === 'VP8L' || type === 'ANMF') sawImage = true
      chunks.push(size % 2 === 1 ? concat([chunk, new Uint8Array(1)]) : chunk)
    }
    pos = dataEnd + (size & 1)
  }
  if (!sawImage) return null
  const body = concat(chunks)
  const head = new Uint8Array(12)
  head.set(bytes.subarray(0, 12))
  new DataView(head.buffer).setUint32(4, body.length + 4, true)
  return concat([head, body])
}

/**
 * The GIF with its header, colour tables, graphic control extensions, the NETSCAPE/ANIMEXTS
 * loop extension and image data up to the trailer. Comments, plain-text and other application
 * extensions (XMP lives in one) are dropped, as is anything after the trailer.
 */
export function stripGifMetadata(bytes: Uint8Array): Uint8Array | null {
  const signature = ascii(bytes.subarray(0, 6))
  if (bytes.length < 14 || (signature !== 'GIF87a' && signature !== 'GIF89a')) return null
  const tableSize = (packed: number) => (packed & 0x80 ? 3 * 2 ** ((packed & 7) + 1) : 0)
  const parts: Uint8Array[] = []
  let pos = 13 + tableSize(bytes[10]!)
  if (pos > bytes.length) return null
  parts.push(bytes.subarray(0, pos))
  /** Offset just past a run of data sub-blocks (ended by a zero-length block), or -1. */
  const skipSubBlocks = (at: number) => {
    while (at < bytes.length) {
      const size = bytes[at]!
      at += 1 + size
      if (size === 0) return at <= bytes.length ? at : -1
    }
    return -1
  }
  let sawImage = false
  for (;;) {
    if (pos >= bytes.length) return null // no trailer: truncated
    const introducer = bytes[pos]!
    if (introducer === 0x3b) {
      if (!sawImage) return null
      parts.push(bytes.subarray(pos, pos + 1))
      break
    }
    if (introducer === 0x21) {
      if (pos + 2 > bytes.length) return null
      const label = bytes[pos + 1]!
      const end = skipSubBlocks(pos + 2)
      if (end < 0) return null
      const appId = label === 0xff && bytes[pos + 2] === 11 ? ascii(bytes.subarray(pos + 3, pos + 14)) : ''
      if (label === 0xf9 || appId === 'NETSCAPE2.0' || appId === 'ANIMEXTS1.0') parts.push(bytes.subarray(pos, end))
      pos = end
      continue
    }
    if (introducer === 0x2c) {
      if (pos + 11 > bytes.length) return null
      const dataStart = pos + 10 + tableSize(bytes[pos + 9]!) + 1 // + LZW minimum code size
      const end = skipSubBlocks(dataStart)
      if (dataStart > bytes.length || end < 0) return null
      parts.push(bytes.subarray(pos, end))
      sawImage = true
      pos = end
      continue
    }
    return null
  }
  return concat(parts)
}
