import { eq, inArray } from 'drizzle-orm'
import { livePhotos, type LivePhoto, type LiveSession } from '../../../db/schema'
import type { Db } from '../../../env'
import { inChunks } from '../../../lib/d1-chunks'
import { notFound } from '../../../lib/errors'
import { publishToRoom } from '../room/service'
import { bareDto, imagesById, photoDtos, toPhotoDto } from './dto'
import { changeEvents, photoEvents } from './events'
import type { BatchAction, LivePhotoDto, PhotoUpdate } from './schemas'
import { prepareGuestVariants } from './serve'
import { deletePhotos, type WaitUntil } from './service'

/** The owner captions, approves, hides or features one photo; guests hear what changed for them. */
export async function updatePhoto(env: Env, db: Db, session: LiveSession, photo: LivePhoto, body: PhotoUpdate, waitUntil: WaitUntil): Promise<LivePhotoDto> {
  const [after] = await db
    .update(livePhotos)
    .set({ caption: body.caption, status: body.status, featured: body.featured, updatedAt: new Date() })
    .where(eq(livePhotos.id, photo.id))
    .returning()
  if (after!.status === 'approved' && photo.status !== 'approved') waitUntil(prepareGuestVariants(env, db, session, [after!]))
  await publishToRoom(env, session, await changeEvents(db, photo, after!, photo.id))
  const [dto] = await photoDtos(env, db, session, [after!], true)
  return dto!
}

/** The owner deletes one photo (with its image); guests who saw it get `photo.removed`. */
export async function removePhoto(env: Env, db: Db, session: LiveSession, photo: LivePhoto): Promise<void> {
  await deletePhotos(env, db, [photo])
  await publishToRoom(env, session, photoEvents(photo, null, photo.id))
}

/**
 * One action on many photos of the owner's sessions: all or nothing (an id that is unknown or
 * someone else's is 404 before anything changes). Each session's guests get one frame.
 */
export async function moderateBatch(env: Env, db: Db, userId: string, ids: string[], action: BatchAction, waitUntil: WaitUntil) {
  const unique = [...new Set(ids)]
  // D1 binds at most 100 parameters: every IN list goes in chunks.
  const photos = await inChunks(db, unique, (part) => db.select().from(livePhotos).where(inArray(livePhotos.id, part)))
  const sessionIds = [...new Set(photos.map((p) => p.sessionId))]
  const sessions = await inChunks(db, sessionIds, (part) =>
    db.query.liveSessions.findMany({ where: (s, { and, eq, inArray, isNull }) => and(inArray(s.id, part), eq(s.ownerId, userId), isNull(s.deletedAt)) }),
  )
  const owned = photos.filter((p) => sessions.some((s) => s.id === p.sessionId))
  if (owned.length !== unique.length) {
    const missing = unique.filter((id) => !owned.some((p) => p.id === id))
    throw notFound(`Photo ${missing.slice(0, 5).join(', ')}`, { missing })
  }
  if (action === 'delete') {
    await deletePhotos(env, db, owned)
    for (const session of sessions) {
      await publishToRoom(env, session, owned.filter((p) => p.sessionId === session.id).flatMap((p) => photoEvents(p, null, p.id)))
    }
    return { updated: owned.length, photos: [] }
  }
  const set = action === 'approve' ? { status: 'approved' as const } : action === 'hide' ? { status: 'hidden' as const } : { featured: action === 'feature' }
  const now = new Date()
  const updated = await inChunks(db, unique, (part) => db.update(livePhotos).set({ ...set, updatedAt: now }).where(inArray(livePhotos.id, part)).returning())
  const images = await imagesById(db, updated.map((p) => p.imageId))
  const dtos: LivePhotoDto[] = []
  for (const session of sessions) {
    const mine = updated.filter((p) => p.sessionId === session.id)
    const events = mine.flatMap((p) => {
      const image = images.get(p.imageId)
      return photoEvents(owned.find((o) => o.id === p.id)!, { status: p.status, dto: bareDto(p, image, true), guestDto: bareDto(p, image, false) }, p.id)
    })
    if ('status' in set && set.status === 'approved') waitUntil(prepareGuestVariants(env, db, session, mine.filter((p) => p.status === 'approved')))
    await publishToRoom(env, session, events)
    dtos.push(...(await Promise.all(mine.map((p) => toPhotoDto(env, session, p, images.get(p.imageId), true)))))
  }
  return { updated: updated.length, photos: dtos }
}
