import { badRequest, conflict, duplicateTitle, notFound } from '../../../lib/errors'
import { newId } from '../../../lib/ids'
import { log } from '../../../lib/logger'
import { batchFreeingUnheldImages, holdWorkImageStatement, releaseWorkImagesStatement } from '../../images/references'
import { getSetting } from '../../settings/service'
import type { ReviewStatus } from '../../../db/schema'
import { publicationSet } from '../shared/publication'
import { purgePublicImages } from './public-images'
import type { CreateWorkInput, UpdateWorkInput } from './schemas'

/**
 * Creating, editing and deleting one's works. Every insert takes the work's reference on its
 * image in the same D1 batch, every delete releases it in the same batch (images/references).
 */

/** The generation parameters of task alias `t`, as a work keeps them (`params`). */
const TASK_PARAMS = `json_object('model', t.model, 'width', t.width, 'height', t.height, 'steps', t.steps, 'cfgScale', t.cfg_scale,
  'seed', t.seed, 'sampler', t.sampler, 'clipSkip', t.clip_skip, 'batchSize', t.batch_size, 'sceneId', t.scene_id)`

const NEXT_SEQ = '(SELECT COALESCE(MAX(seq), 0) + 1 FROM works)'

const WORK_INSERT_COLUMNS = `works (id, seq, user_id, image_id, task_id, title, description, prompt, negative_prompt, params, tags,
  category, is_public, review_status, published_at, publish_version, created_at, updated_at)`

/**
 * The statements that make every image of a task that just succeeded a private, untitled work,
 * for the batch that marks the task succeeded (after its UPDATE, which sets `finished_at = now`).
 * A work is only inserted when that UPDATE applied in this batch (status and `finished_at` match
 * this call's `now`), so a redelivered completion never re-creates a work its owner deleted; the
 * unique index on `image_id` and the hold's guard make any repeat harmless.
 */
export function worksForTaskStatements(env: Env, taskId: string, imageIds: readonly string[], now: number): D1PreparedStatement[] {
  return imageIds.flatMap((imageId) => {
    const workId = newId('wrk')
    return [
      env.DB.prepare(
        `INSERT OR IGNORE INTO ${WORK_INSERT_COLUMNS}
         SELECT ?1, ${NEXT_SEQ}, t.user_id, ?2, t.id, NULL, NULL, t.prompt, t.negative_prompt, ${TASK_PARAMS}, '[]', NULL, 0, 'none', NULL, 0, ?4, ?4
           FROM tasks t
          WHERE t.id = ?3 AND t.status = 'succeeded' AND t.finished_at = ?4 AND EXISTS (SELECT 1 FROM images WHERE id = ?2)`,
      ).bind(workId, imageId, taskId, now),
      holdWorkImageStatement(env, imageId, workId),
    ]
  })
}

/** The review status a work gets when its owner makes it public now. */
async function submittedStatus(env: Env): Promise<ReviewStatus> {
  return (await getSetting(env, 'worksReview')) === 'off' ? 'approved' : 'pending'
}

const isUniqueViolation = (error: unknown) => error instanceof Error && /UNIQUE constraint failed/i.test(error.message)
const isImageTaken = (error: unknown) => error instanceof Error && /works\.image_id|works_image_unique/i.test(error.message)

/** 409 DUPLICATE_TITLE when another of the user's works (not `exceptId`) has this title, any case. */
async function assertTitleFree(env: Env, userId: string, title: string, exceptId: string | null): Promise<void> {
  const taken = await env.DB.prepare('SELECT 1 AS x FROM works WHERE user_id = ?1 AND lower(title) = lower(?2) AND id IS NOT ?3')
    .bind(userId, title, exceptId)
    .first()
  if (taken) throw duplicateTitle(title)
}

/** Makes one of the user's own images (not deleted, not an avatar) a work. Answers the new id. */
export async function createWork(env: Env, userId: string, input: CreateWorkInput): Promise<string> {
  const image = await env.DB.prepare('SELECT type, deleted_at AS deletedAt FROM images WHERE id = ?1 AND owner_id = ?2')
    .bind(input.imageId, userId)
    .first<{ type: string; deletedAt: number | null }>()
  if (!image || image.deletedAt !== null) throw notFound('Image')
  if (image.type === 'avatar') throw badRequest('An avatar image cannot be a work', [{ field: 'imageId', message: 'avatar images cannot be works' }])
  const title = input.title ?? null
  if (title) await assertTitleFree(env, userId, title, null)
  const isPublic = input.isPublic === true
  const review: ReviewStatus = isPublic ? await submittedStatus(env) : 'none'
  const published = isPublic && review === 'approved'
  const workId = newId('wrk')
  const now = Date.now()
  let inserted: D1Result
  try {
    ;[inserted] = (await env.DB.batch([
      env.DB.prepare(
        `INSERT INTO ${WORK_INSERT_COLUMNS}
         SELECT ?1, ${NEXT_SEQ}, i.owner_id, i.id, t.id, ?4, ?5, t.prompt, t.negative_prompt, CASE WHEN t.id IS NULL THEN NULL ELSE ${TASK_PARAMS} END,
                ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?12
           FROM images i LEFT JOIN tasks t ON t.id = i.task_id AND i.type = 'generated'
          WHERE i.id = ?2 AND i.owner_id = ?3 AND i.deleted_at IS NULL AND i.type != 'avatar'`,
      ).bind(
        workId,
        input.imageId,
        userId,
        title,
        input.description ?? null,
        JSON.stringify(input.tags ?? []),
        input.category ?? null,
        isPublic ? 1 : 0,
        review,
        published ? now : null,
        published ? 1 : 0,
        now,
      ),
      holdWorkImageStatement(env, input.imageId, workId),
    ])) as [D1Result, D1Result]
  } catch (error) {
    if (isImageTaken(error)) throw conflict('This image is already a work', { imageId: input.imageId })
    if (isUniqueViolation(error) && title) throw duplicateTitle(title)
    throw error
  }
  // The owner deleted the image between the check and the insert.
  if (inserted.meta.changes === 0) throw notFound('Image')
  return workId
}

interface EditableRow {
  is_public: number
  review_status: ReviewStatus
  published_at: number | null
  publish_version: number
  title: string | null
  description: string | null
  tags: string
  category: string | null
}

/** Whether `input` changes what others read of the work (title, description, tags, category). */
function changesText(row: EditableRow, input: UpdateWorkInput): boolean {
  return (
    (input.title !== undefined && input.title !== row.title) ||
    (input.description !== undefined && input.description !== row.description) ||
    (input.tags !== undefined && JSON.stringify(input.tags) !== row.tags) ||
    (input.category !== undefined && input.category !== row.category)
  )
}

const MAX_EDIT_ATTEMPTS = 3

/**
 * Applies the fields present in `input`. Making a private (or rejected) work public submits it
 * to review (approved at once when the `worksReview` setting is off); changing the title,
 * description, tags or category of an approved public work submits it again (with review on);
 * making it private takes it out of the gallery and keeps its review status. The review transition is computed from the row
 * read and written only if that row is unchanged (compare-and-set), so an admin's decision that
 * lands in between is never overwritten: the edit is re-read and re-applied instead.
 */
export async function updateWork(env: Env, userId: string, workId: string, input: UpdateWorkInput, origin: string): Promise<void> {
  if (input.title) await assertTitleFree(env, userId, input.title, workId)
  const submitAs = await submittedStatus(env)
  for (let attempt = 0; attempt < MAX_EDIT_ATTEMPTS; attempt++) {
    const row = await env.DB.prepare(
      'SELECT is_public, review_status, published_at, publish_version, title, description, tags, category FROM works WHERE id = ?1 AND user_id = ?2',
    )
      .bind(workId, userId)
      .first<EditableRow>()
    if (!row) throw notFound('Work')
    const isPublic = input.isPublic === undefined ? row.is_public : input.isPublic ? 1 : 0
    const submits = input.isPublic === true && (row.is_public === 0 || row.review_status === 'none' || row.review_status === 'rejected')
    // New text on a public work is new content: with review on, it waits for review again
    // (and leaves the gallery meanwhile), so an approval never covers text nobody reviewed.
    const rereview = isPublic === 1 && submitAs === 'pending' && row.review_status === 'approved' && changesText(row, input)
    const resubmit = submits || rereview
    const review = resubmit ? submitAs : row.review_status
    // ?1 id, ?2 user, ?3 is_public, ?4 review_status, ?5 now, ?6/?7 the values read; fields from ?8.
    const values: unknown[] = [workId, userId, isPublic, review, Date.now(), row.is_public, row.review_status]
    const sets: string[] = []
    const field = (column: string, value: unknown) => {
      values.push(value)
      sets.push(`${column} = ?${values.length}`)
    }
    if (input.title !== undefined) field('title', input.title)
    if (input.description !== undefined) field('description', input.description)
    if (input.tags !== undefined) field('tags', JSON.stringify(input.tags))
    if (input.category !== undefined) field('category', input.category)
    if (resubmit) sets.push('review_reason = NULL')
    let changed: D1Result
    try {
      changed = await env.DB.prepare(
        `UPDATE works SET ${[...sets, 'is_public = ?3', 'review_status = ?4', 'updated_at = ?5', publicationSet(3, 4, 5)].join(', ')}
          WHERE id = ?1 AND user_id = ?2 AND is_public = ?6 AND review_status = ?7`,
      )
        .bind(...values)
        .run()
    } catch (error) {
      if (isUniqueViolation(error) && input.title) throw duplicateTitle(input.title)
      throw error
    }
    if (changed.meta.changes > 0) {
      const leavesGallery = row.published_at !== null && !(isPublic === 1 && review === 'approved')
      if (leavesGallery) await purgePublicImages(origin, [{ id: workId, version: row.publish_version }])
      return
    }
  }
  log.warn('work edit lost repeated races', { workId })
  throw conflict('The work changed while it was being edited; try again')
}

interface DeletableRow {
  id: string
  image_id: string
  published_at: number | null
  publish_version: number
}

/**
 * Deletes the user's works `ids`, all or nothing: when any id is unknown or not theirs, nothing
 * is deleted and the 404 lists each such id. Each work's image reference is released in the same
 * batch; an image nothing else holds goes with its R2 objects. Answers the ids deleted (a
 * concurrent delete may have taken some first).
 */
export async function deleteWorks(env: Env, userId: string, ids: readonly string[], origin: string): Promise<string[]> {
  const unique = [...new Set(ids)]
  const idsJson = JSON.stringify(unique)
  const { results: rows } = await env.DB.prepare(
    'SELECT id, image_id, published_at, publish_version FROM works WHERE user_id = ?2 AND id IN (SELECT value FROM json_each(?1))',
  )
    .bind(idsJson, userId)
    .all<DeletableRow>()
  const found = new Set(rows.map((r) => r.id))
  const missing = unique.filter((id) => !found.has(id))
  if (missing.length > 0) {
    const what = unique.length === 1 ? 'Work' : `${missing.length} of ${unique.length} works`
    throw notFound(what, { errors: missing.map((id) => ({ id, code: 'NOT_FOUND', error: 'Work not found' })) })
  }
  const [, removed] = await batchFreeingUnheldImages(
    env,
    rows.map((r) => r.image_id),
    [
      releaseWorkImagesStatement(env, idsJson, userId),
      env.DB.prepare('DELETE FROM works WHERE user_id = ?2 AND id IN (SELECT value FROM json_each(?1)) RETURNING id').bind(idsJson, userId),
    ],
  )
  const deleted = ((removed?.results ?? []) as Array<{ id: string }>).map((r) => r.id)
  if (deleted.length === 0) throw notFound('Work')
  const gone = new Set(deleted)
  await purgePublicImages(
    origin,
    rows.filter((r) => gone.has(r.id) && r.published_at !== null).map((r) => ({ id: r.id, version: r.publish_version })),
  )
  return deleted
}
