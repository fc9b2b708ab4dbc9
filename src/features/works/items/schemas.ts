import { z } from '@hono/zod-openapi'
import { PaginationQuery } from '../../../lib/openapi'
import { WORK_LIMITS, WorkIdParam } from '../shared/schemas'

/**
 * Tags as stored: trimmed, inner whitespace collapsed to one space, lower case, empties and
 * duplicates dropped (first occurrence kept, order preserved).
 */
export function normaliseTags(tags: readonly string[]): string[] {
  const out = tags.map((t) => t.normalize('NFKC').trim().replace(/\s+/gu, ' ').toLowerCase()).filter((t) => t.length > 0)
  return [...new Set(out)]
}

/** "" (or only spaces) means "none": an untitled work, no description, no category. */
const optionalText = (max: number, what: string) =>
  z
    .string()
    .trim()
    .max(max, `${what} is at most ${max} characters`)
    .nullable()
    .optional()
    .transform((v) => (v === undefined ? undefined : v === null || v === '' ? null : v))

const Tags = z
  .array(z.string().max(WORK_LIMITS.tag, `A tag is at most ${WORK_LIMITS.tag} characters`))
  .max(WORK_LIMITS.tags, `At most ${WORK_LIMITS.tags} tags`)
  .transform(normaliseTags)
  .openapi({ description: `≤ ${WORK_LIMITS.tags} tags of ≤ ${WORK_LIMITS.tag} characters; stored trimmed, lower-case, without duplicates` })

const EditableFields = {
  title: optionalText(WORK_LIMITS.title, 'Title').openapi({ description: `≤ ${WORK_LIMITS.title} characters, unique among your works (case-insensitive); "" or null: untitled` }),
  description: optionalText(WORK_LIMITS.description, 'Description'),
  tags: Tags.optional(),
  category: optionalText(WORK_LIMITS.category, 'Category'),
  isPublic: z.boolean().optional().openapi({ description: 'true: submit to the gallery (review first unless review is off); false: private, out of the gallery' }),
}

export const CreateWorkBody = z
  .object({ imageId: z.string().min(1).max(64), ...EditableFields })
  .openapi('CreateWork', { example: { imageId: 'img_2b7x9q4m1k', title: 'Harbour at dawn', tags: ['Harbour', ' fog '], isPublic: false } })
export type CreateWorkInput = z.output<typeof CreateWorkBody>

export const UpdateWorkBody = z
  .object(EditableFields)
  .openapi('UpdateWork', {
    description: 'Only the fields present change.',
    example: { title: 'Harbour at dawn', description: 'Fishing boats in morning fog', tags: ['harbour', 'fog'], category: 'landscape', isPublic: true },
  })
export type UpdateWorkInput = z.output<typeof UpdateWorkBody>

export const WORK_SORTS = ['created', 'updated', 'likes', 'views'] as const

export const WorkListQuery = PaginationQuery.extend({
  sort: z.enum(WORK_SORTS).default('created').openapi({ description: 'Newest first by creation or last edit, or most liked / viewed' }),
  search: z.string().max(200).optional().openapi({ description: 'Words in title, description, prompt or tags (all must occur)' }),
  tag: z.string().max(WORK_LIMITS.tag).optional().openapi({ description: 'Only works with this tag (compared normalised)' }),
  visibility: z.enum(['public', 'private']).optional(),
})
export type WorkListFilters = z.output<typeof WorkListQuery>

export const BatchDeleteBody = z
  .object({ ids: z.array(z.string().min(1).max(64)).min(1).max(WORK_LIMITS.batch) })
  .openapi('BatchDeleteWorks', { example: { ids: ['wrk_5m2q8x1k3z', 'wrk_9a1b2c3d4e'] } })

export const BatchDeleteResultSchema = z
  .object({ deleted: z.array(z.string()), count: z.number().int() })
  .openapi('WorksDeleted', { example: { deleted: ['wrk_5m2q8x1k3z', 'wrk_9a1b2c3d4e'], count: 2 } })

export const WORK_IMAGE_VARIANTS = ['thumb', 'preview', 'original'] as const
export type WorkImageVariant = (typeof WORK_IMAGE_VARIANTS)[number]

export const WorkImageParams = WorkIdParam.extend({
  variant: z.enum(WORK_IMAGE_VARIANTS).openapi({ param: { name: 'variant', in: 'path' }, example: 'thumb' }),
})
export const WorkImageQuery = z.object({
  v: z.coerce.number().int().min(0).optional().openapi({ description: "The work's current publication version, as in its image URLs", example: 1 }),
  exp: z.string().max(20).optional().openapi({ description: 'Signed URL expiry (unix seconds), for a work not in the gallery (owner only)' }),
  sig: z.string().max(128).optional().openapi({ description: 'Signed URL signature, for a work not in the gallery (owner only)' }),
})
