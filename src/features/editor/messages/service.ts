import { badRequest, conflict, forbidden, notFound } from '../../../lib/errors'
import { newId } from '../../../lib/ids'
import { hitRateLimits, RATE_LIMITS } from '../../../lib/rate-limit'
import { batchFreeingUnheldImages, holdMessageImagesStatement, releaseMessageImagesStatement } from '../../images/references'
import type { ChatMessageDto, ChatSessionDto } from '../../hub/chat-shapes'
import { MESSAGE_COLUMNS, MESSAGE_FIELDS, type MessageRow, SESSION_FIELDS, type SessionRow, toMessageDtos, toSessionDto } from '../shared/rows'
import { autoTitle } from '../shared/title'
import type { CreateMessageInput, EditMessageInput } from './schemas'

/**
 * Writing messages: post, edit (a new version), delete (every version). Each write is one D1
 * batch with its image references (images/references) and, through triggers, the session's
 * counters; a message of someone else, of a deleted session or unknown is 404.
 */

export interface MessageWrite {
  message: ChatMessageDto
  session: ChatSessionDto
  /** The write gave the session its automatic title (devices get `session.updated`). */
  titled?: boolean
}

const NEXT_FTS_ID = '(SELECT COALESCE(MAX(fts_id), 0) + 1 FROM chat_messages)'
const LIVE_SESSION = (sessionRef: string) => `EXISTS (SELECT 1 FROM chat_sessions s WHERE s.id = ${sessionRef} AND s.deleted_at IS NULL)`
const emptyMessage = () =>
  badRequest('A message needs text or at least one image', [{ field: 'text', message: 'Send text, imageIds, or both' }])

/** Per-user budget of posts and edits (429 RATE_LIMITED with Retry-After). */
function countMessageHit(env: Env, userId: string, now: number): Promise<void> {
  return hitRateLimits(env.DB, [
    [`chat-messages:minute:${userId}`, RATE_LIMITS.chatMessagesPerUserMinute],
    [`chat-messages:day:${userId}`, RATE_LIMITS.chatMessagesPerUserDay],
  ], now)
}

async function assertOwnSession(env: Env, userId: string, sessionId: string): Promise<void> {
  const found = await env.DB.prepare('SELECT 1 AS x FROM chat_sessions WHERE id = ?1 AND user_id = ?2 AND deleted_at IS NULL').bind(sessionId, userId).first()
  if (!found) throw notFound('Session')
}

/** 404 naming each id that is not one of the user's images (unknown, someone else's, or deleted). */
async function assertOwnImages(env: Env, userId: string, imageIds: readonly string[]): Promise<void> {
  if (imageIds.length === 0) return
  const { results } = await env.DB.prepare('SELECT id FROM images WHERE owner_id = ?1 AND deleted_at IS NULL AND id IN (SELECT value FROM json_each(?2))')
    .bind(userId, JSON.stringify(imageIds))
    .all<{ id: string }>()
  const found = new Set(results.map((r) => r.id))
  const missing = imageIds.filter((id) => !found.has(id))
  if (missing.length > 0) {
    throw notFound(missing.length === 1 ? 'Image' : `${missing.length} images`, {
      errors: missing.map((id) => ({ id, code: 'NOT_FOUND', error: 'Image not found' })),
    })
  }
}

/**
 * Posts a user message. The insert (next `seq` of the session), the image references, the
 * automatic title of an untitled session and (by trigger) the counters are one batch; the insert
 * re-checks the session and the images, so a delete racing the post leaves nothing behind.
 */
export async function createMessage(env: Env, userId: string, sessionId: string, input: CreateMessageInput, now = Date.now()): Promise<MessageWrite> {
  const text = input.text ?? ''
  const imageIds = input.imageIds ?? []
  if (text === '' && imageIds.length === 0) throw emptyMessage()
  await assertOwnSession(env, userId, sessionId)
  await assertOwnImages(env, userId, imageIds)
  await countMessageHit(env, userId, now)
  const id = newId('msg')
  const ids = JSON.stringify(imageIds)
  const d1 = env.DB
  const [inserted, , titled, session, message] = await d1.batch([
    d1.prepare(
      `INSERT INTO chat_messages (id, fts_id, session_id, user_id, seq, version, role, text, params, image_ids, status, created_at, updated_at)
       SELECT ?1, ${NEXT_FTS_ID}, s.id, s.user_id, (SELECT COALESCE(MAX(seq), 0) + 1 FROM chat_messages WHERE session_id = s.id), 1, 'user',
              ?4, ?5, ?6, 'none', ?7, ?7
         FROM chat_sessions s
        WHERE s.id = ?2 AND s.user_id = ?3 AND s.deleted_at IS NULL
          AND (SELECT COUNT(*) FROM images WHERE owner_id = ?3 AND deleted_at IS NULL AND id IN (SELECT value FROM json_each(?6))) = json_array_length(?6)`,
    ).bind(id, sessionId, userId, text, input.params ? JSON.stringify(input.params) : null, ids, now),
    holdMessageImagesStatement(env, id),
    d1.prepare(
      `UPDATE chat_sessions SET title = ?3, updated_at = ?4
        WHERE id = ?1 AND title IS NULL AND title_by_user = 0 AND EXISTS (SELECT 1 FROM chat_messages WHERE id = ?2) RETURNING id`,
    ).bind(sessionId, id, autoTitle(text), now),
    d1.prepare(`SELECT ${SESSION_FIELDS} FROM chat_sessions WHERE id = ?1`).bind(sessionId),
    d1.prepare(`SELECT ${MESSAGE_FIELDS} FROM chat_messages WHERE id = ?1`).bind(id),
  ])
  const row = message!.results[0] as MessageRow | undefined
  if (!row || inserted!.meta.changes === 0) {
    // Deleted in between: the session, else one of the images.
    await assertOwnSession(env, userId, sessionId)
    await assertOwnImages(env, userId, imageIds)
    throw notFound('Session')
  }
  const [dto] = await toMessageDtos(env, [row])
  return { message: dto!, session: toSessionDto(session!.results[0] as SessionRow), titled: titled!.results.length > 0 }
}

interface TargetRow extends MessageRow {
  current_id: string | null
}

/** The user's message `messageId` (any version) in a live session, with the id of its current version, or 404. */
async function findMessage(env: Env, userId: string, messageId: string): Promise<TargetRow> {
  const row = await env.DB.prepare(
    `SELECT ${MESSAGE_COLUMNS},
            (SELECT c.id FROM chat_messages c WHERE c.session_id = m.session_id AND c.seq = m.seq AND c.superseded_by IS NULL AND c.deleted_at IS NULL) AS current_id
       FROM chat_messages m
      WHERE m.id = ?1 AND m.user_id = ?2 AND m.deleted_at IS NULL AND ${LIVE_SESSION('m.session_id')}`,
  )
    .bind(messageId, userId)
    .first<TargetRow>()
  if (!row) throw notFound('Message')
  return row
}

/**
 * Edits a user message: a new version (same `seq`, `version + 1`, `editedOf` = the edited id,
 * same images, each held again by the new row) replaces it in default lists; the edited version
 * stays readable with `includeEdits`. Only the current version can be edited: editing one that
 * another edit already replaced is 409 (the answer names the current id), so of two racing edits
 * one wins and the other is told.
 */
export async function editMessage(env: Env, userId: string, messageId: string, input: EditMessageInput, now = Date.now()): Promise<MessageWrite> {
  const target = await findMessage(env, userId, messageId)
  if (target.role !== 'user') throw forbidden('Only your own user messages can be edited')
  const alreadyEdited = () => conflict('This version was already edited: edit the current version', { currentId: target.current_id })
  if (target.superseded_by !== null) throw alreadyEdited()
  if (input.text === '' && (JSON.parse(target.image_ids) as string[]).length === 0) throw emptyMessage()
  await countMessageHit(env, userId, now)
  const id = newId('msg')
  const keepParams = input.params === undefined ? 1 : 0
  const params = input.params ? JSON.stringify(input.params) : null
  const d1 = env.DB
  const [superseded, , , message, session] = await d1.batch([
    d1.prepare(
      `UPDATE chat_messages SET superseded_by = ?2, updated_at = ?3
        WHERE id = ?1 AND superseded_by IS NULL AND deleted_at IS NULL AND ${LIVE_SESSION('chat_messages.session_id')}`,
    ).bind(messageId, id, now),
    d1.prepare(
      `INSERT INTO chat_messages (id, fts_id, session_id, user_id, seq, version, role, text, params, image_ids, status, task_id, error,
         edited_of, superseded_by, deleted_at, created_at, updated_at)
       SELECT ?2, ${NEXT_FTS_ID}, session_id, user_id, seq, version + 1, role, ?3, CASE WHEN ?4 = 1 THEN params ELSE ?5 END, image_ids, status,
              task_id, error, id, NULL, NULL, ?6, ?6
         FROM chat_messages WHERE id = ?1 AND superseded_by = ?2`,
    ).bind(messageId, id, input.text, keepParams, params, now),
    holdMessageImagesStatement(env, id),
    d1.prepare(`SELECT ${MESSAGE_FIELDS} FROM chat_messages WHERE id = ?1`).bind(id),
    d1.prepare(`SELECT ${SESSION_FIELDS} FROM chat_sessions WHERE id = ?1`).bind(target.session_id),
  ])
  const row = message!.results[0] as MessageRow | undefined
  if (superseded!.meta.changes === 0 || !row) {
    const latest = await findMessage(env, userId, messageId)
    throw conflict('This version was already edited: edit the current version', { currentId: latest.current_id })
  }
  const [dto] = await toMessageDtos(env, [row])
  return { message: dto!, session: toSessionDto(session!.results[0] as SessionRow) }
}

/**
 * Deletes a message: every version (given any version's id), in one batch that releases their
 * image references (an image nothing else holds is freed with its files), marks them deleted and
 * scrubs their text, parameters and images. Answers the deleted current version and every id.
 */
export async function deleteMessage(env: Env, userId: string, messageId: string, now = Date.now()) {
  const target = await findMessage(env, userId, messageId)
  const { results: held } = await env.DB.prepare(
    'SELECT DISTINCT j.value AS id FROM chat_messages m, json_each(m.image_ids) j WHERE m.session_id = ?1 AND m.seq = ?2 AND m.deleted_at IS NULL',
  )
    .bind(target.session_id, target.seq)
    .all<{ id: string }>()
  const d1 = env.DB
  const [, removed, session] = await batchFreeingUnheldImages(
    env,
    held.map((h) => h.id),
    [
      releaseMessageImagesStatement(env, target.session_id, target.seq, userId),
      d1.prepare(
        `UPDATE chat_messages SET deleted_at = ?4, updated_at = ?4, text = '', params = NULL, image_ids = '[]'
          WHERE session_id = ?1 AND seq = ?2 AND user_id = ?3 AND deleted_at IS NULL AND ${LIVE_SESSION('?1')}
          RETURNING ${MESSAGE_FIELDS}`,
      ).bind(target.session_id, target.seq, userId, now),
      d1.prepare(`SELECT ${SESSION_FIELDS} FROM chat_sessions WHERE id = ?1`).bind(target.session_id),
    ],
  )
  const rows = removed!.results as MessageRow[]
  if (rows.length === 0) throw notFound('Message')
  const latest = rows.reduce((a, b) => (b.version > a.version ? b : a))
  const [message] = await toMessageDtos(env, [latest])
  return { message: message!, ids: rows.map((r) => r.id), session: toSessionDto(session!.results[0] as SessionRow) }
}
