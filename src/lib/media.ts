/** Image formats Darkroom recognises by their leading bytes. */
export type ImageMime =
  | 'image/jpeg'
  | 'image/png'
  | 'image/webp'
  | 'image/gif'
  | 'image/avif'
  | 'image/heic'

const ascii = (bytes: Uint8Array, start: number, end: number) =>
  String.fromCharCode(...bytes.subarray(start, end))

/**
 * Detects the image format from magic bytes, ignoring names and declared types.
 * Returns null for anything that is not one of the formats above.
 */
export function sniffImageMime(bytes: Uint8Array): ImageMime | null {
  if (bytes.length < 12) return null
  if (bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return 'image/jpeg'
  if (
    bytes[0] === 0x89 && ascii(bytes, 1, 4) === 'PNG' &&
    bytes[4] === 0x0d && bytes[5] === 0x0a && bytes[6] === 0x1a && bytes[7] === 0x0a
  ) {
    return 'image/png'
  }
  if (ascii(bytes, 0, 4) === 'RIFF' && ascii(bytes, 8, 12) === 'WEBP') return 'image/webp'
  if (ascii(bytes, 0, 6) === 'GIF87a' || ascii(bytes, 0, 6) === 'GIF89a') return 'image/gif'
  if (ascii(bytes, 4, 8) === 'ftyp') {
    const brand = ascii(bytes, 8, 12)
    if (brand === 'avif' || brand === 'avis') return 'image/avif'
    if (['heic', 'heix', 'hevc', 'hevx', 'heim', 'heis', 'mif1', 'msf1'].includes(brand)) {
      return 'image/heic'
    }
  }
  return null
}

export const EXTENSION_BY_MIME: Record<ImageMime, string> = {
  'image/jpeg': 'jpg',
  'image/png': 'png',
  'image/webp': 'webp',
  'image/gif': 'gif',
  'image/avif': 'avif',
  'image/heic': 'heic',
}

/**
 * Width and height as the file's own header declares them (PNG IHDR, GIF screen, WebP VP8/VP8L/
 * VP8X, JPEG SOFn), read without decoding. Used to refuse pixel floods before any decoder runs;
 * the decoder's answer (Images `info()`) is still what gets stored.
 */
export function headerDimensions(bytes: Uint8Array, mime: ImageMime): { width: number; height: number } | null {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  try {
    switch (mime) {
      case 'image/png':
        return { width: view.getUint32(16), height: view.getUint32(20) }
      case 'image/gif':
        return { width: view.getUint16(6, true), height: view.getUint16(8, true) }
      case 'image/webp': {
        const chunk = ascii(bytes, 12, 16)
        if (chunk === 'VP8X') {
          const w = 1 + (bytes[24]! | (bytes[25]! << 8) | (bytes[26]! << 16))
          const h = 1 + (bytes[27]! | (bytes[28]! << 8) | (bytes[29]! << 16))
          return { width: w, height: h }
        }
        if (chunk === 'VP8L') {
          const b = view.getUint32(21, true)
          return { width: (b & 0x3fff) + 1, height: ((b >> 14) & 0x3fff) + 1 }
        }
        if (chunk === 'VP8 ') return { width: view.getUint16(26, true) & 0x3fff, height: view.getUint16(28, true) & 0x3fff }
        return null
      }
      case 'image/jpeg': {
        let pos = 2
        while (pos + 9 < bytes.length) {
          if (bytes[pos] !== 0xff) return null
          const marker = bytes[pos + 1]!
          if (marker === 0xff) {
            pos += 1
            continue
          }
          const isSof = marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc
          if (isSof) return { width: view.getUint16(pos + 7), height: view.getUint16(pos + 5) }
          if (marker === 0xda) return null
          pos += 2 + view.getUint16(pos + 2)
        }
        return null
      }
      default:
        return null
    }
  } catch {
    return null
  }
}
