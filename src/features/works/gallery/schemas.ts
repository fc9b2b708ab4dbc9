import { z } from '@hono/zod-openapi'
import { paginationSchema } from '../../../lib/openapi'
import { WORK_LIMITS, WorkSchema } from '../shared/schemas'

export const GALLERY_SORTS = ['latest', 'popular', 'views', 'likes'] as const
export type GallerySort = (typeof GALLERY_SORTS)[number]
export const TIME_FILTERS = ['today', 'week', 'month'] as const
export type TimeFilter = (typeof TIME_FILTERS)[number]

/** How deep `page` may go (offset + limit); deeper lists page with `cursor`, which costs the same at any depth. */
export const MAX_PAGE_DEPTH = 10_000

export const GalleryQuery = z.object({
  page: z.coerce.number().int().min(1).default(1).openapi({ example: 1, description: 'Ignored with `cursor`' }),
  limit: z.coerce.number().int().min(1).max(100).default(20).openapi({ example: 20 }),
  sort: z.enum(GALLERY_SORTS).default('latest').openapi({
    description: 'latest: newest publication first; popular: likes in the last 7 days, then all likes; views; likes',
  }),
  timeFilter: z.enum(TIME_FILTERS).optional().openapi({ description: 'Published in the last 24 hours, 7 days or 30 days' }),
  category: z.string().trim().min(1).max(WORK_LIMITS.category).optional(),
  tag: z.string().trim().min(1).max(WORK_LIMITS.tag).optional().openapi({ description: 'Works carrying this tag (case-insensitive)' }),
  search: z.string().max(200).optional().openapi({
    description:
      'Words that must all occur in the title, description, prompt or tags; any part of a word, CJK included. At most 8 ' +
      'distinct words are used, and of those shorter than 3 characters only the first 2 (further short words are ignored).',
    example: '日落',
  }),
  featured: z.enum(['true', 'false']).optional().transform((v) => (v === undefined ? undefined : v === 'true')),
  authorId: z.string().min(1).max(64).optional(),
  cursor: z.string().min(1).max(1000).optional().openapi({
    description: '`nextCursor` of the previous page, for paging that stays stable while new works arrive. Only valid with the sort it came from.',
  }),
})
export type GalleryQueryInput = z.output<typeof GalleryQuery>

export const GalleryPageSchema = paginationSchema(WorkSchema)
  .extend({
    nextCursor: z.string().nullable().openapi({
      description: 'Pass as `cursor` for the next page (no duplicates or gaps while new works are published); null at the end',
      example: 'eyJzIjoibGF0ZXN0IiwidiI6WzE3NzI0NDI4MDAwMDBdLCJpZCI6Indya181bTJxOHgxazN6IiwiYXQiOjE3NzI0NDI5MDAwMDAsInAiOjJ9',
    }),
  })
  .openapi('GalleryPage')
export type GalleryPage = z.infer<typeof GalleryPageSchema>
