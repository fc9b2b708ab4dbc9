import { z } from '@hono/zod-openapi'
import { maxImageBytes } from '../../lib/config'
import { ApiError, badRequest, payloadTooLarge, unsupportedMediaType } from '../../lib/errors'
import { fromBase64 } from '../../lib/ids'
import { validationError } from '../../lib/openapi'
import { type IncomingImage, type InspectedImage, inspectImage } from './pipeline'

export const MAX_FILES_PER_UPLOAD = 20
const FILE_FIELDS = ['image', 'images', 'images[]']

export const UploadOptions = z.object({
  sessionId: z
    .string()
    .regex(/^[A-Za-z0-9_-]{1,64}$/, 'sessionId must be 1-64 letters, digits, _ or -')
    .optional()
    .openapi({ description: 'Your own grouping id (an AI photo session); filter lists by it' }),
  type: z
    .enum(['uploaded', 'avatar'])
    .default('uploaded')
    .openapi({ description: '`generated` and `live` images are made by the server, not uploaded' }),
})

const Base64Image = z.object({
  data: z.string().min(1).openapi({ description: 'Base64, or a data URL (data:image/png;base64,...)' }),
  filename: z.string().max(200).optional(),
})

export const UploadJson = UploadOptions.extend({
  data: Base64Image.shape.data.optional(),
  filename: Base64Image.shape.filename,
  images: z.array(z.union([Base64Image, z.string().min(1)])).min(1).max(MAX_FILES_PER_UPLOAD).optional(),
})
  .refine((b) => (b.data === undefined) !== (b.images === undefined), {
    message: 'Send either `data` (one image) or `images` (a list), not both',
    path: ['data'],
  })
  .openapi('ImageUploadJson')

/** A client's file name, kept only for Content-Disposition: no paths, no control characters. */
export function cleanFilename(name: string | null | undefined): string | null {
  if (!name) return null
  const base = name.split(/[\\/]/).pop() ?? ''
  const cleaned = base.replace(/[\u0000-\u001f\u007f"]/g, '').trim().slice(0, 200)
  return cleaned || null
}

function decodeBase64Image(value: string, filename: string | undefined, maxBytes: number): IncomingImage {
  let declaredType: string | null = null
  let payload = value.trim()
  const dataUrl = payload.match(/^data:([^;,]*)(;[^,]*)?,/)
  if (dataUrl) {
    if (!dataUrl[2]?.includes('base64')) throw badRequest('Data URLs must be base64 encoded')
    declaredType = dataUrl[1] || null
    payload = payload.slice(dataUrl[0].length)
  }
  payload = payload.replace(/\s+/g, '')
  if (payload.length > Math.ceil((maxBytes * 4) / 3) + 4) {
    throw payloadTooLarge(`Image is larger than ${maxBytes} bytes`)
  }
  if (!/^[A-Za-z0-9+/_-]*={0,2}$/.test(payload) || payload.length % 4 === 1) {
    throw badRequest('Image data is not valid base64')
  }
  let bytes: Uint8Array
  try {
    bytes = fromBase64(payload)
  } catch {
    throw badRequest('Image data is not valid base64')
  }
  return { blob: new Blob([bytes]), declaredType, filename: cleanFilename(filename) }
}

export interface ParsedUpload {
  files: IncomingImage[]
  options: z.infer<typeof UploadOptions>
}

/** Reads a multipart or JSON upload request into files and options. */
export async function parseUpload(env: Env, request: Request, fileFields: readonly string[] = FILE_FIELDS): Promise<ParsedUpload> {
  const contentType = request.headers.get('Content-Type') ?? ''
  const maxBytes = maxImageBytes(env)
  if (contentType.startsWith('multipart/form-data')) {
    let form: FormData
    try {
      form = await request.formData()
    } catch {
      throw badRequest('Malformed multipart body')
    }
    const entries = fileFields.flatMap((field) => form.getAll(field))
    if (entries.length === 0) {
      throw badRequest(`Attach a file in the \`${fileFields[0]}\` field (or several in \`${fileFields[1]}\`)`)
    }
    if (entries.length > MAX_FILES_PER_UPLOAD) throw badRequest(`At most ${MAX_FILES_PER_UPLOAD} images per upload`)
    const options = UploadOptions.safeParse({
      sessionId: form.get('sessionId') ?? undefined,
      type: form.get('type') ?? undefined,
    })
    if (!options.success) throw validationError(options.error)
    const files: IncomingImage[] = []
    for (const entry of entries) {
      if (!(entry instanceof File)) throw badRequest('Image fields must be files, not text')
      if (entry.size > maxBytes) throw payloadTooLarge(`${cleanFilename(entry.name) ?? 'Image'} is larger than ${maxBytes} bytes`)
      // The File is a Blob already: it is the one copy every later step streams from.
      files.push({ blob: entry, declaredType: entry.type || null, filename: cleanFilename(entry.name) })
    }
    return { files, options: options.data }
  }
  if (contentType.startsWith('application/json')) {
    let json: unknown
    try {
      json = await request.json()
    } catch {
      throw badRequest('Malformed JSON body')
    }
    const parsed = UploadJson.safeParse(json)
    if (!parsed.success) throw validationError(parsed.error)
    const body = parsed.data
    const items = body.images ?? [{ data: body.data!, filename: body.filename }]
    const files = items.map((item) =>
      typeof item === 'string' ? decodeBase64Image(item, undefined, maxBytes) : decodeBase64Image(item.data, item.filename, maxBytes),
    )
    return { files, options: { sessionId: body.sessionId, type: body.type } }
  }
  throw unsupportedMediaType('Send multipart/form-data or application/json')
}

/**
 * Inspects every file (four at a time to bound memory). All or nothing: if any file is bad,
 * the whole upload fails with that file's status and a per-file report in `details.files`.
 */
export async function inspectAll(env: Env, files: IncomingImage[]): Promise<InspectedImage[]> {
  const results: Array<InspectedImage | ApiError> = new Array(files.length)
  let next = 0
  const worker = async () => {
    while (next < files.length) {
      const index = next++
      try {
        results[index] = await inspectImage(env, files[index]!, { eagerPreview: files.length === 1 })
      } catch (error) {
        if (!(error instanceof ApiError)) throw error
        results[index] = error
      }
    }
  }
  await Promise.all(Array.from({ length: Math.min(4, files.length) }, worker))
  const failures = results.flatMap((r, index) =>
    r instanceof ApiError ? [{ index, filename: files[index]!.filename, status: r.status, code: r.code, error: r.message, cause: r }] : [],
  )
  const first = failures[0]
  if (first) {
    const which = first.filename ? `"${first.filename}"` : `#${first.index + 1}`
    const prefix = files.length > 1 ? `File ${which} of ${files.length}: ` : ''
    const suffix = files.length > 1 ? ' Nothing was stored.' : ''
    throw first.cause.restated(`${prefix}${first.error}.${suffix}`.replace('..', '.'), {
      files: failures.map(({ status: _status, cause: _cause, ...rest }) => rest),
    })
  }
  return results as InspectedImage[]
}
