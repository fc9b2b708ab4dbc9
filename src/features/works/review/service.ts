import { eq } from 'drizzle-orm'
import { type ReviewStatus, works } from '../../../db/schema'
import type { Db } from '../../../env'
import { conflict, forbidden, notFound } from '../../../lib/errors'
import { paginate } from '../../../lib/openapi'
import { auditStatement } from '../../audit/service'
import { publishToUser } from '../../hub/service'
import { purgePublicImages } from '../items/public-images'
import { publicationSet } from '../shared/publication'
import { toWorkDto, WORK_COLUMNS, WORK_FROM, type WorkRow } from '../shared/rows'
import type { WorkDto } from '../shared/schemas'
import { searchCondition } from '../shared/search'
import type { LISTED_REVIEW_STATUSES, ReviewChange } from './schemas'

/** An admin's view of a work: as its owner would see it, rejection reason included. */
async function adminDto(env: Env, row: WorkRow, adminId: string): Promise<WorkDto> {
  return { ...(await toWorkDto(env, row, adminId)), reviewReason: row.review_reason }
}

/**
 * Works that entered review (made public at least once: pending, approved or rejected), for
 * admins; never the private works nobody submitted. The pending queue is oldest first, other
 * lists latest change first. One D1 batch (page and count).
 */
export async function listWorksForReview(
  env: Env,
  adminId: string,
  query: { reviewStatus?: (typeof LISTED_REVIEW_STATUSES)[number]; search?: string; page: number; limit: number },
) {
  const params: unknown[] = []
  const where = [query.reviewStatus ? `w.review_status = ?${params.push(query.reviewStatus)}` : "w.review_status <> 'none'"]
  // A work its owner made private again while it waited no longer needs a decision: the queue
  // shows only pending works that would appear in the gallery when approved.
  if (query.reviewStatus === 'pending') where.push('w.is_public = 1')
  const search = query.search === undefined ? null : searchCondition(query.search, params.length + 1)
  if (search) {
    params.push(...search.params)
    where.push(search.sql)
  }
  const order = query.reviewStatus === 'pending' ? 'w.updated_at ASC, w.id ASC' : 'w.updated_at DESC, w.id DESC'
  const filter = where.join(' AND ')
  const [page, count] = await env.DB.batch<unknown>([
    env.DB.prepare(`SELECT ${WORK_COLUMNS}, 0 AS is_liked ${WORK_FROM} WHERE ${filter} ORDER BY ${order} LIMIT ?${params.length + 1} OFFSET ?${params.length + 2}`).bind(
      ...params,
      query.limit,
      (query.page - 1) * query.limit,
    ),
    env.DB.prepare(`SELECT COUNT(*) AS n FROM works w WHERE ${filter}`).bind(...params),
  ])
  const rows = (page?.results ?? []) as WorkRow[]
  const items = await Promise.all(rows.map((row) => adminDto(env, row, adminId)))
  return paginate(items, (count?.results[0] as { n: number } | undefined)?.n ?? 0, query.page, query.limit)
}

/** What a review changed (its audit row, `works.review`, is written in the review's own batch). */
export interface ReviewOutcome {
  work: WorkDto
  ownerId: string
  before: { reviewStatus: ReviewStatus; featured: boolean; isPublic: boolean; reviewReason: string | null }
  /** False when the work already was in the requested state (a retried request): nothing written, no event. */
  changed: boolean
}

/** Which states a work may be rejected from: it must have been submitted (a private, never-public work has nothing to reject). */
const REJECTABLE: ReviewStatus[] = ['pending', 'approved', 'rejected']

/**
 * An admin's review of a work: approve (a public work enters the gallery, published now with a
 * new `publishVersion`; a private one just records `approved`), reject with a reason (the work
 * leaves the gallery and becomes private; its owner sees the reason and must make it public
 * again to be reviewed anew), and/or set `featured`. The write is guarded by the state read
 * first, so two admins reviewing at once cannot both apply (the second gets 409 and retries).
 * The owner gets `work.reviewed` when the review state or reason changed, unless the admin
 * reviewed their own work. Unknown work: 404.
 */
export async function reviewWork(
  env: Env,
  db: Db,
  adminId: string,
  workId: string,
  change: ReviewChange,
  origin: string | null = null,
): Promise<ReviewOutcome> {
  const [current] = await db
    .select({
      userId: works.userId,
      reviewStatus: works.reviewStatus,
      reviewReason: works.reviewReason,
      isPublic: works.isPublic,
      featured: works.featured,
      publishedAt: works.publishedAt,
      publishVersion: works.publishVersion,
    })
    .from(works)
    .where(eq(works.id, workId))
    .limit(1)
  if (!current) throw notFound('Work')
  // Nobody approves or rejects their own work: another admin must (featuring it is fine).
  if (current.userId === adminId && change.reviewStatus !== undefined && change.reviewStatus !== current.reviewStatus) {
    throw forbidden('Another admin must review your own work')
  }
  if (change.reviewStatus === 'rejected' && !REJECTABLE.includes(current.reviewStatus)) {
    throw conflict('This work was never made public, so there is nothing to reject', { reviewStatus: current.reviewStatus })
  }
  const before = { reviewStatus: current.reviewStatus, featured: current.featured, isPublic: current.isPublic, reviewReason: current.reviewReason }
  const status = change.reviewStatus ?? current.reviewStatus
  const isPublic = change.reviewStatus === 'rejected' ? false : current.isPublic
  const reason = change.reviewStatus === 'rejected' ? (change.reason ?? null) : change.reviewStatus === 'approved' ? null : current.reviewReason
  const featured = change.featured ?? current.featured
  const reviewChanged = status !== current.reviewStatus || reason !== current.reviewReason || isPublic !== current.isPublic
  const changed = reviewChanged || featured !== current.featured

  const read = env.DB.prepare(`SELECT ${WORK_COLUMNS}, 0 AS is_liked ${WORK_FROM} WHERE w.id = ?1`).bind(workId)
  let row: WorkRow | null
  if (!changed) {
    row = await read.first<WorkRow>()
  } else {
    const now = Date.now()
    const update = env.DB.prepare(
      `UPDATE works SET review_status = ?2, is_public = ?3, review_reason = ?4, featured = ?5, updated_at = ?6,
         reviewed_at = CASE WHEN ?9 = 1 THEN ?6 ELSE reviewed_at END, reviewed_by = CASE WHEN ?9 = 1 THEN ?10 ELSE reviewed_by END,
         ${publicationSet(3, 2, 6)}
       WHERE id = ?1 AND review_status = ?7 AND is_public = ?8 AND featured = ?11`,
    ).bind(workId, status, isPublic ? 1 : 0, reason, featured ? 1 : 0, now, current.reviewStatus, current.isPublic ? 1 : 0, reviewChanged ? 1 : 0, adminId, current.featured ? 1 : 0)
    const after = { reviewStatus: status, featured, isPublic, reviewReason: reason }
    const audit = auditStatement(env, { actorId: adminId, action: 'works.review', targetType: 'work', targetId: workId, before, after }, { onlyIfPreviousChanged: true })
    const [updated, , reread] = await env.DB.batch<unknown>([update, audit, read])
    if (!updated?.meta.changes) throw conflict('The work changed while it was being reviewed; load it again and retry')
    row = (reread?.results[0] as WorkRow | undefined) ?? null
  }
  if (!row) throw notFound('Work')
  // Taken out of the gallery: this data centre forgets its cached images now, the others within minutes.
  if (current.publishedAt !== null && row.published_at === null && origin) {
    await purgePublicImages(origin, [{ id: workId, version: current.publishVersion }])
  }
  if (reviewChanged && change.reviewStatus && current.userId !== adminId) {
    const rejected = change.reviewStatus === 'rejected'
    await publishToUser(env, current.userId, {
      type: 'work.reviewed',
      data: { workId, reviewStatus: change.reviewStatus, reason: rejected ? reason : null, code: rejected ? 'CONTENT_VIOLATION' : null },
    })
  }
  return { work: await adminDto(env, row, adminId), ownerId: current.userId, before, changed }
}
