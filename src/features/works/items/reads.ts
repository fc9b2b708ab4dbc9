import { notFound } from '../../../lib/errors'
import { toHex } from '../../../lib/ids'
import { requireSecret } from '../../../lib/locality'
import { networkOf } from '../../../lib/network'
import { searchCondition } from '../shared/search'
import { likedBy, toWorkDto, WORK_COLUMNS, WORK_FROM, type WorkRow } from '../shared/rows'
import type { WorkDto } from '../shared/schemas'
import { normaliseTags, type WorkListFilters } from './schemas'

/** Reading one's works (a page and its count in one D1 batch) and a work's detail with its view. */

const ORDER_BY: Record<WorkListFilters['sort'], string> = {
  created: 'w.created_at DESC, w.id DESC',
  updated: 'w.updated_at DESC, w.id DESC',
  likes: 'w.likes_count DESC, w.created_at DESC, w.id DESC',
  views: 'w.views_count DESC, w.created_at DESC, w.id DESC',
}

export async function listMyWorks(env: Env, userId: string, filters: WorkListFilters): Promise<{ items: WorkDto[]; total: number }> {
  const params: unknown[] = [userId]
  const where = ['w.user_id = ?1']
  if (filters.visibility) where.push(`w.is_public = ${filters.visibility === 'public' ? 1 : 0}`)
  const [tag] = normaliseTags([filters.tag ?? ''])
  if (tag) {
    params.push(tag)
    where.push(`EXISTS (SELECT 1 FROM json_each(w.tags) WHERE value = ?${params.length})`)
  }
  const search = filters.search ? searchCondition(filters.search, params.length + 1) : null
  if (search) {
    params.push(...search.params)
    where.push(search.sql)
  }
  const condition = where.join(' AND ')
  const offset = (filters.page - 1) * filters.limit
  const [rows, count] = await env.DB.batch([
    env.DB.prepare(
      `SELECT ${WORK_COLUMNS}, ${likedBy(1)} ${WORK_FROM} WHERE ${condition}
        ORDER BY ${ORDER_BY[filters.sort]} LIMIT ${filters.limit} OFFSET ${offset}`,
    ).bind(...params),
    env.DB.prepare(`SELECT count(*) AS total FROM works w WHERE ${condition}`).bind(...params),
  ])
  const now = Date.now()
  const items = await Promise.all(((rows?.results ?? []) as WorkRow[]).map((row) => toWorkDto(env, row, userId, now)))
  return { items, total: ((count?.results ?? [])[0] as { total: number } | undefined)?.total ?? 0 }
}

const encoder = new TextEncoder()

/**
 * Who views: `u:<userId>` for a signed-in viewer; for anyone else `n:` and a keyed hash (HMAC
 * with the server secret) of their network (IPv4 address, IPv6 /64), the work and the UTC day. The
 * address is never stored, the hash cannot be reversed by trying every address without the secret,
 * and the work and day in it mean one network's views cannot be linked across works nor days.
 */
export async function viewerKey(env: Env, viewerId: string | null, clientIp: string, day: string, workId: string): Promise<string> {
  if (viewerId) return `u:${viewerId}`
  const key = await crypto.subtle.importKey('raw', encoder.encode(requireSecret(env, 'JWT_SECRET')), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign'])
  const mac = await crypto.subtle.sign('HMAC', key, encoder.encode(`work-viewer:${workId}:${day}:${networkOf(clientIp)}`))
  return `n:${toHex(new Uint8Array(mac)).slice(0, 32)}`
}

/**
 * One work for `viewerId` (null: anonymous), counting the view in the same D1 batch as the read.
 * The owner always sees it; anyone else only while it is published (else 404). A view counts
 * once per viewer, work and UTC day (`INSERT OR IGNORE` on the primary key; the trigger bumps
 * `views_count` in that statement, so 20 parallel reads by one viewer count once), never for
 * the owner and never for an unpublished work.
 */
export async function viewWork(env: Env, workId: string, viewerId: string | null, clientIp: string, now = Date.now()): Promise<WorkDto> {
  const day = new Date(now).toISOString().slice(0, 10)
  const viewer = await viewerKey(env, viewerId, clientIp, day, workId)
  const [, read] = await env.DB.batch([
    env.DB.prepare(
      `INSERT OR IGNORE INTO work_views (work_id, viewer, day, created_at)
       SELECT id, ?2, ?3, ?4 FROM works WHERE id = ?1 AND published_at IS NOT NULL AND user_id IS NOT ?5`,
    ).bind(workId, viewer, day, now, viewerId),
    env.DB.prepare(`SELECT ${WORK_COLUMNS}, ${likedBy(2)} ${WORK_FROM} WHERE w.id = ?1`).bind(workId, viewerId),
  ])
  const row = (read?.results ?? [])[0] as WorkRow | undefined
  if (!row || (row.user_id !== viewerId && row.published_at === null)) throw notFound('Work')
  return toWorkDto(env, row, viewerId, now)
}

/** The owner's view of one of their works (no view counted), or 404. */
export async function ownWork(env: Env, userId: string, workId: string): Promise<WorkDto> {
  const row = await env.DB.prepare(`SELECT ${WORK_COLUMNS}, ${likedBy(2)} ${WORK_FROM} WHERE w.id = ?1 AND w.user_id = ?2`)
    .bind(workId, userId)
    .first<WorkRow>()
  if (!row) throw notFound('Work')
  return toWorkDto(env, row, userId)
}
