import { env } from 'cloudflare:test'
import { createMessageRoute } from '../../src/features/editor/messages/routes'
import { createSessionRoute } from '../../src/features/editor/sessions/routes'
import { newId } from '../../src/lib/ids'
import { callJson, dataOf } from '../helpers'

/** Helpers of the editor suites: sessions and messages through the API, images straight into D1 and R2. */

const PNG_1X1 = Uint8Array.from(
  atob('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=='),
  (c) => c.charCodeAt(0),
)

/**
 * An image of `userId` held only by its owner's record (ref_count 1), with real R2 objects under
 * `images/<owner>/<id>/` (what `imageKeys` lists), without the upload pipeline (fast).
 */
export async function insertImage(userId: string): Promise<string> {
  const id = newId('img')
  const key = (v: string) => `images/${userId}/${id}/${v}.png`
  await Promise.all(['original', 'thumb', 'preview'].map((v) => env.MEDIA.put(key(v), PNG_1X1, { httpMetadata: { contentType: 'image/png' } })))
  const now = Date.now()
  await env.DB.prepare(
    `INSERT INTO images (id, owner_id, type, mime, width, height, bytes, sha256, original_key, thumb_key, preview_key, preview_ready, ref_count, created_at, updated_at)
     VALUES (?1, ?2, 'uploaded', 'image/png', 1, 1, ?3, 'test', ?4, ?5, ?6, 1, 1, ?7, ?7)`,
  )
    .bind(id, userId, PNG_1X1.length, key('original'), key('thumb'), key('preview'), now)
    .run()
  return id
}

export const imageRefs = (id: string) =>
  env.DB.prepare('SELECT ref_count AS refs, deleted_at IS NOT NULL AS hidden FROM images WHERE id = ?1').bind(id).first<{ refs: number; hidden: number }>()

/** POST /api/sessions; throws unless 201. */
export async function newSession(token: string, body?: { title?: string }) {
  return dataOf(await callJson('POST', '/api/sessions', body ?? {}, { token }), createSessionRoute, 201).session
}

/** POST /api/sessions/:id/messages; throws unless 201. */
export async function postMessage(token: string, sessionId: string, body: Record<string, unknown>) {
  return dataOf(await callJson('POST', `/api/sessions/${sessionId}/messages`, body, { token }), createMessageRoute, 201)
}

export const sessionRow = (id: string) =>
  env.DB.prepare('SELECT message_count AS messageCount, last_message_at AS lastMessageAt, activity_at AS activityAt FROM chat_sessions WHERE id = ?1')
    .bind(id)
    .first<{ messageCount: number; lastMessageAt: number | null; activityAt: number }>()

/** What the counters must be: computed from the message rows themselves. */
export const countedFromRows = (id: string) =>
  env.DB.prepare(
    `SELECT COUNT(*) AS messageCount, MAX(created_at) AS lastMessageAt FROM chat_messages
      WHERE session_id = ?1 AND superseded_by IS NULL AND deleted_at IS NULL`,
  )
    .bind(id)
    .first<{ messageCount: number; lastMessageAt: number | null }>()
