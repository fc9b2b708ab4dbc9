import { notFound } from '../../../lib/errors'
import { newId } from '../../../lib/ids'
import { hitRateLimits, RATE_LIMITS } from '../../../lib/rate-limit'
import { type ChatSessionDto } from '../../hub/chat-shapes'
import { SESSION_COLUMNS, SESSION_FIELDS, type SessionRow, toSessionDto } from '../shared/rows'
import { offsetOf, offsetPagination } from '../shared/schemas'
import { sessionSearchCondition } from '../shared/search'
import type { CreateSessionInput, SessionListInput } from './schemas'

/** Chat sessions: create, list, read, rename, soft delete. Only the owner ever sees one (else 404). */

const OWN_LIVE = 's.id = ?1 AND s.user_id = ?2 AND s.deleted_at IS NULL'
const OWN_LIVE_ROW = 'id = ?1 AND user_id = ?2 AND deleted_at IS NULL'

/**
 * A new session. Rate-limited per user (`RATE_LIMITS.chatSessionsPerUser*`, 429 with Retry-After).
 * A title given here is the user's: messages never replace it.
 */
export async function createSession(env: Env, userId: string, input: CreateSessionInput, now = Date.now()): Promise<ChatSessionDto> {
  await hitRateLimits(env.DB, [
    [`chat-sessions:minute:${userId}`, RATE_LIMITS.chatSessionsPerUserMinute],
    [`chat-sessions:day:${userId}`, RATE_LIMITS.chatSessionsPerUserDay],
  ], now)
  const id = newId('chs')
  const title = input.title ?? null
  const row = await env.DB.prepare(
    `INSERT INTO chat_sessions (id, seq, user_id, title, title_by_user, message_count, last_message_at, activity_at, deleted_at, created_at, updated_at)
     VALUES (?1, (SELECT COALESCE(MAX(seq), 0) + 1 FROM chat_sessions), ?2, ?3, ?4, 0, NULL, ?5, NULL, ?5, ?5)
     RETURNING ${SESSION_FIELDS}`,
  )
    .bind(id, userId, title, title === null ? 0 : 1, now)
    .first<SessionRow>()
  return toSessionDto(row!)
}

/** The user's live session, or 404. */
export async function getSession(env: Env, userId: string, sessionId: string): Promise<ChatSessionDto> {
  const row = await env.DB.prepare(`SELECT ${SESSION_COLUMNS} FROM chat_sessions s WHERE ${OWN_LIVE}`).bind(sessionId, userId).first<SessionRow>()
  if (!row) throw notFound('Session')
  return toSessionDto(row)
}

/** One page of the user's live sessions, newest activity first (last message, else creation), and the total, in one batch. */
export async function listSessions(env: Env, userId: string, query: SessionListInput) {
  const { offset, page } = offsetOf(query)
  if (query.search) {
    // Search reads the FTS index: limited per user like other costly reads that are cheap to repeat.
    await hitRateLimits(env.DB, [[`chat-search:minute:${userId}`, RATE_LIMITS.chatSearchesPerUserMinute]])
  }
  const search = query.search ? sessionSearchCondition(query.search, userId, 1, 2) : null
  const where = `s.user_id = ?1 AND s.deleted_at IS NULL${search ? ` AND ${search.sql}` : ''}`
  const params = [userId, ...(search?.params ?? [])]
  const n = params.length
  const [rows, total] = await env.DB.batch([
    env.DB.prepare(`SELECT ${SESSION_COLUMNS} FROM chat_sessions s WHERE ${where} ORDER BY s.activity_at DESC, s.id DESC LIMIT ?${n + 1} OFFSET ?${n + 2}`).bind(
      ...params,
      query.limit,
      offset,
    ),
    env.DB.prepare(`SELECT COUNT(*) AS n FROM chat_sessions s WHERE ${where}`).bind(...params),
  ])
  const items = (rows!.results as SessionRow[]).map(toSessionDto)
  const count = (total!.results[0] as { n: number } | undefined)?.n ?? 0
  return { items, pagination: offsetPagination(count, query.limit, offset, page) }
}

/** Sets the title (the user's from now on: the first message will not replace it). */
export async function renameSession(env: Env, userId: string, sessionId: string, title: string, now = Date.now()): Promise<ChatSessionDto> {
  const row = await env.DB.prepare(
    `UPDATE chat_sessions SET title = ?3, title_by_user = 1, updated_at = ?4 WHERE ${OWN_LIVE_ROW} RETURNING ${SESSION_FIELDS}`,
  )
    .bind(sessionId, userId, title, now)
    .first<SessionRow>()
  if (!row) throw notFound('Session')
  return toSessionDto(row)
}

/**
 * Soft delete: hidden from every route at once; its messages keep their image references until
 * the cron purges it (`CHAT_PURGE_AFTER_DAYS` later) and releases them.
 */
export async function deleteSession(env: Env, userId: string, sessionId: string, now = Date.now()): Promise<ChatSessionDto> {
  const row = await env.DB.prepare(`UPDATE chat_sessions SET deleted_at = ?3, updated_at = ?3 WHERE ${OWN_LIVE_ROW} RETURNING ${SESSION_FIELDS}`)
    .bind(sessionId, userId, now)
    .first<SessionRow>()
  if (!row) throw notFound('Session')
  return toSessionDto(row)
}
