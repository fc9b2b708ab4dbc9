import type { AuthUser } from '../../../env'
import { notFound } from '../../../lib/errors'
import { newId } from '../../../lib/ids'
import { paginate } from '../../../lib/openapi'
import { hitRateLimits, RATE_LIMITS } from '../../../lib/rate-limit'
import { notifyWorkCommented } from './events'
import type { CommentDto } from './schemas'

/** The work `?1` as viewer `?2` (NULL: anonymous) may see it: in the gallery, or their own. */
const VISIBLE_WORK = 'SELECT id, user_id AS ownerId, comments_count AS commentsCount FROM works WHERE id = ?1 AND (published_at IS NOT NULL OR user_id = ?2)'

const COMMENT_COLUMNS = `c.id, c.work_id AS workId, c.text, c.created_at AS createdAt, c.user_id AS authorId,
  u.username AS authorUsername, u.avatar_url AS authorAvatarUrl`

interface CommentRow {
  id: string
  workId: string
  text: string
  createdAt: number
  authorId: string
  authorUsername: string
  authorAvatarUrl: string | null
}

interface WorkRef {
  id: string
  ownerId: string
  commentsCount: number
}

function toCommentDto(row: CommentRow, canDelete: boolean): CommentDto {
  return {
    id: row.id,
    workId: row.workId,
    text: row.text,
    author: { id: row.authorId, username: row.authorUsername, avatarUrl: row.authorAvatarUrl },
    createdAt: new Date(row.createdAt).toISOString(),
    canDelete,
  }
}

/** Who may delete a comment: its author, the work's owner, an admin. */
const mayDelete = (viewer: AuthUser | null, authorId: string, ownerId: string) =>
  viewer !== null && (viewer.id === authorId || viewer.id === ownerId || viewer.role === 'admin')

/**
 * One page of a work's comments, newest first, with the work's visibility check and the total,
 * in one D1 batch. Works outside the gallery are 404 unless they are the viewer's own.
 */
export async function listComments(env: Env, viewer: AuthUser | null, workId: string, page: number, limit: number) {
  const d1 = env.DB
  const viewerId = viewer?.id ?? null
  const [work, items] = await d1.batch([
    d1.prepare(VISIBLE_WORK).bind(workId, viewerId),
    d1
      .prepare(
        `SELECT ${COMMENT_COLUMNS} FROM work_comments c JOIN users u ON u.id = c.user_id
          WHERE c.work_id = ?1 AND EXISTS (${VISIBLE_WORK})
          ORDER BY c.created_at DESC, c.id DESC LIMIT ?3 OFFSET ?4`,
      )
      .bind(workId, viewerId, limit, (page - 1) * limit),
  ])
  const ref = work!.results[0] as WorkRef | undefined
  if (!ref) throw notFound('Work')
  const rows = items!.results as CommentRow[]
  return paginate(rows.map((r) => toCommentDto(r, mayDelete(viewer, r.authorId, ref.ownerId))), ref.commentsCount, page, limit)
}

/**
 * Adds a plain-text comment (already validated: trimmed, 1..500 characters) by `author` to a work
 * in the gallery or of their own. Rate-limited per user (`RATE_LIMITS.commentsPerUser*`: 429 with
 * Retry-After). The insert and the new count are one batch; the owner hears of it (coalesced,
 * never about their own comments).
 */
export async function addComment(env: Env, author: AuthUser, workId: string, text: string, now = Date.now()) {
  await hitRateLimits(env.DB, [
    [`comments:minute:${author.id}`, RATE_LIMITS.commentsPerUserMinute],
    [`comments:day:${author.id}`, RATE_LIMITS.commentsPerUserDay],
  ], now)
  const d1 = env.DB
  const id = newId('cmt')
  const [, state] = await d1.batch([
    d1
      .prepare(
        `INSERT INTO work_comments (id, work_id, user_id, text, created_at)
         SELECT ?3, ?1, ?2, ?4, ?5 WHERE EXISTS (${VISIBLE_WORK})`,
      )
      .bind(workId, author.id, id, text, now),
    d1
      .prepare(
        `SELECT ${COMMENT_COLUMNS}, w.user_id AS ownerId, w.comments_count AS commentsCount
           FROM work_comments c JOIN users u ON u.id = c.user_id JOIN works w ON w.id = c.work_id WHERE c.id = ?1`,
      )
      .bind(id),
  ])
  const row = state!.results[0] as (CommentRow & { ownerId: string; commentsCount: number }) | undefined
  if (!row) throw notFound('Work')
  const comment = toCommentDto(row, true)
  const { id: cid, text: body, author: by, createdAt } = comment
  const notify = notifyWorkCommented(env, row.ownerId, workId, row.commentsCount, { id: cid, text: body, author: by, createdAt })
  return { comment, commentsCount: row.commentsCount, notify }
}

/**
 * Deletes a comment when `viewer` wrote it, owns the work, or is an admin; anyone else gets 404
 * (as for a missing comment). Answers the work's comment count after the delete: read before it
 * in the same batch (one transaction), minus the one row removed.
 */
export async function deleteComment(env: Env, viewer: AuthUser, commentId: string) {
  const d1 = env.DB
  const [before, deleted] = await d1.batch([
    d1.prepare('SELECT w.comments_count AS commentsCount FROM work_comments c JOIN works w ON w.id = c.work_id WHERE c.id = ?1').bind(commentId),
    d1
      .prepare(
        `DELETE FROM work_comments WHERE id = ?1 AND (user_id = ?2 OR ?3 = 1
           OR EXISTS (SELECT 1 FROM works w WHERE w.id = work_comments.work_id AND w.user_id = ?2))
         RETURNING work_id AS workId`,
      )
      .bind(commentId, viewer.id, viewer.role === 'admin' ? 1 : 0),
  ])
  const gone = deleted!.results[0] as { workId: string } | undefined
  const count = before!.results[0] as { commentsCount: number } | undefined
  if (!gone || !count) throw notFound('Comment')
  return { deleted: true as const, id: commentId, workId: gone.workId, commentsCount: count.commentsCount - 1 }
}
