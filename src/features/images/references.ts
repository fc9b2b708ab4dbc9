/**
 * Image reference counting for holders other than the owner's own record: a task holds each of
 * its input images from creation (in the charge batch) until it ends. The release runs in the
 * same D1 batch as the statement that ends the task, guarded by the same task states, so it
 * happens exactly once however often an end is attempted (redeliveries, races, cron, DLQ).
 */

type TaskStatus = 'queued' | 'running'

/** The R2 keys of image rows that a batch just deleted (RETURNING rows). */
interface FreedKeys {
  original_key: string
  thumb_key: string
  preview_key: string
  clean_original_key: string | null
}

/** The statement that takes one reference on each input image of a newly inserted task. */
export function holdTaskInputStatement(env: Env, imageId: string, taskId: string): D1PreparedStatement {
  return env.DB.prepare('UPDATE images SET ref_count = ref_count + 1 WHERE id = ?1 AND EXISTS (SELECT 1 FROM tasks WHERE id = ?2)').bind(
    imageId,
    taskId,
  )
}

/**
 * Runs `statements` in one D1 batch that also releases the task's input images if, and only if,
 * the task is still in one of `fromStatuses` when the batch runs. The first of `statements` must
 * be the one that moves the task out of exactly those states. Images left without any holder are
 * deleted in the same batch and their R2 objects right after. Returns the results of `statements`.
 */
export async function batchReleasingTaskInputs(
  env: Env,
  taskId: string,
  fromStatuses: readonly TaskStatus[],
  statements: D1PreparedStatement[],
): Promise<D1Result[]> {
  const states = fromStatuses.map((s) => `'${s}'`).join(', ')
  const inputs = (guard: string) => `SELECT value FROM json_each((SELECT input_image_ids FROM tasks WHERE id = ?1${guard}))`
  const results = await env.DB.batch([
    env.DB.prepare(`UPDATE images SET ref_count = ref_count - 1 WHERE id IN (${inputs(` AND status IN (${states})`)})`).bind(taskId),
    ...statements,
    env.DB.prepare(
      `DELETE FROM images WHERE ref_count <= 0 AND id IN (${inputs('')})
       RETURNING original_key, thumb_key, preview_key, clean_original_key`,
    ).bind(taskId),
  ])
  const freed = (results[results.length - 1]?.results ?? []) as FreedKeys[]
  const keys = freed.flatMap((r) => [r.original_key, r.thumb_key, r.preview_key, r.clean_original_key]).filter((k): k is string => Boolean(k))
  if (keys.length > 0) await env.MEDIA.delete(keys)
  return results.slice(1, results.length - 1)
}

/*
 * Works hold one reference each on their image. The hold is taken in the batch that inserts the
 * work, guarded by the new work's own id (random, so it exists only if that very batch inserted
 * it: a redelivered completion or a lost race inserts nothing and takes nothing). The release
 * runs before the statement that deletes the work, guarded by the work still existing, so two
 * deletes racing release once.
 */

/** Takes the reference of work `workId` on `imageId`; put it after the INSERT of the work. */
export function holdWorkImageStatement(env: Env, imageId: string, workId: string): D1PreparedStatement {
  return env.DB.prepare('UPDATE images SET ref_count = ref_count + 1 WHERE id = ?1 AND EXISTS (SELECT 1 FROM works WHERE id = ?2 AND image_id = ?1)').bind(
    imageId,
    workId,
  )
}

/**
 * Drops the references of the works among `workIds` (a JSON array) that belong to `userId` and
 * still exist; put it before the statement deleting those works, in the same batch.
 */
export function releaseWorkImagesStatement(env: Env, workIdsJson: string, userId: string): D1PreparedStatement {
  return env.DB.prepare(
    `UPDATE images SET ref_count = ref_count - 1
      WHERE id IN (SELECT image_id FROM works WHERE user_id = ?2 AND id IN (SELECT value FROM json_each(?1)))`,
  ).bind(workIdsJson, userId)
}

/**
 * Runs `statements` in one D1 batch that ends by deleting the rows among `imageIds` left without
 * any holder; their R2 objects are deleted right after. Returns the results of `statements`.
 */
export async function batchFreeingUnheldImages(env: Env, imageIds: readonly string[], statements: D1PreparedStatement[]): Promise<D1Result[]> {
  const results = await env.DB.batch([
    ...statements,
    env.DB.prepare(
      `DELETE FROM images WHERE ref_count <= 0 AND id IN (SELECT value FROM json_each(?1))
       RETURNING original_key, thumb_key, preview_key, clean_original_key`,
    ).bind(JSON.stringify(imageIds)),
  ])
  const freed = (results[results.length - 1]?.results ?? []) as FreedKeys[]
  const keys = freed.flatMap((r) => [r.original_key, r.thumb_key, r.preview_key, r.clean_original_key]).filter((k): k is string => Boolean(k))
  if (keys.length > 0) await env.MEDIA.delete(keys)
  return results.slice(0, results.length - 1)
}

/*
 * Chat messages of the AI editor hold one reference on each image of their `image_ids` (a JSON
 * array of distinct ids) for as long as the message row is not deleted; every version of an
 * edited message is a row of its own and holds its own references. The hold is taken in the
 * batch that inserts the row, guarded by the row's own random id (a lost race inserts nothing and
 * takes nothing). A release runs before the statement that marks the rows deleted (or deletes
 * them), counting only rows not yet deleted, so repeated or racing deletes release once.
 */

/** Takes the references of chat message `messageId` on its images; put it after the INSERT of the message. */
export function holdMessageImagesStatement(env: Env, messageId: string): D1PreparedStatement {
  return env.DB.prepare(
    `UPDATE images SET ref_count = ref_count + 1
      WHERE id IN (SELECT value FROM json_each((SELECT image_ids FROM chat_messages WHERE id = ?1 AND deleted_at IS NULL)))`,
  ).bind(messageId)
}

/**
 * Drops one reference per not-deleted message row matching `rows` (a condition on alias `m`) that
 * holds each image. The holders are counted once, grouped by image (not once per image), so a
 * session of many thousands of messages is released in one pass over its rows.
 */
function releaseChatRows(env: Env, rows: string, ...params: unknown[]): D1PreparedStatement {
  return env.DB.prepare(
    `UPDATE images SET ref_count = images.ref_count - held.n
       FROM (SELECT j.value AS image_id, COUNT(*) AS n
               FROM chat_messages m, json_each(m.image_ids) j
              WHERE m.deleted_at IS NULL AND ${rows}
              GROUP BY j.value) AS held
      WHERE images.id = held.image_id`,
  ).bind(...params)
}

/**
 * Drops the references of every version of the message at `seq` in session `sessionId` (the
 * user's, in a session not deleted); put it before the statement marking those versions deleted.
 */
export function releaseMessageImagesStatement(env: Env, sessionId: string, seq: number, userId: string): D1PreparedStatement {
  return releaseChatRows(
    env,
    'm.session_id = ?1 AND m.seq = ?2 AND m.user_id = ?3 AND EXISTS (SELECT 1 FROM chat_sessions s WHERE s.id = ?1 AND s.deleted_at IS NULL)',
    sessionId,
    seq,
    userId,
  )
}

/**
 * Drops the references of every message of session `sessionId` while it is soft-deleted since
 * before `deletedBefore` and still exists; put it before the statements deleting its messages and it.
 */
export function releaseSessionImagesStatement(env: Env, sessionId: string, deletedBefore: number): D1PreparedStatement {
  return releaseChatRows(
    env,
    'm.session_id = ?1 AND EXISTS (SELECT 1 FROM chat_sessions s WHERE s.id = ?1 AND s.deleted_at IS NOT NULL AND s.deleted_at < ?2)',
    sessionId,
    deletedBefore,
  )
}
