import { rgbaToThumbHash } from 'thumbhash'
import { maxImageBytes } from '../../lib/config'
import { ApiError, badRequest, invalidImage, payloadTooLarge, unsupportedMediaType } from '../../lib/errors'
import { type ExifResult, readExif } from '../../lib/exif'
import { toBase64, toHex } from '../../lib/ids'
import { headerDimensions, type ImageMime, sniffImageMime } from '../../lib/media'
import { decodePng } from '../../lib/png'
import { errorText, log } from '../../lib/logger'

export const MAX_PIXELS = 100_000_000
export const MAX_SIDE = 12_000
export const THUMB_SIDE = 256
export const PREVIEW_SIDE = 1600
const BINDING_TIMEOUT_MS = 30_000

/**
 * One file as it arrived, before anything is trusted. The Blob is the only full copy held: a
 * multipart File is one already, and every Images binding call and the R2 write stream from it.
 */
export interface IncomingImage {
  blob: Blob
  declaredType: string | null
  filename: string | null
}

/** An image that passed every check, with its thumb and placeholder ready to store. */
export interface InspectedImage {
  original: Blob
  mime: ImageMime
  width: number
  height: number
  sha256: string
  exif: ExifResult
  thumb: Uint8Array
  /** Started as soon as the file is known to be good; awaited after the upload answers. */
  preview: Promise<Uint8Array>
  thumbhash: string | null
  filename: string | null
}

const stream = (bytes: Uint8Array) => new Blob([bytes]).stream()

/**
 * How much of the file is read into memory for sniffing, header dimensions and (for JPEG, whose
 * EXIF sits in APP1 right after SOI) EXIF. Other formats may keep EXIF anywhere (WebP after the
 * image data), so their EXIF is read from the whole file, once.
 */
const HEAD_BYTES = 1024 * 1024

/** SHA-256 of a Blob, streamed (no copy of the file). */
async function sha256OfBlob(blob: Blob): Promise<string> {
  const digest = new crypto.DigestStream('SHA-256')
  await blob.stream().pipeTo(digest)
  return toHex(new Uint8Array(await digest.digest))
}

async function exifOf(blob: Blob, head: Uint8Array, mime: ImageMime): Promise<ExifResult> {
  if (blob.size <= head.length || mime === 'image/jpeg') return readExif(head)
  return readExif(new Uint8Array(await blob.arrayBuffer()))
}

async function bytesOf(result: ImageTransformationResult): Promise<Uint8Array> {
  return new Uint8Array(await new Response(result.image()).arrayBuffer())
}

function withTimeout<T>(promise: Promise<T>, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(invalidImage(`${what} took too long; the image may be corrupted`)), BINDING_TIMEOUT_MS)
  })
  return Promise.race([promise, timeout]).finally(() => {
    if (timer !== undefined) clearTimeout(timer)
  })
}

/** Formats we recognise but the runtime may not decode (e.g. HEIC in local development). */
const MAYBE_UNDECODABLE = new Set<ImageMime>(['image/heic', 'image/avif'])

function decodeFailure(mime: ImageMime): ApiError {
  return MAYBE_UNDECODABLE.has(mime)
    ? unsupportedMediaType(`${mime} images cannot be processed by this server`)
    : invalidImage('The image is corrupted or could not be decoded')
}

/**
 * The bytes decide the type. A declared image type that disagrees is tolerated (browsers and
 * curl declare by file extension, so a PNG named .jpg arrives as image/jpeg); a declared
 * non-image type (text/plain, application/pdf...) contradicts the bytes and is refused.
 */
export function checkDeclaredType(declared: string | null, sniffed: ImageMime) {
  const type = declared?.split(';')[0]?.trim().toLowerCase()
  if (!type || type === 'application/octet-stream' || type.startsWith('image/')) return
  throw unsupportedMediaType(`Content is ${sniffed} but was declared as ${type}`)
}

function checkPixelLimits(width: number, height: number) {
  if (width > MAX_SIDE || height > MAX_SIDE || width * height > MAX_PIXELS) {
    throw invalidImage(
      `Image is ${width}x${height}; the limits are ${MAX_SIDE} px a side and ${MAX_PIXELS / 1_000_000} megapixels`,
    )
  }
  if (width === 0 || height === 0) throw invalidImage('Image has no pixels')
}

/** Displayed size after EXIF orientation (5–8 swap the axes). */
export function orientedSize(width: number, height: number, orientation: number) {
  return orientation >= 5 && orientation <= 8 ? { width: height, height: width } : { width, height }
}

/** The size of a scale-down fit of `width`×`height` into a `side`×`side` box. */
export function fitInside(width: number, height: number, side: number) {
  const scale = Math.min(1, side / Math.max(width, height))
  return { width: Math.max(1, Math.round(width * scale)), height: Math.max(1, Math.round(height * scale)) }
}

/**
 * Checks one image end to end (size, magic bytes, declared type, real decoded dimensions,
 * pixel limits) and makes its thumb and ThumbHash. Throws a 4xx ApiError for anything bad.
 */
export async function inspectImage(env: Env, file: IncomingImage, opts: { eagerPreview?: boolean } = {}): Promise<InspectedImage> {
  const { blob } = file
  if (blob.size === 0) throw badRequest('The file is empty')
  const limit = maxImageBytes(env)
  if (blob.size > limit) {
    throw payloadTooLarge(`Image is ${blob.size} bytes; the limit is ${limit} bytes`)
  }
  const head = new Uint8Array(await blob.slice(0, HEAD_BYTES).arrayBuffer())
  const mime = sniffImageMime(head)
  if (!mime) throw unsupportedMediaType('Not an image Darkroom can process (JPEG, PNG, WebP, GIF, AVIF or HEIC)')
  checkDeclaredType(file.declaredType, mime)
  const declared = headerDimensions(head, mime)
  if (declared) checkPixelLimits(declared.width, declared.height)

  // With header dimensions already checked, decoding is safe and info() can run alongside the
  // thumb; otherwise (AVIF/HEIC) the decoder's answer must come first.
  const infoPromise = readInfo(env, blob, mime)
  if (!declared) checkPixelLimits(...dims(await infoPromise))
  // The preview is the slowest derivative. For a single file, start it with the checks so it
  // overlaps them (a bad file's attempt simply fails). In a batch, wait until this file passed, so
  // a batch refused for another file costs few transformations.
  let preview = opts.eagerPreview ? renderPreview(env, blob.stream()) : null
  preview?.catch(() => {})
  const [info, exif, sha256, thumb] = await Promise.all([
    infoPromise,
    exifOf(blob, head, mime),
    sha256OfBlob(blob),
    renderThumb(env, blob, mime),
  ])
  checkPixelLimits(...dims(info))
  preview ??= renderPreview(env, blob.stream())
  preview.catch(() => {})
  const { width, height } = orientedSize(info.width, info.height, exif.orientation)
  return {
    original: blob,
    mime,
    width,
    height,
    sha256,
    exif,
    thumb,
    preview,
    thumbhash: await thumbHashOf(env, thumb),
    filename: file.filename,
  }
}

const dims = (info: { width: number; height: number }) => [info.width, info.height] as const

async function readInfo(env: Env, blob: Blob, mime: ImageMime): Promise<{ width: number; height: number }> {
  let info: ImageInfoResponse
  try {
    info = await withTimeout(env.IMAGES.info(blob.stream()), 'Reading the image')
  } catch (error) {
    if (error instanceof ApiError) throw error
    throw decodeFailure(mime)
  }
  if (!('width' in info)) throw unsupportedMediaType('Vector images are not accepted')
  return info
}

/** Longest side ≤ 256, WebP, orientation applied, no metadata. */
async function renderThumb(env: Env, blob: Blob, mime: ImageMime): Promise<Uint8Array> {
  try {
    const result = await withTimeout(
      env.IMAGES.input(blob.stream())
        .transform({ width: THUMB_SIDE, height: THUMB_SIDE, fit: 'scale-down' })
        .output({ format: 'image/webp', quality: 80 }),
      'Making the thumbnail',
    )
    return await bytesOf(result)
  } catch (error) {
    if (error instanceof ApiError) throw error
    throw decodeFailure(mime)
  }
}

/** Longest side ≤ 1600, WebP, orientation applied, no metadata. */
export async function renderPreview(env: Env, original: ReadableStream<Uint8Array>): Promise<Uint8Array> {
  const result = await env.IMAGES.input(original)
    .transform({ width: PREVIEW_SIDE, height: PREVIEW_SIDE, fit: 'scale-down' })
    .output({ format: 'image/webp', quality: 82 })
  return bytesOf(result)
}

/**
 * A ThumbHash placeholder from a ≤ 64 px PNG rendition of the thumb. A placeholder is a nicety:
 * failures give null, never a failed upload.
 */
async function thumbHashOf(env: Env, thumb: Uint8Array): Promise<string | null> {
  try {
    const tiny = await env.IMAGES.input(stream(thumb))
      .transform({ width: 64, height: 64, fit: 'scale-down' })
      .output({ format: 'image/png' })
    const { width, height, rgba } = await decodePng(await bytesOf(tiny))
    return toBase64(rgbaToThumbHash(width, height, rgba))
  } catch (error) {
    log.warn('thumbhash failed', { error: errorText(error) })
    return null
  }
}
