import type { ChatMessageStatus, ChatRole } from '../../../db/schema'
import { signResource, stableExpiry } from '../../../lib/signed-urls'
import type { ChatMessageDto, ChatSessionDto } from '../../hub/chat-shapes'
import { parseJsonColumn } from '../../../lib/json'

/**
 * Sessions and messages as the editor's queries select them (plain SQL, so a page and its count,
 * or a write and the rows it produced, run in one D1 batch), and their API shapes.
 */
export interface SessionRow {
  id: string
  user_id: string
  title: string | null
  title_by_user: number
  message_count: number
  last_message_at: number | null
  deleted_at: number | null
  created_at: number
  updated_at: number
}

/** The session columns, unqualified (RETURNING) and for alias `s`. */
export const SESSION_FIELDS = 'id, user_id, title, title_by_user, message_count, last_message_at, deleted_at, created_at, updated_at'
export const SESSION_COLUMNS = SESSION_FIELDS.split(', ').map((c) => `s.${c}`).join(', ')

export interface MessageRow {
  id: string
  session_id: string
  seq: number
  version: number
  role: ChatRole
  text: string
  params: string | null
  image_ids: string
  status: ChatMessageStatus
  task_id: string | null
  error: string | null
  edited_of: string | null
  superseded_by: string | null
  deleted_at: number | null
  created_at: number
  updated_at: number
}

/** The message columns, unqualified (RETURNING) and for alias `m`. */
export const MESSAGE_FIELDS =
  'id, session_id, seq, version, role, text, params, image_ids, status, task_id, error, edited_of, superseded_by, deleted_at, created_at, updated_at'
export const MESSAGE_COLUMNS = MESSAGE_FIELDS.split(', ').map((c) => `m.${c}`).join(', ')

/** A message's own condition for being shown by default: neither replaced by an edit nor deleted. */
export const CURRENT = 'm.superseded_by IS NULL AND m.deleted_at IS NULL'

const isoOrNull = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString())


export function toSessionDto(row: SessionRow): ChatSessionDto {
  return {
    id: row.id,
    title: row.title,
    titleSetByUser: row.title_by_user === 1,
    messageCount: row.message_count,
    lastMessageAt: isoOrNull(row.last_message_at),
    createdAt: new Date(row.created_at).toISOString(),
    updatedAt: new Date(row.updated_at).toISOString(),
    deletedAt: isoOrNull(row.deleted_at),
  }
}

interface ImageRow {
  id: string
  mime: string
  width: number
  height: number
  thumbhash: string | null
}

export const MESSAGE_IMAGE_VARIANTS = ['thumb', 'preview', 'original'] as const
export type MessageImageVariant = (typeof MESSAGE_IMAGE_VARIANTS)[number]

/** What a message image URL signs: the message, the image and the variant. */
export const messageImageResource = (messageId: string, imageId: string, variant: MessageImageVariant) => `chat-image:${messageId}:${imageId}:${variant}`

/**
 * The API shape of `rows`, with their images (one D1 read for all of them) and each message's
 * own signed image URLs (`/api/messages/{id}/images/{imageId}/{variant}`: they keep working while
 * the message holds the image, even after it left the library). An image id whose row is gone is
 * left out of `images` (never the case while the message holds it).
 */
export async function toMessageDtos(env: Env, rows: readonly MessageRow[]): Promise<ChatMessageDto[]> {
  const ids = [...new Set(rows.flatMap((r) => parseJsonColumn<string[]>(r.image_ids, [])))]
  const images = new Map<string, ImageRow>()
  if (ids.length > 0) {
    const { results } = await env.DB.prepare('SELECT id, mime, width, height, thumbhash FROM images WHERE id IN (SELECT value FROM json_each(?1))')
      .bind(JSON.stringify(ids))
      .all<ImageRow>()
    for (const img of results) images.set(img.id, img)
  }
  const exp = stableExpiry()
  const imagesOf = (messageId: string, imageIds: string[]) =>
    Promise.all(
      imageIds.flatMap((id) => {
        const img = images.get(id)
        if (!img) return []
        return [
          Promise.all(
            MESSAGE_IMAGE_VARIANTS.map(
              async (v) => `/api/messages/${messageId}/images/${id}/${v}?${await signResource(env, messageImageResource(messageId, id, v), exp)}`,
            ),
          ).then(([thumb, preview, original]) => ({ ...img, variants: { thumb: thumb!, preview: preview!, original: original! } })),
        ]
      }),
    )
  return Promise.all(rows.map(async (row) => {
    const imageIds = parseJsonColumn<string[]>(row.image_ids, [])
    return {
      id: row.id,
      sessionId: row.session_id,
      seq: row.seq,
      version: row.version,
      role: row.role,
      text: row.text,
      params: parseJsonColumn<Record<string, unknown> | null>(row.params, null),
      imageIds,
      images: await imagesOf(row.id, imageIds),
      taskId: row.task_id,
      status: row.status,
      error: row.error,
      editedOf: row.edited_of,
      supersededBy: row.superseded_by,
      createdAt: new Date(row.created_at).toISOString(),
      updatedAt: new Date(row.updated_at).toISOString(),
      deletedAt: isoOrNull(row.deleted_at),
    }
  }))
}
