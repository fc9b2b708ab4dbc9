import { notFound } from '../../../lib/errors'
import { CURRENT, MESSAGE_COLUMNS, type MessageRow, toMessageDtos } from '../shared/rows'
import { offsetOf, offsetPagination } from '../shared/schemas'
import type { MessageListInput } from './schemas'

/**
 * One page of a session's messages, oldest first (`seq`, then `version`), with the session check
 * and the total in one D1 batch. Current versions only unless `includeEdits`; deleted messages
 * never. `after` (a `seq`) wins over `offset` and `page`.
 */
export async function listMessages(env: Env, userId: string, sessionId: string, query: MessageListInput) {
  const d1 = env.DB
  const paged = query.after === undefined ? offsetOf(query) : { offset: 0, page: 1 }
  const conditions = ['m.session_id = ?1', query.includeEdits ? 'm.deleted_at IS NULL' : CURRENT, 'm.seq > ?3', 'EXISTS (SELECT 1 FROM chat_sessions s WHERE s.id = ?1 AND s.user_id = ?2 AND s.deleted_at IS NULL)']
  const where = conditions.join(' AND ')
  const after = query.after ?? 0
  const [session, rows, total] = await d1.batch([
    d1.prepare('SELECT 1 AS x FROM chat_sessions WHERE id = ?1 AND user_id = ?2 AND deleted_at IS NULL').bind(sessionId, userId),
    d1.prepare(`SELECT ${MESSAGE_COLUMNS} FROM chat_messages m WHERE ${where} ORDER BY m.seq, m.version LIMIT ?4 OFFSET ?5`).bind(
      sessionId,
      userId,
      after,
      query.limit,
      paged.offset,
    ),
    d1.prepare(`SELECT COUNT(*) AS n FROM chat_messages m WHERE ${where}`).bind(sessionId, userId, after),
  ])
  if (session!.results.length === 0) throw notFound('Session')
  const list = rows!.results as MessageRow[]
  const count = (total!.results[0] as { n: number } | undefined)?.n ?? 0
  return {
    items: await toMessageDtos(env, list),
    pagination: offsetPagination(count, query.limit, paged.offset, paged.page),
    nextAfter: list.length > 0 ? list[list.length - 1]!.seq : after,
  }
}
