import { z } from '@hono/zod-openapi'
import { PaginationQuery, paginationSchema } from '../../lib/openapi'

/**
 * What an admin change can be: `<area>.<verb>`. Writers use these names; the API answers any
 * string so rows written by a newer deploy still list.
 */
export const AUDIT_ACTIONS = [
  'settings.update',
  'works.review',
  'users.update',
  'credits.grant',
  'credits.adjust',
  'packages.create',
  'packages.update',
  'packages.delete',
  'packages.deactivate',
  'scenes.create',
  'scenes.update',
  'scenes.delete',
] as const
export type AuditAction = (typeof AUDIT_ACTIONS)[number]
export const AUDIT_TARGET_TYPES = ['setting', 'work', 'user', 'package', 'order', 'scene'] as const
export type AuditTargetType = (typeof AUDIT_TARGET_TYPES)[number]

/** One change to record: who (null: the system), what, on which target, and the changed fields before and after. */
export interface AuditEntry {
  actorId: string | null
  action: AuditAction
  targetType: AuditTargetType
  targetId: string
  before: unknown
  after: unknown
}

const datetime = z.iso.datetime({ offset: true })

export const AuditListQuery = PaginationQuery.extend({
  actor: z.string().max(64).optional().openapi({ description: 'Only changes by this user id', example: 'usr_01hx2k9q7v3mabcdefghjkmnpq' }),
  action: z.string().max(64).optional().openapi({ description: `Only this action (${AUDIT_ACTIONS.join(', ')})`, example: 'settings.update' }),
  targetType: z.string().max(32).optional().openapi({ description: `Only this kind of target (${AUDIT_TARGET_TYPES.join(', ')})`, example: 'setting' }),
  targetId: z.string().max(128).optional().openapi({ description: 'Only this target (a setting key, a work or user id)', example: 'maintenance' }),
  from: datetime.optional().openapi({ description: 'Changes at or after this instant (ISO 8601)', example: '2026-01-01T00:00:00Z' }),
  to: datetime.optional().openapi({ description: 'Changes before this instant (ISO 8601, exclusive)', example: '2026-02-01T00:00:00Z' }),
}).refine((q) => q.from === undefined || q.to === undefined || Date.parse(q.from) < Date.parse(q.to), {
  message: '`from` must be before `to`',
  path: ['from'],
})

export const AuditEntrySchema = z
  .object({
    id: z.string(),
    actorId: z.string().nullable().openapi({ description: 'The admin who made the change; null for the system' }),
    actorUsername: z.string().nullable().openapi({ description: 'Their current username, when the account still exists' }),
    action: z.string().openapi({ example: 'settings.update' }),
    targetType: z.string().openapi({ example: 'setting' }),
    targetId: z.string().openapi({ example: 'maintenance' }),
    before: z.unknown().openapi({ description: 'The changed fields before (JSON; null when the target did not exist)', example: false }),
    after: z.unknown().openapi({ description: 'The changed fields after (JSON)', example: true }),
    createdAt: z.string().openapi({ example: '2026-01-15T09:30:00.000Z' }),
  })
  .openapi('AuditEntry')

export const AuditPageSchema = paginationSchema(AuditEntrySchema).openapi('AuditPage')
export type AuditEntryDto = z.infer<typeof AuditEntrySchema>
