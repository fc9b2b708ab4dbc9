import { z } from '@hono/zod-openapi'
import { paginationSchema } from '../../../lib/openapi'
import { WORK_LIMITS, WorkAuthorSchema } from '../shared/schemas'

/** Control characters a comment may not hold: all of C0 and C1 but the newline. */
const FORBIDDEN_CONTROL = /[\u0000-\u0009\u000B-\u001F\u007F-\u009F]/u
/**
 * Unicode bidi controls (embeddings, overrides, isolates, LRM/RLM): they can make a comment display
 * differently from what it says ("Trojan Source" spoofing). The zero-width joiner U+200D is not one:
 * emoji sequences (👩‍💻) need it.
 */
const BIDI_CONTROL = /[\u200E\u200F\u202A-\u202E\u2066-\u2069]/u

// ---------- likes ----------

export const LikeBody = z
  .object({
    liked: z.boolean().optional().openapi({
      description: 'Set instead of toggle: `true` likes, `false` unlikes, whatever the current state (idempotent). Omit to toggle.',
    }),
  })
  .openapi('LikeRequest', { example: { liked: true } })

export const LikeStateSchema = z
  .object({
    isLiked: z.boolean().openapi({ description: 'Whether you like the work after this request' }),
    likesCount: z.number().int().openapi({ description: 'Likes of the work after this request' }),
  })
  .openapi('LikeState', { example: { isLiked: true, likesCount: 18 } })

// ---------- comments ----------

/** Comment text: newlines kept (CRLF and CR become LF), trimmed, 1..500 characters, no other control characters. */
export const CommentText = z
  .string()
  .transform((text) => text.replace(/\r\n?/gu, '\n').trim())
  .refine((text) => text.length > 0, 'Comment must not be empty')
  .refine((text) => [...text].length <= WORK_LIMITS.comment, `Comment must be at most ${WORK_LIMITS.comment} characters`)
  .refine((text) => !FORBIDDEN_CONTROL.test(text), 'Comment must not contain control characters (newlines are fine)')
  .refine((text) => !BIDI_CONTROL.test(text), 'Comment must not contain bidirectional control characters (U+200E, U+200F, U+202A–U+202E, U+2066–U+2069)')
  .openapi({
    type: 'string',
    minLength: 1,
    maxLength: WORK_LIMITS.comment,
    description:
      'Plain text, 1 to 500 characters after trimming. Newlines are kept; other control characters and Unicode bidi ' +
      'controls (U+200E, U+200F, U+202A–U+202E, U+2066–U+2069) are refused; emoji joiners (U+200D) are fine. Stored as ' +
      'sent, never interpreted as HTML or Markdown: clients must render it as text (e.g. `textContent`), never as markup.',
  })

export const CommentBody = z.object({ text: CommentText }).openapi('CommentCreate', { example: { text: 'Lovely light on the water' } })

export const CommentSchema = z
  .object({
    id: z.string(),
    workId: z.string(),
    text: z.string().openapi({ description: 'Plain text: render as text, never as HTML' }),
    author: WorkAuthorSchema,
    createdAt: z.string(),
    canDelete: z.boolean().openapi({ description: 'Whether you may delete it: its author, the work owner or an admin (false when anonymous)' }),
  })
  .openapi('Comment', {
    example: {
      id: 'cmt_3k9x2m1q8z',
      workId: 'wrk_5m2q8x1k3z',
      text: 'Lovely light on the water',
      author: { id: 'usr_2b7n4k8p0w', username: 'jun', avatarUrl: null },
      createdAt: '2026-03-01T11:00:00.000Z',
      canDelete: false,
    },
  })
export type CommentDto = z.infer<typeof CommentSchema>

export const CommentPageSchema = paginationSchema(CommentSchema).openapi('CommentPage')

export const CommentCreatedSchema = z.object({ comment: CommentSchema, commentsCount: z.number().int() }).openapi('CommentCreated')

export const CommentDeletedSchema = z
  .object({ deleted: z.literal(true), id: z.string(), workId: z.string(), commentsCount: z.number().int() })
  .openapi('CommentDeleted', { example: { deleted: true, id: 'cmt_3k9x2m1q8z', workId: 'wrk_5m2q8x1k3z', commentsCount: 2 } })

export const CommentIdParam = z.object({
  id: z.string().min(1).max(64).openapi({ param: { name: 'id', in: 'path' }, example: 'cmt_3k9x2m1q8z' }),
})

// ---------- follows and profiles ----------

export const UserIdPathParam = z.object({
  id: z.string().min(1).max(64).openapi({ param: { name: 'id', in: 'path' }, example: 'usr_8f3k2m9q1x' }),
})

export const FollowStateSchema = z
  .object({
    userId: z.string(),
    isFollowing: z.boolean().openapi({ description: 'Whether you follow the user after this request' }),
    followersCount: z.number().int().openapi({ description: "The user's followers after this request" }),
  })
  .openapi('FollowState', { example: { userId: 'usr_8f3k2m9q1x', isFollowing: true, followersCount: 42 } })

export const FollowUserSchema = z
  .object({
    id: z.string(),
    username: z.string(),
    avatarUrl: z.string().nullable(),
    bio: z.string().nullable(),
    isFollowing: z.boolean().openapi({ description: 'Whether you follow this user (false when anonymous)' }),
  })
  .openapi('FollowUser', { example: { id: 'usr_2b7n4k8p0w', username: 'jun', avatarUrl: null, bio: 'Night walks', isFollowing: false } })

export const FollowPageSchema = paginationSchema(FollowUserSchema).openapi('FollowUserPage')

export const PublicProfileSchema = z
  .object({
    id: z.string(),
    username: z.string(),
    avatarUrl: z.string().nullable(),
    bio: z.string().nullable(),
    website: z.string().nullable(),
    location: z.string().nullable(),
    worksCount: z.number().int().openapi({ description: 'Works in the gallery (public and approved)' }),
    followersCount: z.number().int(),
    followingCount: z.number().int(),
    isFollowing: z.boolean().openapi({ description: 'Whether you follow this user (false when anonymous or yourself)' }),
    createdAt: z.string(),
  })
  .openapi('PublicProfile', {
    example: {
      id: 'usr_8f3k2m9q1x',
      username: 'mei',
      avatarUrl: '/api/users/usr_8f3k2m9q1x/avatar',
      bio: 'Street and portrait photographer',
      website: 'https://mei.example.com',
      location: 'Lisbon',
      worksCount: 24,
      followersCount: 42,
      followingCount: 7,
      isFollowing: false,
      createdAt: '2026-01-12T08:00:00.000Z',
    },
  })
export type PublicProfile = z.infer<typeof PublicProfileSchema>

// ---------- stats ----------

const count = (description: string) => z.number().int().openapi({ description })

export const UserStatsSchema = z
  .object({
    totalWorks: count('Your works, public or not'),
    publicWorks: count('Your works marked public (in review or in the gallery)'),
    totalViews: count('Views of all your works (one per viewer per work per day)'),
    totalLikes: count('Likes of all your works'),
    monthlyWorks: count('Works you created this calendar month (UTC)'),
    weeklyViews: count('Views of your works in the last 7 days'),
    followersCount: count('Users following you'),
    followingCount: count('Users you follow'),
    tasks: count('Generation tasks submitted'),
    creditsSpent: count('Charged minus refunded'),
    works: count('Same as totalWorks (kept for older clients)'),
    views: count('Same as totalViews (kept for older clients)'),
    likes: count('Same as totalLikes (kept for older clients)'),
  })
  .openapi('UserStats', {
    example: {
      totalWorks: 12,
      publicWorks: 5,
      totalViews: 340,
      totalLikes: 41,
      monthlyWorks: 3,
      weeklyViews: 57,
      followersCount: 9,
      followingCount: 4,
      tasks: 7,
      creditsSpent: 14,
      works: 12,
      views: 340,
      likes: 41,
    },
  })
export type UserStats = z.infer<typeof UserStatsSchema>
