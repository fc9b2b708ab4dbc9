import { convertIndexedToRgb, decode, encode, hasPngSignature } from 'fast-png'

/**
 * PNG through `fast-png`, shaped for our two uses: 8-bit RGBA pixels of the tiny renditions we
 * hash into ThumbHash placeholders, and the local provider's paintings. Not for arbitrary uploads
 * (those go through the Images binding).
 */
export interface Rgba {
  width: number
  height: number
  rgba: Uint8Array
}

/** ThumbHash inputs are ≤ 64 px; a header claiming more than a megapixel is refused before inflating. */
const MAX_PIXELS = 1_000_000

/** Decodes any PNG layout fast-png reads (gray, RGB, alpha, palette, 16 bit, interlaced) to 8-bit RGBA. */
export async function decodePng(bytes: Uint8Array): Promise<Rgba> {
  if (!hasPngSignature(bytes)) throw new Error('not a PNG')
  // IHDR is the first chunk: width and height at bytes 16..23.
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  if (bytes.length < 24 || view.getUint32(16) * view.getUint32(20) > MAX_PIXELS) throw new Error('unsupported PNG size')
  const png = decode(bytes, { checkCrc: true })
  const { width, height } = png
  const pixels = width * height
  if (png.palette) {
    const channels = png.palette[0]?.length ?? 3
    return { width, height, rgba: toRgba(convertIndexedToRgb(png), pixels, channels, 8) }
  }
  if (png.depth !== 8 && png.depth !== 16) throw new Error('unsupported PNG bit depth')
  return { width, height, rgba: toRgba(png.data, pixels, png.channels, png.depth) }
}

/** Gray (1), gray+alpha (2), RGB (3) or RGBA (4) samples, 8 or 16 bit, to 8-bit RGBA. */
function toRgba(data: ArrayLike<number>, pixels: number, channels: number, depth: 8 | 16): Uint8Array {
  if (channels < 1 || channels > 4 || data.length < pixels * channels) throw new Error('unsupported PNG layout')
  const shift = depth === 16 ? 8 : 0
  const rgba = new Uint8Array(pixels * 4)
  for (let i = 0; i < pixels; i++) {
    const s = i * channels
    const o = i * 4
    const first = data[s]! >> shift
    const gray = channels < 3
    rgba[o] = first
    rgba[o + 1] = gray ? first : data[s + 1]! >> shift
    rgba[o + 2] = gray ? first : data[s + 2]! >> shift
    rgba[o + 3] = channels === 2 ? data[s + 1]! >> shift : channels === 4 ? data[s + 3]! >> shift : 255
  }
  return rgba
}

/** Encodes 8-bit RGBA pixels as a PNG. */
export async function encodePng(width: number, height: number, rgba: Uint8Array): Promise<Uint8Array> {
  return encode({ width, height, data: rgba, depth: 8, channels: 4 })
}
