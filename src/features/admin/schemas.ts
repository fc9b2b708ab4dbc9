import { z } from '@hono/zod-openapi'
import { LEDGER_REASONS, ORDER_STATUSES, TASK_ERROR_CODES, TASK_STATUSES, USER_ROLES } from '../../db/schema'
import { PaginationQuery, paginationSchema } from '../../lib/openapi'

const datetime = z.iso.datetime({ offset: true })
const id = z.string().min(1).max(64)
const stamp = z.string().openapi({ format: 'date-time' })

/** `from` inclusive, `to` exclusive, and `from` before `to`. */
const rangeOk = (q: { from?: string | undefined; to?: string | undefined }) => q.from === undefined || q.to === undefined || Date.parse(q.from) < Date.parse(q.to)
const rangeIssue = { message: '`from` must be before `to`', path: ['from'] }

export const AdminUserIdParam = z.object({ id: id.openapi({ param: { name: 'id', in: 'path' }, example: 'usr_01hx2k9q7v3mabcdefghjkmnpq' }) })

export const AdminUserListQuery = PaginationQuery.extend({
  search: z.string().trim().min(1).max(100).optional().openapi({ description: 'Part of the username or email (case-insensitive)', example: 'ada' }),
  role: z.enum(USER_ROLES).optional(),
  status: z.enum(['active', 'disabled']).optional().openapi({ description: '`disabled`: an admin disabled the account' }),
})

export const AdminUserSchema = z
  .object({
    id: z.string(),
    username: z.string(),
    email: z.string().nullable(),
    role: z.enum(USER_ROLES),
    status: z.enum(['active', 'disabled']),
    isActive: z.boolean(),
    credits: z.number().int(),
    wechat: z.boolean().openapi({ description: 'Signs in with WeChat' }),
    disabledAt: stamp.nullable(),
    disabledReason: z.string().nullable(),
    createdAt: stamp,
    lastLoginAt: stamp.nullable().openapi({ description: 'Last password sign-in (refreshes and WeChat sign-ins do not set it)' }),
  })
  .openapi('AdminUser', {
    example: {
      id: 'usr_01hx2k9q7v3mabcdefghjkmnpq', username: 'ada', email: 'ada@example.com', role: 'user', status: 'active', isActive: true,
      credits: 96, wechat: false, disabledAt: null, disabledReason: null, createdAt: '2026-03-01T09:30:00.000Z', lastLoginAt: '2026-03-02T18:04:11.000Z',
    },
  })
export type AdminUserDto = z.infer<typeof AdminUserSchema>

export const AdminUserPageSchema = paginationSchema(AdminUserSchema).openapi('AdminUserPage')

export const AdminUserUpdate = z
  .object({
    role: z.enum(USER_ROLES).optional(),
    isActive: z.boolean().optional().openapi({ description: 'false disables the account: every session is revoked and its sockets close' }),
    creditsDelta: z.number().int().min(-1_000_000).max(1_000_000).refine((n) => n !== 0, 'creditsDelta must not be 0').optional()
      .openapi({ description: 'Added to (or, negative, taken from) the balance as an `admin_adjust` ledger row; never below 0' }),
    reason: z.string().trim().min(1).max(200).optional().openapi({ description: 'Required with `creditsDelta` (the ledger note); kept as the disable reason' }),
  })
  .refine((b) => b.role !== undefined || b.isActive !== undefined || b.creditsDelta !== undefined, { message: 'Nothing to update: send role, isActive or creditsDelta' })
  .refine((b) => b.creditsDelta === undefined || b.reason !== undefined, { message: 'reason is required with creditsDelta', path: ['reason'] })
  .openapi('AdminUserUpdate', { example: { isActive: false, reason: 'Chargeback fraud' } })
export type AdminUserChanges = z.output<typeof AdminUserUpdate>

export const AdminTaskListQuery = PaginationQuery.extend({
  status: z.enum(TASK_STATUSES).optional(),
  userId: id.optional(),
  provider: z.string().min(1).max(32).optional().openapi({ example: 'replicate' }),
  from: datetime.optional().openapi({ description: 'Created at or after (ISO 8601)', example: '2026-01-01T00:00:00Z' }),
  to: datetime.optional().openapi({ description: 'Created before (ISO 8601, exclusive)', example: '2026-02-01T00:00:00Z' }),
}).refine(rangeOk, rangeIssue)

export const AdminTaskSchema = z
  .object({
    id: z.string(),
    userId: z.string(),
    username: z.string().nullable(),
    status: z.enum(TASK_STATUSES),
    provider: z.string(),
    model: z.string(),
    cost: z.number().int(),
    attempts: z.number().int(),
    error: z.string().nullable(),
    errorCode: z.enum(TASK_ERROR_CODES).nullable(),
    createdAt: stamp,
    startedAt: stamp.nullable(),
    finishedAt: stamp.nullable(),
  })
  .openapi('AdminTask', {
    example: {
      id: 'tsk_01hx2m4b', userId: 'usr_01hx2k9q7v3mabcdefghjkmnpq', username: 'ada', status: 'failed', provider: 'replicate', model: 'sdxl',
      cost: 4, attempts: 2, error: 'Provider timed out', errorCode: 'GENERATION_FAILED', createdAt: '2026-05-04T09:12:03.000Z',
      startedAt: '2026-05-04T09:12:04.000Z', finishedAt: '2026-05-04T09:27:04.000Z',
    },
  })
export type AdminTaskDto = z.infer<typeof AdminTaskSchema>
export const AdminTaskPageSchema = paginationSchema(AdminTaskSchema).openapi('AdminTaskPage')

const count = z.number().int()

export const SocketStatsSchema = z
  .object({
    total: count.openapi({ description: 'Every socket below' }),
    userSockets: count.openapi({ description: 'Devices on `/api/ws`' }),
    usersConnected: count.openapi({ description: 'Users with at least one device connected' }),
    liveOwners: count.openapi({ description: 'Photographer sockets on live sessions' }),
    liveGuests: count.openapi({ description: 'Guest (viewer) sockets on live sessions' }),
    liveRooms: count.openapi({ description: 'Live sessions with at least one socket' }),
    topLiveSessions: z.array(z.object({ sessionId: z.string(), title: z.string().nullable(), viewers: count, owners: count })),
    staleAfterSeconds: count.openapi({ description: 'Rooms not heard from for this long are left out' }),
    generatedAt: stamp,
  })
  .openapi('SocketStats', {
    example: {
      total: 1287, userSockets: 212, usersConnected: 170, liveOwners: 3, liveGuests: 1072, liveRooms: 3,
      topLiveSessions: [{ sessionId: 'live_01hx3a', title: 'Lee & Kim wedding', viewers: 801, owners: 1 }],
      staleAfterSeconds: 46800, generatedAt: '2026-05-04T09:30:00.000Z',
    },
  })
export type SocketStatsDto = z.infer<typeof SocketStatsSchema>

const byStatus = <T extends readonly [string, ...string[]]>(values: T) => z.record(z.enum(values), count)

export const OverviewSchema = z
  .object({
    users: z.object({
      total: count, newToday: count, new7d: count, active7d: count.openapi({ description: 'Signed in with a password or created a task in the last 7 × 24 h' }),
      disabled: count, admins: count,
    }),
    tasks: z.object({ total: count, today: count, byStatus: byStatus(TASK_STATUSES) }),
    credits: z.object({
      issued: count.openapi({ description: 'Credits added: sign-up bonuses, grants, purchases, positive adjustments' }),
      spent: count.openapi({ description: 'Task charges minus their refunds' }),
      byReason: z.record(z.enum(LEDGER_REASONS), count).openapi({ description: 'Net amount per ledger reason' }),
    }),
    orders: z.object({
      total: count, byStatus: byStatus(ORDER_STATUSES),
      revenue: z.array(z.object({ currency: z.string(), amountCents: count, orders: count, todayCents: count })).openapi({ description: 'Paid orders per currency' }),
    }),
    works: z.object({ pendingReview: count }),
    live: z.object({ running: count.openapi({ description: 'Live sessions in status `live` that have not ended' }) }),
    sockets: z.object({ connected: count, userSockets: count, liveOwners: count, liveGuests: count }),
    generatedAt: stamp,
  })
  .openapi('AdminOverview', {
    example: {
      users: { total: 1520, newToday: 12, new7d: 95, active7d: 410, disabled: 3, admins: 2 },
      tasks: { total: 48210, today: 730, byStatus: { queued: 4, running: 6, succeeded: 46900, failed: 1200, canceled: 100 } },
      credits: { issued: 412000, spent: 190000, byReason: { signup_bonus: 152000, task_charge: -196000, task_refund: 6000, admin_grant: 1000, admin_adjust: -50, purchase: 259000, } },
      orders: { total: 640, byStatus: { pending: 5, paid: 600, expired: 30, failed: 4, refunded: 1 }, revenue: [{ currency: 'CNY', amountCents: 1290000, orders: 600, todayCents: 19800 }] },
      works: { pendingReview: 7 }, live: { running: 2 }, sockets: { connected: 1287, userSockets: 212, liveOwners: 3, liveGuests: 1072 },
      generatedAt: '2026-05-04T09:30:00.000Z',
    },
  })
export type OverviewDto = z.infer<typeof OverviewSchema>
