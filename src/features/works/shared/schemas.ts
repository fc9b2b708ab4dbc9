import { z } from '@hono/zod-openapi'
import { REVIEW_STATUSES } from '../../../db/schema'
import { heldImageSchema } from '../../../lib/openapi'

/** Limits of the work fields (API.md "Works, gallery and social"). */
export const WORK_LIMITS = { title: 100, description: 1000, tags: 10, tag: 30, category: 40, comment: 500, batch: 100 } as const

export const WorkAuthorSchema = z
  .object({ id: z.string(), username: z.string(), avatarUrl: z.string().nullable() })
  .openapi('WorkAuthor', { example: { id: 'usr_8f3k2m9q1x', username: 'mei', avatarUrl: '/api/users/usr_8f3k2m9q1x/avatar' } })

export const WorkImageSchema = heldImageSchema({
  thumb: 'Longest side ≤ 256 px',
  preview: 'Longest side ≤ 1600 px',
  original: 'Metadata-free for anyone but the owner',
})
  .openapi('WorkImage', {
    description:
      'The picture of a work. For a work in the gallery the URLs are public and immutable (`/api/works/{id}/images/{variant}?v=…`, ' +
      'edge-cached, no token); for a private work they are the owner\'s signed image URLs.',
  })

export const WorkSchema = z
  .object({
    id: z.string(),
    title: z.string().nullable(),
    description: z.string().nullable(),
    prompt: z.string().nullable(),
    negativePrompt: z.string().nullable(),
    params: z.record(z.string(), z.unknown()).nullable().openapi({ description: 'Generation parameters of the task that made it' }),
    tags: z.array(z.string()),
    category: z.string().nullable(),
    isPublic: z.boolean(),
    reviewStatus: z.enum(REVIEW_STATUSES),
    reviewReason: z.string().nullable().openapi({ description: 'Why review rejected it (owner only; null for others)' }),
    featured: z.boolean(),
    viewsCount: z.number().int(),
    likesCount: z.number().int(),
    commentsCount: z.number().int(),
    image: WorkImageSchema,
    author: WorkAuthorSchema,
    taskId: z.string().nullable(),
    isLiked: z.boolean().openapi({ description: 'Whether the signed-in viewer likes it (false when anonymous)' }),
    isNew: z.boolean().openapi({ description: 'Published (or, for a private work, created) in the last 24 hours' }),
    publishedAt: z.string().nullable().openapi({ description: 'When it appeared in the gallery; null while not public and approved' }),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .openapi('Work', {
    example: {
      id: 'wrk_5m2q8x1k3z',
      title: 'Harbour at dawn',
      description: 'Fishing boats in morning fog',
      prompt: 'a harbour at dawn, fog, film photo',
      negativePrompt: 'blurry',
      params: { model: 'sdxl', width: 1024, height: 1024, steps: 30, cfgScale: 7, seed: 42, sampler: 'euler' },
      tags: ['harbour', 'fog'],
      category: 'landscape',
      isPublic: true,
      reviewStatus: 'approved',
      reviewReason: null,
      featured: false,
      viewsCount: 128,
      likesCount: 17,
      commentsCount: 3,
      image: {
        id: 'img_tsk7x2_0',
        mime: 'image/png',
        width: 1024,
        height: 1024,
        thumbhash: '1QcSHQRnh493V4dIh4eXh1h4kJUI',
        variants: {
          thumb: '/api/works/wrk_5m2q8x1k3z/images/thumb?v=1',
          preview: '/api/works/wrk_5m2q8x1k3z/images/preview?v=1',
          original: '/api/works/wrk_5m2q8x1k3z/images/original?v=1',
        },
      },
      author: { id: 'usr_8f3k2m9q1x', username: 'mei', avatarUrl: null },
      taskId: 'tsk_7x2',
      isLiked: false,
      isNew: true,
      publishedAt: '2026-03-01T10:00:00.000Z',
      createdAt: '2026-03-01T09:30:00.000Z',
      updatedAt: '2026-03-01T10:00:00.000Z',
    },
  })
export type WorkDto = z.infer<typeof WorkSchema>

export const WorkIdParam = z.object({ id: z.string().min(1).max(64).openapi({ param: { name: 'id', in: 'path' }, example: 'wrk_5m2q8x1k3z' }) })
