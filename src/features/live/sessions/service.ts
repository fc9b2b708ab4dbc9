import { and, count, desc, eq, isNull, sql } from 'drizzle-orm'
import { livePhotos, liveSessions, type LiveSession } from '../../../db/schema'
import type { Db } from '../../../env'
import { badRequest, invalidImage, payloadTooLarge, sessionEnded, unsupportedMediaType } from '../../../lib/errors'
import { newId } from '../../../lib/ids'
import { errorText, log } from '../../../lib/logger'
import { sniffImageMime } from '../../../lib/media'
import { iso, paginate } from '../../../lib/openapi'
import { pageRows } from '../../../lib/pager'
import { storageKeys } from '../../../lib/storage-keys'
import { liveRoom, publishToRoom, roomContext } from '../room/service'
import { hasEnded } from '../shared/ended'
import { signViewerToken, VIEWER_TOKEN_SECONDS } from '../shared/viewer-tokens'
import { startSessionCleanup } from './cleanup'
import { verifyGuest } from './guests'
import type { CreateSession, LiveSessionDto, UpdateSession, VerifyBody } from './schemas'

function generateCode(): string {
  return String(crypto.getRandomValues(new Uint32Array(1))[0]! % 1_000_000).padStart(6, '0')
}

export function toSessionDto(session: LiveSession, owner: boolean, photoCount?: number): LiveSessionDto {
  return {
    id: session.id,
    title: session.title,
    description: session.description,
    coverImageId: session.coverImageId,
    startsAt: iso(session.startsAt),
    endsAt: iso(session.endsAt),
    status: session.status,
    ended: hasEnded(session),
    open: session.accessCode === null,
    ...(owner ? { accessCode: session.accessCode, watermark: session.watermark ?? null } : {}),
    moderation: session.moderation,
    downloadPolicy: session.downloadPolicy,
    ...(photoCount !== undefined ? { photoCount } : {}),
    viewerUrl: `/live/${session.id}`,
    createdAt: session.createdAt.toISOString(),
    updatedAt: session.updatedAt.toISOString(),
  }
}

const dateOrNull = (v: string | null | undefined) => (v === undefined ? undefined : v === null ? null : new Date(v))

function checkWindow(startsAt: Date | null | undefined, endsAt: Date | null | undefined) {
  if (startsAt && endsAt && endsAt <= startsAt) throw badRequest('endsAt must be after startsAt', [{ field: 'endsAt', message: 'Must be after startsAt' }])
}

export async function photoCount(db: Db, sessionId: string): Promise<number> {
  const [row] = await db.select({ n: count() }).from(livePhotos).where(eq(livePhotos.sessionId, sessionId))
  return row?.n ?? 0
}

export async function createSession(db: Db, ownerId: string, body: CreateSession): Promise<LiveSessionDto> {
  const startsAt = dateOrNull(body.startsAt) ?? null
  const endsAt = dateOrNull(body.endsAt) ?? null
  checkWindow(startsAt, endsAt)
  const now = new Date()
  const [session] = await db
    .insert(liveSessions)
    .values({
      id: newId('lvs'),
      ownerId,
      title: body.title,
      description: body.description ?? null,
      coverImageId: body.coverImageId ?? null,
      startsAt,
      endsAt,
      status: body.status ?? 'live',
      accessCode: body.accessCode === undefined ? generateCode() : body.accessCode,
      moderation: body.moderation ?? 'auto',
      downloadPolicy: body.downloadPolicy ?? 'preview',
      createdAt: now,
      updatedAt: now,
    })
    .returning()
  return toSessionDto(session!, true, 0)
}

/** The owner's sessions, newest first. */
export async function listSessions(db: Db, ownerId: string, page: number, limit: number) {
  const where = and(eq(liveSessions.ownerId, ownerId), isNull(liveSessions.deletedAt))
  const { rows, total } = await pageRows(db, liveSessions, where, [desc(liveSessions.createdAt), desc(liveSessions.id)], { page, limit })
  return paginate(rows.map((s) => toSessionDto(s, true)), total, page, limit)
}

/**
 * Applies an owner's edit. Guests get `session.updated`; a new code or the session ending closes
 * guest sockets at once (a later `endsAt` is enforced by the room's alarm).
 */
export async function updateSession(env: Env, db: Db, current: LiveSession, body: UpdateSession): Promise<LiveSessionDto> {
  const startsAt = dateOrNull(body.startsAt)
  const endsAt = dateOrNull(body.endsAt)
  checkWindow(startsAt === undefined ? current.startsAt : startsAt, endsAt === undefined ? current.endsAt : endsAt)
  const newCode = body.regenerateCode ? generateCode() : body.accessCode
  const codeChanges = newCode !== undefined && newCode !== current.accessCode
  if (body.watermark && !current.watermark?.key) throw badRequest('Upload a watermark PNG first (POST /api/live/sessions/:id/watermark)')
  const [session] = await db
    .update(liveSessions)
    .set({
      title: body.title,
      description: body.description,
      coverImageId: body.coverImageId,
      startsAt,
      endsAt,
      status: body.status,
      moderation: body.moderation,
      downloadPolicy: body.downloadPolicy,
      // In SQL: two concurrent code changes never share a version.
      ...(codeChanges ? { accessCode: newCode, codeVersion: sql`${liveSessions.codeVersion} + 1` } : {}),
      ...(body.watermark !== undefined ? { watermark: body.watermark === null ? null : { ...current.watermark!, ...body.watermark, key: current.watermark!.key } } : {}),
      updatedAt: new Date(),
    })
    .where(eq(liveSessions.id, current.id))
    .returning()
  const updated = session!
  await publishToRoom(env, updated, [{ type: 'session.updated', data: { session: toSessionDto(updated, false) }, audience: 'all' }])
  if (codeChanges || (hasEnded(updated) && !hasEnded(current))) {
    await liveRoom(env, updated.id)
      .revokeGuests(codeChanges ? 'The access code changed' : 'This live session has ended', roomContext(env, updated))
      .catch((error: unknown) => log.warn('revoking guests failed', { error: errorText(error) }))
  }
  return toSessionDto(updated, true, await photoCount(db, updated.id))
}

/**
 * Gone for everyone at once; the room closes its sockets and deletes the photos in pages (a
 * session can hold thousands), then the row. The cron sweep restarts a cleanup that stalled.
 */
export async function deleteSession(env: Env, db: Db, session: LiveSession): Promise<void> {
  await db.update(liveSessions).set({ deletedAt: new Date() }).where(eq(liveSessions.id, session.id))
  await startSessionCleanup(env, session.id)
}

/** Viewer tokens end with the session when it has an end time. */
function viewerLifetime(session: LiveSession): number {
  if (!session.endsAt) return VIEWER_TOKEN_SECONDS
  const left = Math.floor((session.endsAt.getTime() - Date.now()) / 1000)
  return Math.max(60, Math.min(VIEWER_TOKEN_SECONDS, left))
}

/** A guest enters the code (none for open sessions): a viewer token for this session and guest. */
export async function admitGuest(env: Env, session: LiveSession, body: VerifyBody, ip: string) {
  if (hasEnded(session)) throw sessionEnded()
  const guest = await verifyGuest(env, session, body, ip)
  const token = await signViewerToken(env, { sessionId: session.id, guestId: guest.guestId, codeVersion: session.codeVersion }, viewerLifetime(session))
  return { viewerToken: token.token, expiresIn: token.expiresIn, guestId: guest.guestId, session: toSessionDto(session, false) }
}

/**
 * Stores the session's watermark PNG (≤ 1 MB, decodable) with default placement, and forgets guest
 * derivatives made with the old one.
 */
export async function storeWatermark(env: Env, db: Db, session: LiveSession, file: File): Promise<LiveSessionDto> {
  if (file.size > 1024 * 1024) throw payloadTooLarge('Watermark is larger than 1 MB')
  const bytes = new Uint8Array(await file.arrayBuffer())
  if (sniffImageMime(bytes) !== 'image/png') throw unsupportedMediaType('Watermark must be a PNG')
  const info = await env.IMAGES.info(new Blob([bytes]).stream()).catch(() => null)
  if (!info || !('width' in info)) throw invalidImage('Watermark could not be decoded')
  const key = storageKeys.watermark(session.ownerId, session.id)
  await env.MEDIA.put(key, bytes, { httpMetadata: { contentType: 'image/png' } })
  const settings = { position: 'bottom-right', opacity: 0.6, scale: 0.2, ...(session.watermark ?? {}), key }
  const [updated] = await db.update(liveSessions).set({ watermark: settings, updatedAt: new Date() }).where(eq(liveSessions.id, session.id)).returning()
  // Guest derivatives made with the old watermark are stale.
  await db.update(livePhotos).set({ guestThumbKey: null, guestPreviewKey: null }).where(eq(livePhotos.sessionId, session.id))
  return toSessionDto(updated!, true)
}
