import { env } from 'cloudflare:test'
import { uploadImagesRoute } from '../../src/features/images/routes'
import { callJson, dataOf } from '../helpers'

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

/** One PNG chunk (length, type, data, CRC), for building test PNGs byte by byte. */
export function pngChunk(type: string, data: Uint8Array): Uint8Array {
  const out = new Uint8Array(12 + data.length)
  const view = new DataView(out.buffer)
  view.setUint32(0, data.length)
  for (let i = 0; i < 4; i++) out[4 + i] = type.charCodeAt(i)
  out.set(data, 8)
  view.setUint32(8 + data.length, crc32(out.subarray(4, 8 + data.length)))
  return out
}

const chunk = pngChunk

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

/**
 * A PNG from already filtered scanlines (each row: filter byte + data), for decoder tests that
 * need layouts makePng does not write (alpha, gray, palette, 16-bit, row filters 1-4).
 */
export async function encodePng(
  header: { width: number; height: number; colorType: number; depth: number },
  scanlines: Uint8Array,
  chunksBeforeIdat: Array<[string, Uint8Array]> = [],
): Promise<Uint8Array> {
  const ihdr = new Uint8Array(13)
  const view = new DataView(ihdr.buffer)
  view.setUint32(0, header.width)
  view.setUint32(4, header.height)
  ihdr.set([header.depth, header.colorType, 0, 0, 0], 8)
  const parts = [
    new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    ...chunksBeforeIdat.map(([type, data]) => chunk(type, data)),
    chunk('IDAT', await deflate(scanlines)),
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

/** Bytes as a Latin-1 string, to search binary data for markers such as "Exif" or "GPS". */
export function latin1(bytes: Uint8Array): string {
  let out = ''
  for (let i = 0; i < bytes.length; i += 8192) out += String.fromCharCode(...bytes.subarray(i, i + 8192))
  return out
}

/** The body of a Response as bytes. */
export async function bytesOf(res: Response): Promise<Uint8Array> {
  return new Uint8Array(await res.arrayBuffer())
}

/** What the Images binding decodes from `bytes` (format and stored pixel size). */
export async function infoOf(bytes: Uint8Array): Promise<{ format: string; width?: number; height?: number }> {
  return (await env.IMAGES.info(new Blob([bytes]).stream())) as { format: string; width?: number; height?: number }
}

/** Re-encodes `bytes` with the Images binding, to get real WebP/AVIF/JPEG files for uploads. */
export async function encodeAs(bytes: Uint8Array, format: 'image/webp' | 'image/avif' | 'image/jpeg' | 'image/png'): Promise<Uint8Array> {
  const result = await env.IMAGES.input(new Blob([bytes]).stream()).output({ format })
  return new Uint8Array(await new Response(result.image()).arrayBuffer())
}

/** Base64 of bytes (for JSON uploads). */
export function base64(bytes: Uint8Array): string {
  return btoa(latin1(bytes))
}

/** A 1x1 GIF89a (the classic transparent pixel). */
export const TINY_GIF = Uint8Array.from(atob('R0lGODlhAQABAIAAAP///wAAACH5BAEAAAAALAAAAAABAAEAAAICRAEAOw=='), (c) => c.charCodeAt(0))

/**
 * Uploads one file as multipart `image` and returns the stored image record; throws with the
 * response body if the upload was not a 201, so setup failures are explicit.
 */
export async function uploadImage(token: string, bytes: Uint8Array, name: string, extra: Record<string, string> = {}) {
  const result = await callJson('POST', '/api/images/upload', formWith('image', [{ bytes, name }], extra), { token })
  if (result.status !== 201) throw new Error(`upload of ${name} failed: ${result.status} ${JSON.stringify(result.body)}`)
  return dataOf(result, uploadImagesRoute, 201).images[0]!
}

/** Waits until the background preview of `imageId` is stored (D1 preview_ready = 1). */
export async function waitForPreview(imageId: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    const row = await env.DB.prepare('SELECT preview_ready AS ready FROM images WHERE id = ?').bind(imageId).first<{ ready: number }>()
    if (row?.ready === 1) return
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
  throw new Error(`preview of ${imageId} not ready after ${timeoutMs} ms`)
}

/** R2 keys stored for one image (original, thumb, preview, clean copy). */
export async function imageKeys(ownerId: string, imageId: string): Promise<string[]> {
  const listed = await env.MEDIA.list({ prefix: `images/${ownerId}/${imageId}/` })
  return listed.objects.map((o) => o.key).sort()
}
