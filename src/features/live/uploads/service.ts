import { eq } from 'drizzle-orm'
import { liveUploads, type LiveSession } from '../../../db/schema'
import type { Db } from '../../../env'
import { maxImageBytes } from '../../../lib/config'
import { badRequest, conflict, notFound, payloadTooLarge } from '../../../lib/errors'
import { newId } from '../../../lib/ids'
import { storageKeys } from '../../../lib/storage-keys'
import { cleanFilename, inspectAll } from '../../images/upload'
import { publishPhotos, type WaitUntil } from '../photos/service'
import type { LivePhotoDto } from '../photos/schemas'
import { publishToRoom } from '../room/service'
import { PART_SIZE, type UploadDto } from './schemas'

type Part = { partNumber: number; etag: string; size: number }
type UploadRow = typeof liveUploads.$inferSelect

/** Latest copy of each part (a part may be sent again after a dropped connection). */
function uniqueParts(parts: Part[]): Part[] {
  const byNumber = new Map<number, Part>()
  for (const part of parts) byNumber.set(part.partNumber, part)
  return [...byNumber.values()].sort((a, b) => a.partNumber - b.partNumber)
}

const partsOf = (totalBytes: number) => Math.max(1, Math.ceil(totalBytes / PART_SIZE))

function toUploadDto(row: UploadRow): UploadDto {
  const parts = uniqueParts(row.parts)
  return {
    id: row.id,
    filename: row.filename,
    total: row.totalBytes,
    received: parts.reduce((n, p) => n + p.size, 0),
    partSize: PART_SIZE,
    totalParts: partsOf(row.totalBytes),
    parts: parts.map((p) => p.partNumber),
    createdAt: row.createdAt.toISOString(),
  }
}

async function loadUpload(db: Db, session: LiveSession, uploadId: string): Promise<UploadRow> {
  const row = await db.query.liveUploads.findFirst({ where: (u, { and, eq }) => and(eq(u.id, uploadId), eq(u.sessionId, session.id)) })
  if (!row) throw notFound('Upload')
  return row
}

/** Declares an upload of `size` bytes: an R2 multipart upload and its row. */
export async function startUpload(env: Env, db: Db, session: LiveSession, size: number, filename: string | undefined): Promise<UploadDto> {
  if (size > maxImageBytes(env)) throw payloadTooLarge(`Photo is ${size} bytes; the limit is ${maxImageBytes(env)}`)
  const id = newId('upl')
  const key = storageKeys.liveUpload(session.id, id)
  const multipart = await env.MEDIA.createMultipartUpload(key)
  const now = new Date()
  const [row] = await db
    .insert(liveUploads)
    .values({ id, sessionId: session.id, ownerId: session.ownerId, r2UploadId: multipart.uploadId, key, filename: cleanFilename(filename), totalBytes: size, parts: [], createdAt: now, updatedAt: now })
    .returning()
  return toUploadDto(row!)
}

/** What has arrived so far. */
export async function getUpload(db: Db, session: LiveSession, uploadId: string): Promise<UploadDto> {
  return toUploadDto(await loadUpload(db, session, uploadId))
}

/** Stores one part (exactly `partSize` bytes, the last one the rest) and tells the owner's sockets. */
/** Stores one part. The body is read (`readPart`) only after the upload and part number check out. */
export async function storePart(
  env: Env,
  db: Db,
  session: LiveSession,
  uploadId: string,
  partNumber: number,
  readPart: () => Promise<Uint8Array>,
): Promise<UploadDto> {
  const row = await loadUpload(db, session, uploadId)
  const totalParts = partsOf(row.totalBytes)
  if (partNumber > totalParts) throw badRequest(`This upload has ${totalParts} parts`)
  const expected = partNumber < totalParts ? PART_SIZE : row.totalBytes - PART_SIZE * (totalParts - 1)
  const bytes = await readPart()
  if (bytes.length !== expected) throw badRequest(`Part ${partNumber} must be ${expected} bytes, got ${bytes.length}`)
  const part = await env.MEDIA.resumeMultipartUpload(row.key, row.r2UploadId).uploadPart(partNumber, bytes)
  // Appended atomically: parts arriving in parallel never overwrite each other.
  await env.DB.prepare(`UPDATE live_uploads SET parts = json_insert(parts, '$[#]', json(?2)), updated_at = ?3 WHERE id = ?1`)
    .bind(row.id, JSON.stringify({ partNumber, etag: part.etag, size: bytes.length }), Date.now())
    .run()
  const dto = toUploadDto(await loadUpload(db, session, uploadId))
  await publishToRoom(env, session, [{ type: 'upload.progress', data: { uploadId: row.id, received: dto.received, total: dto.total }, audience: 'owner', ephemeral: true }])
  return dto
}

/**
 * Assembles the parts (409 with the `missing` part numbers until all arrived), then publishes the
 * photo like any upload. The staging object and the row go either way.
 */
export async function completeUpload(env: Env, db: Db, session: LiveSession, uploadId: string, waitUntil: WaitUntil): Promise<LivePhotoDto> {
  const row = await loadUpload(db, session, uploadId)
  const dto = toUploadDto(row)
  if (dto.parts.length !== dto.totalParts) {
    const missing = Array.from({ length: dto.totalParts }, (_, i) => i + 1).filter((n) => !dto.parts.includes(n))
    throw conflict(`Upload incomplete: ${dto.parts.length} of ${dto.totalParts} parts received`, { missing })
  }
  await env.MEDIA.resumeMultipartUpload(row.key, row.r2UploadId).complete(uniqueParts(row.parts).map(({ partNumber, etag }) => ({ partNumber, etag })))
  try {
    const object = await env.MEDIA.get(row.key)
    if (!object) throw notFound('Upload')
    const inspected = await inspectAll(env, [{ blob: await object.blob(), declaredType: null, filename: row.filename }])
    const [photo] = await publishPhotos(env, db, session, inspected, waitUntil)
    return photo!
  } finally {
    // The assembled object was only a staging copy; the photo lives under images/ now.
    await env.MEDIA.delete(row.key)
    await db.delete(liveUploads).where(eq(liveUploads.id, row.id))
  }
}

/** Abandons an upload: its R2 parts and its row. */
export async function abortUpload(env: Env, db: Db, session: LiveSession, uploadId: string): Promise<void> {
  const row = await loadUpload(db, session, uploadId)
  await env.MEDIA.resumeMultipartUpload(row.key, row.r2UploadId).abort().catch(() => {})
  await db.delete(liveUploads).where(eq(liveUploads.id, row.id))
}

/** Cron: abandons resumable uploads nobody touched for a day (at most 100 per run). Answers how many. */
export async function abandonStaleUploads(env: Env, now = Date.now()): Promise<number> {
  const { results } = await env.DB.prepare('SELECT id, key, r2_upload_id AS uploadId FROM live_uploads WHERE updated_at < ?1 LIMIT 100')
    .bind(now - 86_400_000)
    .all<{ id: string; key: string; uploadId: string }>()
  for (const upload of results) {
    await env.MEDIA.resumeMultipartUpload(upload.key, upload.uploadId).abort().catch(() => {})
    await env.DB.prepare('DELETE FROM live_uploads WHERE id = ?1').bind(upload.id).run()
  }
  return results.length
}
