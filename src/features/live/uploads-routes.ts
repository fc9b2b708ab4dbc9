import { createRoute, z } from '@hono/zod-openapi'
import { eq } from 'drizzle-orm'
import type { Context } from 'hono'
import { liveUploads, type LiveSession } from '../../db/schema'
import type { AppEnv } from '../../env'
import { requireAuth } from '../../lib/auth'
import { maxImageBytes } from '../../lib/config'
import { badRequest, conflict, notFound, payloadTooLarge } from '../../lib/errors'
import { newId } from '../../lib/ids'
import { bearerAuth, createRouter, errors, jsonBody, ok } from '../../lib/openapi'
import { storageKeys } from '../../lib/storage-keys'
import { finishDerivatives } from '../images/service'
import { cleanFilename, inspectAll } from '../images/upload'
import { loadOwnSession } from './access'
import { publishToRoom } from './events'
import { addPhotos, bothDtos, photoDtos, photoEvents } from './photos'
import { PhotoSchema } from './schemas'

const tags = ['Live uploads']
const auth = { security: bearerAuth, middleware: [requireAuth] }
/** R2 needs every part but the last to be the same size, at least 5 MiB. */
export const PART_SIZE = 5 * 1024 * 1024

const UploadSchema = z
  .object({
    id: z.string(),
    filename: z.string().nullable(),
    total: z.number().int(),
    received: z.number().int(),
    partSize: z.number().int(),
    totalParts: z.number().int(),
    parts: z.array(z.number().int()).openapi({ description: 'Part numbers received so far (1-based)' }),
    createdAt: z.string(),
  })
  .openapi('LiveUpload')

const Params = z.object({ id: z.string().max(64), uploadId: z.string().max(64) })

type Part = { partNumber: number; etag: string; size: number }
type UploadRow = typeof liveUploads.$inferSelect

/** Latest copy of each part (a part may be sent again after a dropped connection). */
function uniqueParts(parts: Part[]): Part[] {
  const byNumber = new Map<number, Part>()
  for (const part of parts) byNumber.set(part.partNumber, part)
  return [...byNumber.values()].sort((a, b) => a.partNumber - b.partNumber)
}

function toUploadDto(row: UploadRow) {
  const parts = uniqueParts(row.parts)
  return {
    id: row.id,
    filename: row.filename,
    total: row.totalBytes,
    received: parts.reduce((n, p) => n + p.size, 0),
    partSize: PART_SIZE,
    totalParts: Math.max(1, Math.ceil(row.totalBytes / PART_SIZE)),
    parts: parts.map((p) => p.partNumber),
    createdAt: row.createdAt.toISOString(),
  }
}

async function loadUpload(c: Context<AppEnv>, session: LiveSession, uploadId: string) {
  const row = await c.var.db.query.liveUploads.findFirst({ where: (u, { and, eq }) => and(eq(u.id, uploadId), eq(u.sessionId, session.id)) })
  if (!row) throw notFound('Upload')
  return row
}

const createUpload = createRoute({
  method: 'post', path: '/sessions/{id}/uploads', tags, ...auth, summary: 'Start a resumable upload',
  description:
    'For big photos on flaky venue networks: declare the size, then PUT parts of `partSize` bytes (the last may be shorter) in any order, ' +
    'resend any part that failed, GET the upload to see what arrived, then POST /complete. Backed by R2 multipart uploads. ' +
    'Every part pushes `upload.progress {uploadId, received, total}` to the owner\'s sockets.',
  request: { params: z.object({ id: z.string().max(64) }), body: jsonBody(z.object({ size: z.number().int().min(1), filename: z.string().max(200).optional() }).openapi('StartLiveUpload')) },
  responses: { 201: ok(z.object({ upload: UploadSchema }), 'Started'), ...errors(400, 401, 404, 413) },
})
const putPart = createRoute({
  method: 'put', path: '/sessions/{id}/uploads/{uploadId}/parts/{partNumber}', tags, ...auth, summary: 'Send one part',
  request: {
    params: Params.extend({ partNumber: z.coerce.number().int().min(1).max(10_000) }),
    body: { required: true, content: { 'application/octet-stream': { schema: { type: 'string', format: 'binary' } } } },
  },
  responses: { 200: ok(z.object({ upload: UploadSchema }), 'Part stored'), ...errors(400, 401, 404, 413) },
})
const getUpload = createRoute({
  method: 'get', path: '/sessions/{id}/uploads/{uploadId}', tags, ...auth, summary: 'What has arrived', request: { params: Params },
  responses: { 200: ok(z.object({ upload: UploadSchema }), 'Upload'), ...errors(401, 404) },
})
const complete = createRoute({
  method: 'post', path: '/sessions/{id}/uploads/{uploadId}/complete', tags, ...auth, summary: 'Finish: check and publish the photo',
  description: 'Assembles the parts, then the photo passes the same checks as any upload (415/422 and nothing kept on failure).',
  request: { params: Params },
  responses: { 201: ok(z.object({ photo: PhotoSchema }), 'Stored'), ...errors(400, 401, 404, 409, 413, 415, 422) },
})
const abort = createRoute({
  method: 'delete', path: '/sessions/{id}/uploads/{uploadId}', tags, ...auth, summary: 'Abandon an upload', request: { params: Params },
  responses: { 200: ok(z.object({ aborted: z.literal(true) }), 'Aborted'), ...errors(401, 404) },
})

export const liveUploadRoutes = createRouter()
  .openapi(createUpload, async (c) => {
    const session = await loadOwnSession(c, c.req.valid('param').id)
    const { size, filename } = c.req.valid('json')
    if (size > maxImageBytes(c.env)) throw payloadTooLarge(`Photo is ${size} bytes; the limit is ${maxImageBytes(c.env)}`)
    const id = newId('upl')
    const key = storageKeys.liveUpload(session.id, id)
    const multipart = await c.env.MEDIA.createMultipartUpload(key)
    const now = new Date()
    const [row] = await c.var.db
      .insert(liveUploads)
      .values({ id, sessionId: session.id, ownerId: session.ownerId, r2UploadId: multipart.uploadId, key, filename: cleanFilename(filename), totalBytes: size, parts: [], createdAt: now, updatedAt: now })
      .returning()
    return c.json({ success: true as const, data: { upload: toUploadDto(row!) } }, 201)
  })
  .openapi(putPart, async (c) => {
    const { id, uploadId, partNumber } = c.req.valid('param')
    const session = await loadOwnSession(c, id)
    const row = await loadUpload(c, session, uploadId)
    const totalParts = Math.max(1, Math.ceil(row.totalBytes / PART_SIZE))
    if (partNumber > totalParts) throw badRequest(`This upload has ${totalParts} parts`)
    const expected = partNumber < totalParts ? PART_SIZE : row.totalBytes - PART_SIZE * (totalParts - 1)
    const bytes = new Uint8Array(await c.req.arrayBuffer())
    if (bytes.length !== expected) throw badRequest(`Part ${partNumber} must be ${expected} bytes, got ${bytes.length}`)
    const part = await c.env.MEDIA.resumeMultipartUpload(row.key, row.r2UploadId).uploadPart(partNumber, bytes)
    // Appended atomically: parts arriving in parallel never overwrite each other.
    await c.env.DB.prepare(`UPDATE live_uploads SET parts = json_insert(parts, '$[#]', json(?2)), updated_at = ?3 WHERE id = ?1`)
      .bind(row.id, JSON.stringify({ partNumber, etag: part.etag, size: bytes.length }), Date.now())
      .run()
    const updated = await loadUpload(c, session, uploadId)
    const dto = toUploadDto(updated)
    await publishToRoom(c.env, session, [{ type: 'upload.progress', data: { uploadId: row.id, received: dto.received, total: dto.total }, audience: 'owner', ephemeral: true }])
    return c.json({ success: true as const, data: { upload: dto } }, 200)
  })
  .openapi(getUpload, async (c) => {
    const { id, uploadId } = c.req.valid('param')
    const session = await loadOwnSession(c, id)
    return c.json({ success: true as const, data: { upload: toUploadDto(await loadUpload(c, session, uploadId)) } }, 200)
  })
  .openapi(complete, async (c) => {
    const { id, uploadId } = c.req.valid('param')
    const session = await loadOwnSession(c, id)
    const row = await loadUpload(c, session, uploadId)
    const dto = toUploadDto(row)
    if (dto.parts.length !== dto.totalParts) {
      throw conflict(`Upload incomplete: ${dto.parts.length} of ${dto.totalParts} parts received`, { missing: Array.from({ length: dto.totalParts }, (_, i) => i + 1).filter((n) => !dto.parts.includes(n)) })
    }
    const multipart = c.env.MEDIA.resumeMultipartUpload(row.key, row.r2UploadId)
    await multipart.complete(uniqueParts(row.parts).map(({ partNumber, etag }) => ({ partNumber, etag })))
    try {
      const object = await c.env.MEDIA.get(row.key)
      if (!object) throw notFound('Upload')
      const inspected = await inspectAll(c.env, [{ blob: await object.blob(), declaredType: null, filename: row.filename }])
      const { photos, stored } = await addPhotos(c.env, c.var.db, session, inspected)
      c.executionCtx.waitUntil(finishDerivatives(c.env, c.var.db, stored, inspected))
      const [ownerDto] = await photoDtos(c.env, c.var.db, session, photos, true)
      const [dto, guestDto] = await bothDtos(c.var.db, photos[0]!)
      await publishToRoom(c.env, session, photoEvents(null, { ...photos[0]!, dto, guestDto }, photos[0]!.id))
      return c.json({ success: true as const, data: { photo: ownerDto! } }, 201)
    } finally {
      // The assembled object was only a staging copy; the photo lives under images/ now.
      await c.env.MEDIA.delete(row.key)
      await c.var.db.delete(liveUploads).where(eq(liveUploads.id, row.id))
    }
  })
  .openapi(abort, async (c) => {
    const { id, uploadId } = c.req.valid('param')
    const session = await loadOwnSession(c, id)
    const row = await loadUpload(c, session, uploadId)
    await c.env.MEDIA.resumeMultipartUpload(row.key, row.r2UploadId).abort().catch(() => {})
    await c.var.db.delete(liveUploads).where(eq(liveUploads.id, row.id))
    return c.json({ success: true as const, data: { aborted: true as const } }, 200)
  })
