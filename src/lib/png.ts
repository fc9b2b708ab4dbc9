/**
 * A minimal PNG decoder for the tiny renditions we hash into ThumbHash placeholders
 * (non-interlaced, 8 or 16 bit gray/RGB/alpha, or palette). Not for arbitrary uploads.
 */
export interface Rgba {
  width: number
  height: number
  rgba: Uint8Array
}

const SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]
const CHANNELS: Record<number, number> = { 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 }

async function inflate(data: Uint8Array): Promise<Uint8Array> {
  const stream = new Blob([data]).stream().pipeThrough(new DecompressionStream('deflate'))
  return new Uint8Array(await new Response(stream).arrayBuffer())
}

function paeth(a: number, b: number, c: number) {
  const p = a + b - c
  const pa = Math.abs(p - a)
  const pb = Math.abs(p - b)
  const pc = Math.abs(p - c)
  return pa <= pb && pa <= pc ? a : pb <= pc ? b : c
}

export async function decodePng(bytes: Uint8Array): Promise<Rgba> {
  if (!SIGNATURE.every((b, i) => bytes[i] === b)) throw new Error('not a PNG')
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  let pos = 8
  let width = 0, height = 0, depth = 0, colorType = 0, interlace = 0
  let palette: Uint8Array | null = null
  let transparency: Uint8Array | null = null
  const idat: Uint8Array[] = []
  while (pos + 8 <= bytes.length) {
    const length = view.getUint32(pos)
    const type = String.fromCharCode(...bytes.subarray(pos + 4, pos + 8))
    const data = bytes.subarray(pos + 8, pos + 8 + length)
    if (type === 'IHDR') {
      width = view.getUint32(pos + 8)
      height = view.getUint32(pos + 12)
      depth = data[8]!
      colorType = data[9]!
      interlace = data[12]!
    } else if (type === 'PLTE') palette = data
    else if (type === 'tRNS') transparency = data
    else if (type === 'IDAT') idat.push(data)
    else if (type === 'IEND') break
    pos += 12 + length
  }
  const channels = CHANNELS[colorType]
  if (!channels || interlace !== 0 || width === 0 || height === 0 || width * height > 1_000_000) {
    throw new Error('unsupported PNG layout')
  }
  if (colorType === 3 ? ![1, 2, 4, 8].includes(depth) : ![8, 16].includes(depth)) {
    throw new Error('unsupported PNG bit depth')
  }
  const joined = new Uint8Array(idat.reduce((n, c) => n + c.length, 0))
  idat.reduce((offset, chunk) => (joined.set(chunk, offset), offset + chunk.length), 0)
  const raw = await inflate(joined)

  const bitsPerPixel = channels * depth
  const stride = Math.ceil((width * bitsPerPixel) / 8)
  const bpp = Math.max(1, bitsPerPixel / 8)
  const pixels = new Uint8Array(stride * height)
  for (let y = 0; y < height; y++) {
    const filter = raw[y * (stride + 1)]
    const line = raw.subarray(y * (stride + 1) + 1, (y + 1) * (stride + 1))
    const out = pixels.subarray(y * stride, (y + 1) * stride)
    const prev = y > 0 ? pixels.subarray((y - 1) * stride, y * stride) : null
    for (let x = 0; x < stride; x++) {
      const a = x >= bpp ? out[x - bpp]! : 0
      const b = prev ? prev[x]! : 0
      const c = prev && x >= bpp ? prev[x - bpp]! : 0
      const v = line[x]!
      out[x] = (filter === 1 ? v + a : filter === 2 ? v + b : filter === 3 ? v + ((a + b) >> 1) : filter === 4 ? v + paeth(a, b, c) : v) & 0xff
    }
  }

  const rgba = new Uint8Array(width * height * 4)
  const sample = (row: number, index: number) =>
    depth === 16 ? pixels[row * stride + index * 2]! : pixels[row * stride + index]!
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const o = (y * width + x) * 4
      if (colorType === 3) {
        const bitOffset = x * depth
        const byte = pixels[y * stride + (bitOffset >> 3)]!
        const index = (byte >> (8 - depth - (bitOffset & 7))) & ((1 << depth) - 1)
        rgba[o] = palette?.[index * 3] ?? 0
        rgba[o + 1] = palette?.[index * 3 + 1] ?? 0
        rgba[o + 2] = palette?.[index * 3 + 2] ?? 0
        rgba[o + 3] = transparency?.[index] ?? 255
      } else {
        const base = x * channels
        const gray = colorType === 0 || colorType === 4
        rgba[o] = sample(y, base)
        rgba[o + 1] = gray ? sample(y, base) : sample(y, base + 1)
        rgba[o + 2] = gray ? sample(y, base) : sample(y, base + 2)
        rgba[o + 3] = colorType === 4 ? sample(y, base + 1) : colorType === 6 ? sample(y, base + 3) : 255
      }
    }
  }
  return { width, height, rgba }
}

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1
  return c >>> 0
})

function crc32(bytes: Uint8Array): number {
  let c = 0xffffffff
  for (const b of bytes) c = CRC_TABLE[(c ^ b) & 0xff]! ^ (c >>> 8)
  return (c ^ 0xffffffff) >>> 0
}

/** One PNG chunk (length, type, data, CRC). */
export function pngChunk(type: string, data: Uint8Array): Uint8Array {
  const out = new Uint8Array(12 + data.length)
  const view = new DataView(out.buffer)
  view.setUint32(0, data.length)
  for (let i = 0; i < 4; i++) out[4 + i] = type.charCodeAt(i)
  out.set(data, 8)
  view.setUint32(8 + data.length, crc32(out.subarray(4, 8 + data.length)))
  return out
}

/** Encodes 8-bit RGBA pixels as a PNG (filter 0, zlib through CompressionStream). */
export async function encodePng(width: number, height: number, rgba: Uint8Array): Promise<Uint8Array> {
  const stride = width * 4
  const raw = new Uint8Array((stride + 1) * height)
  for (let y = 0; y < height; y++) raw.set(rgba.subarray(y * stride, (y + 1) * stride), y * (stride + 1) + 1)
  const compressed = new Uint8Array(
    await new Response(new Blob([raw]).stream().pipeThrough(new CompressionStream('deflate'))).arrayBuffer(),
  )
  const ihdr = new Uint8Array(13)
  const view = new DataView(ihdr.buffer)
  view.setUint32(0, width)
  view.setUint32(4, height)
  ihdr.set([8, 6, 0, 0, 0], 8)
  const parts = [new Uint8Array(SIGNATURE), pngChunk('IHDR', ihdr), pngChunk('IDAT', compressed), pngChunk('IEND', new Uint8Array())]
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0))
  parts.reduce((offset, p) => (out.set(p, offset), offset + p.length), 0)
  return out
}
