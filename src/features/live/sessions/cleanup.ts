import { createDb } from '../../../db/client'
import { liveRoom } from '../room/service'
import { deletePhotos } from '../photos/service'
import { errorText, log } from '../../../lib/logger'

/** Photos deleted per step of a session's cleanup (each releases its image). */
export const CLEANUP_PAGE = 100

/** Hands a deleted session to its room, which closes its sockets and deletes it in pages. */
export async function startSessionCleanup(env: Env, sessionId: string): Promise<void> {
  try {
    await liveRoom(env, sessionId).destroy()
  } catch (error) {
    // The cron sweep picks up deleted sessions whose cleanup did not finish.
    log.warn('live session cleanup not started', { sessionId, error: errorText(error) })
  }
}

/**
 * One step of deleting a deleted session: up to CLEANUP_PAGE photos with their images, and once
 * none are left, the uploads in flight, the watermark and the session row. True when finished.
 */
export async function deleteSessionPage(env: Env, sessionId: string): Promise<boolean> {
  const db = createDb(env.DB)
  const session = await db.query.liveSessions.findFirst({ where: (s, { eq }) => eq(s.id, sessionId) })
  if (!session) return true
  if (session.deletedAt === null) return true // not deleted (never happens through the API): keep it
  const photos = await db.query.livePhotos.findMany({ where: (p, { eq }) => eq(p.sessionId, sessionId), limit: CLEANUP_PAGE })
  if (photos.length > 0) {
    await deletePhotos(env, db, photos)
    if (photos.length === CLEANUP_PAGE) return false
  }
  const uploads = await db.query.liveUploads.findMany({ where: (u, { eq }) => eq(u.sessionId, sessionId) })
  for (const upload of uploads) {
    await env.MEDIA.resumeMultipartUpload(upload.key, upload.r2UploadId).abort().catch(() => {})
  }
  if (session.watermark?.key) await env.MEDIA.delete(session.watermark.key)
  // Guests, likes, views and uploads go with the row (ON DELETE CASCADE).
  await env.DB.prepare('DELETE FROM live_sessions WHERE id = ?1').bind(sessionId).run()
  return true
}

/** Cron: restarts cleanups of sessions deleted over 10 minutes ago that are still there. */
export async function resumeStalledCleanups(env: Env, now = Date.now()): Promise<number> {
  const { results } = await env.DB.prepare('SELECT id FROM live_sessions WHERE deleted_at IS NOT NULL AND deleted_at < ?1 LIMIT 20')
    .bind(now - 600_000)
    .all<{ id: string }>()
  for (const row of results) await startSessionCleanup(env, row.id)
  return results.length
}
