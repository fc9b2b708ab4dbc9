import { env } from 'cloudflare:test'

/** Bytes of a real camera photo from ../shared/fixtures/photos. */
export function fixturePhoto(name: string): Uint8Array {
  const b64 = env.FIXTURE_PHOTOS[name]
  if (!b64) throw new Error(`no fixture ${name}`)
  return Uint8Array.from(atob(b64), (ch) => ch.charCodeAt(0))
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

function chunk(type: string, data: Uint8Array): Uint8Array {
  const out = new Uint8Array(12 + data.length)
  const view = new DataView(out.buffer)
  view.setUint32(0, data.length)
  out.set(new TextEncoder().encode(type), 4)
  out.set(data, 8)
  view.setUint32(8 + data.length, crc32(out.subarray(4, 8 + data.length)))
  return out
}

async function deflate(bytes: Uint8Array): Promise<Uint8Array> {
  const stream = new Blob([bytes]).stream().pipeThrough(new CompressionStream('deflate'))
  return new Uint8Array(await new Response(stream).arrayBuffer())
}

/**
 * A valid RGB PNG made in the test: a horizontal gradient, so it is not a flat colour.
 * `claimWidth/claimHeight` write a different size into the header (pixel-flood tests).
 */
export async function makePng(
  width: number,
  height: number,
  opts: { claimWidth?: number; claimHeight?: number; extraChunks?: Array<[string, Uint8Array]> } = {},
): Promise<Uint8Array> {
  const raw = new Uint8Array((width * 3 + 1) * height)
  for (let y = 0; y < height; y++) {
    raw[y * (width * 3 + 1)] = 0
    for (let x = 0; x < width; x++) {
      const o = y * (width * 3 + 1) + 1 + x * 3
      raw[o] = Math.round((x / Math.max(1, width - 1)) * 255)
      raw[o + 1] = Math.round((y / Math.max(1, height - 1)) * 255)
      raw[o + 2] = 128
    }
  }
  const ihdr = new Uint8Array(13)
  const view = new DataView(ihdr.buffer)
  view.setUint32(0, opts.claimWidth ?? width)
  view.setUint32(4, opts.claimHeight ?? height)
  ihdr.set([8, 2, 0, 0, 0], 8)
  const parts = [
    new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    ...(opts.extraChunks ?? []).map(([type, data]) => chunk(type, data)),
    chunk('IDAT', await deflate(raw)),
    chunk('IEND', new Uint8Array()),
  ]
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0))
  parts.reduce((offset, p) => (out.set(p, offset), offset + p.length), 0)
  return out
}

/** A multipart body with files under `field`. */
export function formWith(field: string, files: Array<{ bytes: Uint8Array; name: string; type?: string }>, extra: Record<string, string> = {}) {
  const form = new FormData()
  for (const f of files) form.append(field, new File([f.bytes], f.name, { type: f.type ?? '' }))
  for (const [k, v] of Object.entries(extra)) form.append(k, v)
  return form
}
