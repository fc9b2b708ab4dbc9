import { searchCondition } from '../shared/search'
import { likedBy, WORK_COLUMNS, WORK_FROM } from '../shared/rows'
import type { GalleryCursor } from './cursor'
import type { GallerySort, TimeFilter } from './schemas'

const DAY_MS = 86_400_000
/** `popular` counts the likes of this window before the moment the first page was read. */
export const POPULAR_WINDOW_MS = 7 * DAY_MS
const TIME_WINDOWS: Record<TimeFilter, number> = { today: DAY_MS, week: 7 * DAY_MS, month: 30 * DAY_MS }

export interface GalleryFilters {
  timeFilter?: TimeFilter
  category?: string
  tag?: string
  search?: string
  featured?: boolean
  authorId?: string
}

export interface GalleryRequest {
  sort: GallerySort
  filters: GalleryFilters
  /** Rows to read: the page size plus one, to know whether another page follows. */
  take: number
  offset: number
  viewerId: string | null
  /** The moment the time windows end at: now on a first page, the cursor's on later ones. */
  at: number
  cursor: GalleryCursor | null
}

export interface SqlText {
  sql: string
  params: unknown[]
}

/** The sort keys of each sort, before the `w.id` that breaks ties (all descending). */
const SORT_KEYS: Record<GallerySort, string[]> = {
  latest: ['w.published_at'],
  views: ['w.views_count'],
  likes: ['w.likes_count'],
  popular: ['COALESCE(r.recent_likes, 0)', 'w.likes_count'],
}

/** Numbered parameters (`?1`, `?2`, …) in the order they are bound. */
class Params {
  readonly values: unknown[] = []
  bind(value: unknown): string {
    this.values.push(value)
    return `?${this.values.length}`
  }
}

/** Strictly after the cursor's row in the descending order of `keys`, then id. */
function keysetAfter(p: Params, keys: string[], cursor: GalleryCursor): string {
  const bound = [...cursor.k.map((v) => p.bind(v)), p.bind(cursor.id)]
  return `(${[...keys, 'w.id'].join(', ')}) < (${bound.join(', ')})`
}

/** `is_liked` for the viewer (a constant 0 for anonymous callers: no lookup at all). */
function likedColumn(p: Params, viewerId: string | null): string {
  if (viewerId === null) return '0 AS is_liked'
  return likedBy(Number(p.bind(viewerId).slice(1)))
}

/** The WHERE conditions the page and its count share (only works in the gallery). */
function filterConditions(p: Params, filters: GalleryFilters, at: number): string[] {
  const where = ['w.published_at IS NOT NULL']
  if (filters.timeFilter) where.push(`w.published_at >= ${p.bind(at - TIME_WINDOWS[filters.timeFilter])}`)
  if (filters.category !== undefined) where.push(`w.category = ${p.bind(filters.category)}`)
  if (filters.tag !== undefined) where.push(`EXISTS (SELECT 1 FROM json_each(w.tags) t WHERE t.value = ${p.bind(filters.tag.toLowerCase())})`)
  if (filters.featured !== undefined) where.push(`w.featured = ${p.bind(filters.featured ? 1 : 0)}`)
  if (filters.authorId !== undefined) where.push(`w.user_id = ${p.bind(filters.authorId)}`)
  if (filters.search !== undefined) {
    const search = searchCondition(filters.search, p.values.length + 1)
    if (search) {
      p.values.push(...search.params)
      where.push(search.sql)
    }
  }
  return where
}

/**
 * The two statements of one gallery page, to run in one D1 batch: the page (one row more than
 * asked), with author, image and the viewer's like, and the number of works matching the filters.
 * Orders use the partial indexes on published works (`published_at`, `likes_count`,
 * `views_count`, each with `id`); a cursor continues strictly after its row, so works published
 * while a client pages never shift later pages.
 */
export function galleryStatements(req: GalleryRequest): { page: SqlText; count: SqlText } {
  const p = new Params()
  const where = filterConditions(p, req.filters, req.at)
  const count: SqlText = { sql: `SELECT COUNT(*) AS n FROM works w WHERE ${where.join(' AND ')}`, params: [...p.values] }

  const keys = SORT_KEYS[req.sort]
  const pageWhere = [...where]
  const order = [...keys, 'w.id'].map((k) => `${k} DESC`).join(', ')
  if (req.sort !== 'popular') {
    if (req.cursor) pageWhere.push(keysetAfter(p, keys, req.cursor))
    const liked = likedColumn(p, req.viewerId)
    const sql = `SELECT ${WORK_COLUMNS}, ${liked} ${WORK_FROM}
      WHERE ${pageWhere.join(' AND ')} ORDER BY ${order} LIMIT ${p.bind(req.take)} OFFSET ${p.bind(req.offset)}`
    return { page: { sql, params: p.values }, count }
  }
  // popular ranks by a computed count: rank the bare works first, then join authors, images and
  // likes for the page's rows only (not for every candidate before the sort).
  const recent = `LEFT JOIN (SELECT l.work_id, COUNT(*) AS recent_likes FROM work_likes l
     WHERE l.created_at > ${p.bind(req.at - POPULAR_WINDOW_MS)} AND l.created_at <= ${p.bind(req.at)} GROUP BY l.work_id) r ON r.work_id = w.id`
  if (req.cursor) pageWhere.push(keysetAfter(p, keys, req.cursor))
  const ranked = `SELECT w.id, COALESCE(r.recent_likes, 0) AS recent_likes, w.likes_count FROM works w ${recent}
     WHERE ${pageWhere.join(' AND ')} ORDER BY ${order} LIMIT ${p.bind(req.take)} OFFSET ${p.bind(req.offset)}`
  const liked = likedColumn(p, req.viewerId)
  const sql = `WITH ranked AS (${ranked})
    SELECT ${WORK_COLUMNS}, ${liked}, ranked.recent_likes ${WORK_FROM} JOIN ranked ON ranked.id = w.id
    ORDER BY ranked.recent_likes DESC, ranked.likes_count DESC, ranked.id DESC`
  return { page: { sql, params: p.values }, count }
}
