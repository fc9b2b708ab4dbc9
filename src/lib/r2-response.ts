import { type ApiError, notFound, rangeNotSatisfiable } from './errors'

export interface ObjectResponseOptions {
  /** The client's request: its conditional headers (If-None-Match, …) and Range are honoured. */
  request: Request
  cacheControl: string
  /** Serve a single `bytes=` Range (206, 416) and say so with Accept-Ranges. */
  ranges?: boolean
  vary?: string
  /** Content-Disposition: the name without extension (added from the stored type) and whether to download. */
  filename?: { base: string; download: boolean }
  /** The stored type when the object has none recorded. */
  fallbackType?: string
  /** What a missing object answers, e.g. `notFound('Image')`. */
  missing?: () => ApiError
}

/**
 * An R2 object as an HTTP response: stored type, ETag and 304 for If-None-Match, one Range
 * (206/416) when allowed, caching, `nosniff`, and a safe Content-Disposition. Used by every route
 * that serves stored bytes (images, live photos, avatars).
 */
export async function respondWithObject(bucket: R2Bucket, key: string, options: ObjectResponseOptions): Promise<Response> {
  const missing = options.missing ?? (() => notFound('Object'))
  const range = options.ranges ? await resolveRange(bucket, key, options.request.headers.get('Range'), missing) : null
  const object = await bucket.get(key, { onlyIf: options.request.headers, ...(range ? { range } : {}) })
  if (!object) throw missing()
  const headers = new Headers()
  object.writeHttpMetadata(headers)
  headers.set('ETag', object.httpEtag)
  headers.set('Cache-Control', options.cacheControl)
  headers.set('X-Content-Type-Options', 'nosniff')
  if (options.vary) headers.set('Vary', options.vary)
  if (options.ranges) headers.set('Accept-Ranges', 'bytes')
  if (options.filename) {
    const type = object.httpMetadata?.contentType ?? options.fallbackType ?? 'application/octet-stream'
    headers.set('Content-Disposition', contentDisposition(options.filename.base, type, options.filename.download))
  }
  if (!('body' in object)) return new Response(null, { status: 304, headers })
  if (range) {
    headers.set('Content-Range', `bytes ${range.offset}-${range.offset + range.length - 1}/${object.size}`)
    headers.set('Content-Length', String(range.length))
    return new Response(object.body, { status: 206, headers })
  }
  headers.set('Content-Length', String(object.size))
  return new Response(object.body, { status: 200, headers })
}

/** `inline|attachment; filename="ascii"; filename*=UTF-8''…` with the extension of `type`. */
export function contentDisposition(base: string, type: string, download: boolean): string {
  const ext = (type.split('/')[1] ?? 'bin').split(/[;+]/)[0]!.replace('jpeg', 'jpg')
  const name = `${base}.${ext}`
  const ascii = name.replace(/[^\x20-\x7e]/g, '_').replace(/["\\]/g, '_')
  return `${download ? 'attachment' : 'inline'}; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(name)}`
}

/**
 * A single `bytes=` range checked against the object's size (RFC 9110): null for no range or
 * one we ignore (malformed, multiple ranges: the whole object is served), 416 when unsatisfiable.
 */
async function resolveRange(bucket: R2Bucket, key: string, header: string | null, missing: () => ApiError) {
  const match = header?.trim().match(/^bytes=(\d*)-(\d*)$/)
  if (!match || (match[1] === '' && match[2] === '')) return null
  const head = await bucket.head(key)
  if (!head) throw missing()
  const size = head.size
  let start: number
  let end: number
  if (match[1] === '') {
    const suffix = Number(match[2])
    if (suffix === 0) throw rangeNotSatisfiable(size)
    start = Math.max(0, size - suffix)
    end = size - 1
  } else {
    start = Number(match[1])
    end = match[2] === '' ? size - 1 : Math.min(Number(match[2]), size - 1)
    if (match[2] !== '' && Number(match[2]) < start) return null
  }
  if (start >= size) throw rangeNotSatisfiable(size)
  return { offset: start, length: end - start + 1 }
}
