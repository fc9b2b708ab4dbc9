import type { ReviewStatus } from '../../../db/schema'
import { signResource, stableExpiry } from '../../../lib/signed-urls'
import type { WorkDto } from './schemas'
import { parseJsonColumn } from '../../../lib/json'

/**
 * One work as the read queries select it (works ⋈ images ⋈ users), in plain SQL so a whole
 * gallery page and its count run in one D1 batch. Every list and detail reads with
 * `WORK_COLUMNS` / `WORK_FROM` and turns rows into the API shape with `toWorkDto`.
 */
export interface WorkRow {
  id: string
  seq: number
  user_id: string
  image_id: string
  task_id: string | null
  title: string | null
  description: string | null
  prompt: string | null
  negative_prompt: string | null
  params: string | null
  tags: string
  category: string | null
  is_public: number
  review_status: ReviewStatus
  review_reason: string | null
  featured: number
  views_count: number
  likes_count: number
  comments_count: number
  published_at: number | null
  publish_version: number
  created_at: number
  updated_at: number
  image_mime: string
  image_width: number
  image_height: number
  image_thumbhash: string | null
  author_username: string
  author_avatar_url: string | null
  /** 1 when the viewer likes it; present when the query selected `likedBy(...)`. */
  is_liked?: number | null
}

export const WORK_COLUMNS = `w.id, w.seq, w.user_id, w.image_id, w.task_id, w.title, w.description, w.prompt, w.negative_prompt,
  w.params, w.tags, w.category, w.is_public, w.review_status, w.review_reason, w.featured, w.views_count, w.likes_count,
  w.comments_count, w.published_at, w.publish_version, w.created_at, w.updated_at,
  i.mime AS image_mime, i.width AS image_width, i.height AS image_height, i.thumbhash AS image_thumbhash,
  u.username AS author_username, u.avatar_url AS author_avatar_url`

export const WORK_FROM = 'FROM works w JOIN images i ON i.id = w.image_id JOIN users u ON u.id = w.user_id'

/** The `is_liked` column for the viewer bound at parameter `?n` (NULL binds: never liked). */
export const likedBy = (param: number) => `EXISTS (SELECT 1 FROM work_likes l WHERE l.work_id = w.id AND l.user_id = ?${param}) AS is_liked`

/** Whether the work is in the gallery: public, approved, published. */
export const isPublished = (row: Pick<WorkRow, 'published_at'>) => row.published_at !== null

const DAY_MS = 86_400_000
const VARIANT_NAMES = ['thumb', 'preview', 'original'] as const

/** The signed resource of a work's picture, for its owner while the work is not in the gallery. */
export const workImageResource = (workId: string, variant: (typeof VARIANT_NAMES)[number]) => `work:${workId}:${variant}`

/** The public, immutable URL of a published work's image variant (changes with every publication). */
export const publicWorkImageUrl = (workId: string, variant: (typeof VARIANT_NAMES)[number], version: number) =>
  `/api/works/${workId}/images/${variant}?v=${version}`


/**
 * The API shape of a work for `viewerId` (null: anonymous). A published work's image URLs are
 * public; an unpublished one (only its owner and admins ever see it) gets signed work image URLs.
 * The rejection reason is shown to the owner only.
 */
export async function toWorkDto(env: Env, row: WorkRow, viewerId: string | null, now = Date.now()): Promise<WorkDto> {
  const isOwner = viewerId !== null && viewerId === row.user_id
  let variants: WorkDto['image']['variants']
  if (isPublished(row)) {
    const [thumb, preview, original] = VARIANT_NAMES.map((v) => publicWorkImageUrl(row.id, v, row.publish_version)) as [string, string, string]
    variants = { thumb, preview, original }
  } else {
    // The work's own signed URLs (not the image's): they keep working if the image is removed
    // from the library while the work holds it, and end with the work.
    const exp = stableExpiry(now)
    const [thumb, preview, original] = await Promise.all(
      VARIANT_NAMES.map(async (v) => `/api/works/${row.id}/images/${v}?${await signResource(env, workImageResource(row.id, v), exp)}`),
    )
    variants = { thumb: thumb!, preview: preview!, original: original! }
  }
  return {
    id: row.id,
    title: row.title,
    description: row.description,
    prompt: row.prompt,
    negativePrompt: row.negative_prompt,
    params: parseJsonColumn<Record<string, unknown> | null>(row.params, null),
    tags: parseJsonColumn<string[]>(row.tags, []),
    category: row.category,
    isPublic: row.is_public === 1,
    reviewStatus: row.review_status,
    reviewReason: isOwner ? row.review_reason : null,
    featured: row.featured === 1,
    viewsCount: row.views_count,
    likesCount: row.likes_count,
    commentsCount: row.comments_count,
    image: {
      id: row.image_id,
      mime: row.image_mime,
      width: row.image_width,
      height: row.image_height,
      thumbhash: row.image_thumbhash,
      variants,
    },
    author: { id: row.user_id, username: row.author_username, avatarUrl: row.author_avatar_url },
    taskId: row.task_id,
    isLiked: row.is_liked === 1,
    isNew: now - (row.published_at ?? row.created_at) <= DAY_MS,
    publishedAt: row.published_at === null ? null : new Date(row.published_at).toISOString(),
    createdAt: new Date(row.created_at).toISOString(),
    updatedAt: new Date(row.updated_at).toISOString(),
  }
}
