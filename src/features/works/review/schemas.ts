import { z } from '@hono/zod-openapi'
import { PaginationQuery, paginationSchema } from '../../../lib/openapi'
import { WorkSchema } from '../shared/schemas'

/** The review states a work can be listed by: those it reaches once its owner makes it public. */
export const LISTED_REVIEW_STATUSES = ['pending', 'approved', 'rejected'] as const
export const REVIEW_REASON_MAX = 500

export const AdminWorkListQuery = PaginationQuery.extend({
  reviewStatus: z.enum(LISTED_REVIEW_STATUSES).optional().openapi({
    description: 'Only works in this state (pending: oldest first, the review queue). Without it, every work that entered review, latest change first',
  }),
  search: z.string().max(200).optional().openapi({ description: 'Words in the title, description, prompt or tags', example: 'harbour' }),
})

export const AdminWorkPageSchema = paginationSchema(WorkSchema).openapi('AdminWorkPage')

export const ReviewWorkBody = z
  .object({
    reviewStatus: z.enum(['approved', 'rejected']).optional().openapi({
      description:
        'approved: a public work enters the gallery (a private one just records it); rejected: leaves the gallery and becomes private, ' +
        'the owner sees `reason` (only pending, approved or rejected works can be rejected)',
    }),
    featured: z.boolean().optional().openapi({ description: 'Shown with `featured=true` in the gallery; changes nothing else' }),
    reason: z.string().trim().min(1).max(REVIEW_REASON_MAX).optional().openapi({ description: 'Required when rejecting; shown to the owner' }),
  })
  .refine((b) => b.reviewStatus !== undefined || b.featured !== undefined, { message: 'Send reviewStatus, featured or both' })
  .refine((b) => b.reviewStatus !== 'rejected' || b.reason !== undefined, { message: 'A rejection needs a reason (≤ 500 characters)', path: ['reason'] })
  .openapi('WorkReview', { example: { reviewStatus: 'rejected', reason: 'Shows an identifiable person without their consent' } })
export type ReviewChange = z.output<typeof ReviewWorkBody>

export const ReviewedWorkSchema = z.object({ work: WorkSchema }).openapi('ReviewedWork')
