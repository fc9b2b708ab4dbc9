import type { AuthUser } from '../../../env'
import { type SessionRow, sessionStatement, sessionUser } from '../../../lib/auth'
import { badRequest } from '../../../lib/errors'
import { paginate } from '../../../lib/openapi'
import type { AccessClaims } from '../../../lib/tokens'
import { toWorkDto, type WorkRow } from '../shared/rows'
import { decodeCursor, encodeCursor, type GalleryCursor } from './cursor'
import { galleryStatements } from './query'
import { type GalleryPage, type GalleryQueryInput, MAX_PAGE_DEPTH } from './schemas'

type GalleryRow = WorkRow & { recent_likes?: number }

/** The sort values of `row` that a cursor after it carries. */
function sortValues(sort: GalleryQueryInput['sort'], row: GalleryRow): number[] {
  switch (sort) {
    case 'latest':
      return [row.published_at ?? 0]
    case 'views':
      return [row.views_count]
    case 'likes':
      return [row.likes_count]
    case 'popular':
      return [row.recent_likes ?? 0, row.likes_count]
  }
}

/**
 * One page of the public gallery in ONE D1 round trip: a single `batch()` holding the page, its
 * count and, for a signed-in viewer, the session check (`claims`: a verified access token whose
 * session is checked here rather than in a separate read). Only published works (public and
 * approved) ever appear. With `cursor` the page continues after the cursor's work; without it,
 * `page` counts from the newest (deep pages are refused: use the cursor).
 */
export async function galleryPage(
  env: Env,
  query: GalleryQueryInput,
  claims: AccessClaims | null,
  now = Date.now(),
): Promise<{ page: GalleryPage; viewer: AuthUser | null }> {
  const cursor: GalleryCursor | null = query.cursor === undefined ? null : decodeCursor(query.cursor, query.sort)
  const pageNumber = cursor ? cursor.p : query.page
  const offset = cursor ? 0 : (query.page - 1) * query.limit
  if (!cursor && offset + query.limit > MAX_PAGE_DEPTH) {
    throw badRequest(`page × limit may not exceed ${MAX_PAGE_DEPTH}; continue with cursor=nextCursor instead`, [
      { field: 'page', message: `At most ${MAX_PAGE_DEPTH} works deep` },
    ])
  }
  const at = cursor ? cursor.at : now
  const { page, count } = galleryStatements({
    sort: query.sort,
    filters: query,
    take: query.limit + 1,
    offset,
    viewerId: claims?.userId ?? null,
    at,
    cursor,
  })
  const statements = [env.DB.prepare(page.sql).bind(...page.params), env.DB.prepare(count.sql).bind(...count.params)]
  if (claims) statements.push(sessionStatement(env, claims))
  const [pageResult, countResult, sessionResult] = await env.DB.batch<unknown>(statements)
  // The viewer's likes were read in the same batch: answer nothing unless the session is alive.
  const viewer = claims ? sessionUser((sessionResult?.results[0] as SessionRow | undefined) ?? null, claims) : null

  const rows = (pageResult?.results ?? []) as GalleryRow[]
  const total = (countResult?.results[0] as { n: number } | undefined)?.n ?? 0
  const hasMore = rows.length > query.limit
  const shown = rows.slice(0, query.limit)
  const last = shown.at(-1)
  const nextCursor =
    hasMore && last ? encodeCursor({ s: query.sort, k: sortValues(query.sort, last), id: last.id, at, p: pageNumber + 1 }) : null
  const items = await Promise.all(shown.map((row) => toWorkDto(env, row, viewer?.id ?? null, now)))
  const paged = paginate(items, total, pageNumber, query.limit)
  return { page: { ...paged, pagination: { ...paged.pagination, hasNext: hasMore }, nextCursor }, viewer }
}
