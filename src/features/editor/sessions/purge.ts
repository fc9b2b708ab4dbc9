import { batchFreeingUnheldImages, releaseSessionImagesStatement } from '../../images/references'
import { errorText, log } from '../../../lib/logger'
import { CHAT_PURGE_AFTER_DAYS } from '../shared/schemas'

const DAY_MS = 86_400_000
/** Sessions purged per cron run at most (each is one D1 batch); the rest wait for the next run. */
const PURGE_BATCH = 25

/**
 * The cron step: sessions soft-deleted more than 30 days ago are deleted with their messages;
 * only then are the messages' image references released (an image nothing else holds goes with
 * its R2 objects), each session in one D1 batch guarded by the session still being there, so two
 * overlapping runs release once. Answers how many sessions were purged.
 */
export async function purgeDeletedSessions(env: Env, now = Date.now()): Promise<number> {
  const cutoff = now - CHAT_PURGE_AFTER_DAYS * DAY_MS
  const { results: due } = await env.DB.prepare(
    'SELECT id FROM chat_sessions WHERE deleted_at IS NOT NULL AND deleted_at < ?1 ORDER BY deleted_at LIMIT ?2',
  )
    .bind(cutoff, PURGE_BATCH)
    .all<{ id: string }>()
  let purged = 0
  for (const { id } of due) {
    try {
      if (await purgeSession(env, id, cutoff)) purged += 1
    } catch (error) {
      // One session that cannot be purged (D1 limits, a bad row) must not hold up the others.
      log.error('chat session purge failed', { sessionId: id, error: errorText(error) })
    }
  }
  return purged
}

/** Purges one session (see purgeDeletedSessions); answers whether this call deleted it. */
async function purgeSession(env: Env, id: string, cutoff: number): Promise<boolean> {
  const { results: held } = await env.DB.prepare(
    'SELECT DISTINCT j.value AS id FROM chat_messages m, json_each(m.image_ids) j WHERE m.session_id = ?1 AND m.deleted_at IS NULL',
  )
    .bind(id)
    .all<{ id: string }>()
  const [, , gone] = await batchFreeingUnheldImages(
    env,
    held.map((h) => h.id),
    [
      releaseSessionImagesStatement(env, id, cutoff),
      env.DB.prepare(
        'DELETE FROM chat_messages WHERE session_id = ?1 AND EXISTS (SELECT 1 FROM chat_sessions WHERE id = ?1 AND deleted_at IS NOT NULL AND deleted_at < ?2)',
      ).bind(id, cutoff),
      env.DB.prepare('DELETE FROM chat_sessions WHERE id = ?1 AND deleted_at IS NOT NULL AND deleted_at < ?2 RETURNING id').bind(id, cutoff),
    ],
  )
  return (gone?.results.length ?? 0) > 0
}
