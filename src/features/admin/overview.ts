import { LEDGER_REASONS, ORDER_STATUSES, TASK_STATUSES } from '../../db/schema'
import type { OverviewDto } from './schemas'
import { socketTotals, socketTotalsStatement } from './sockets'

const DAY_MS = 86_400_000

interface UsersRow { total: number; newToday: number | null; new7d: number | null; active7d: number | null; disabled: number | null; admins: number | null }
interface GroupRow { key: string; n: number; today: number | null }
interface LedgerRow { reason: (typeof LEDGER_REASONS)[number]; net: number; added: number }
interface OrderRow { status: (typeof ORDER_STATUSES)[number]; currency: string; n: number; cents: number; today: number | null }
interface MiscRow { pending: number; live: number }

const zeros = <K extends string>(keys: readonly K[]) => Object.fromEntries(keys.map((k) => [k, 0])) as Record<K, number>
/** Reasons whose positive amounts are credits entering the system (refunds only give back what a charge took). */
const ISSUING = new Set<string>(['signup_bonus', 'admin_grant', 'admin_adjust', 'purchase'])

/**
 * The admin dashboard in one D1 batch (one round trip). "Today" starts at 00:00 UTC; "7 d" is the
 * last 7 × 24 hours. Active users: a password sign-in (`last_login_at`) or a task in that window.
 */
export async function overview(env: Env, now = Date.now()): Promise<OverviewDto> {
  const today = now - (now % DAY_MS)
  const week = now - 7 * DAY_MS
  const [users, tasks, ledger, orders, misc, sockets] = await env.DB.batch<unknown>([
    env.DB.prepare(
      `SELECT COUNT(*) AS total, SUM(created_at >= ?1) AS newToday, SUM(created_at >= ?2) AS new7d,
              SUM(last_login_at >= ?2 OR EXISTS (SELECT 1 FROM tasks t WHERE t.user_id = users.id AND t.created_at >= ?2)) AS active7d,
              SUM(disabled_at IS NOT NULL) AS disabled, SUM(role = 'admin' AND disabled_at IS NULL) AS admins
         FROM users`,
    ).bind(today, week),
    env.DB.prepare('SELECT status AS key, COUNT(*) AS n, SUM(created_at >= ?1) AS today FROM tasks GROUP BY status').bind(today),
    env.DB.prepare('SELECT reason, SUM(amount) AS net, SUM(MAX(amount, 0)) AS added FROM credit_ledger GROUP BY reason'),
    env.DB.prepare(
      `SELECT status, currency, COUNT(*) AS n, SUM(amount_cents) AS cents, SUM(CASE WHEN paid_at >= ?1 THEN amount_cents ELSE 0 END) AS today
         FROM orders GROUP BY status, currency`,
    ).bind(today),
    env.DB.prepare(
      `SELECT (SELECT COUNT(*) FROM works WHERE review_status = 'pending') AS pending,
              (SELECT COUNT(*) FROM live_sessions WHERE status = 'live' AND deleted_at IS NULL AND (ends_at IS NULL OR ends_at > ?1)) AS live`,
    ).bind(now),
    socketTotalsStatement(env, now),
  ])
  const u = users?.results[0] as UsersRow | undefined
  const taskRows = (tasks?.results ?? []) as GroupRow[]
  const ledgerRows = (ledger?.results ?? []) as LedgerRow[]
  const orderRows = (orders?.results ?? []) as OrderRow[]
  const m = misc?.results[0] as MiscRow | undefined

  const byTaskStatus = zeros(TASK_STATUSES)
  for (const r of taskRows) if (r.key in byTaskStatus) byTaskStatus[r.key as keyof typeof byTaskStatus] = r.n
  const byReason = zeros(LEDGER_REASONS)
  for (const r of ledgerRows) if (r.reason in byReason) byReason[r.reason] = r.net
  const byOrderStatus = zeros(ORDER_STATUSES)
  const revenue = new Map<string, { currency: string; amountCents: number; orders: number; todayCents: number }>()
  for (const r of orderRows) {
    if (r.status in byOrderStatus) byOrderStatus[r.status] += r.n
    if (r.status !== 'paid') continue
    const entry = revenue.get(r.currency) ?? { currency: r.currency, amountCents: 0, orders: 0, todayCents: 0 }
    entry.amountCents += r.cents
    entry.orders += r.n
    entry.todayCents += r.today ?? 0
    revenue.set(r.currency, entry)
  }
  const s = socketTotals(sockets?.results[0] as Parameters<typeof socketTotals>[0])
  return {
    users: { total: u?.total ?? 0, newToday: u?.newToday ?? 0, new7d: u?.new7d ?? 0, active7d: u?.active7d ?? 0, disabled: u?.disabled ?? 0, admins: u?.admins ?? 0 },
    tasks: { total: taskRows.reduce((a, r) => a + r.n, 0), today: taskRows.reduce((a, r) => a + (r.today ?? 0), 0), byStatus: byTaskStatus },
    credits: {
      issued: ledgerRows.filter((r) => ISSUING.has(r.reason)).reduce((a, r) => a + r.added, 0),
      spent: -(byReason.task_charge + byReason.task_refund),
      byReason,
    },
    orders: { total: orderRows.reduce((a, r) => a + r.n, 0), byStatus: byOrderStatus, revenue: [...revenue.values()].sort((a, b) => a.currency.localeCompare(b.currency)) },
    works: { pendingReview: m?.pending ?? 0 },
    live: { running: m?.live ?? 0 },
    sockets: { connected: s.connected, userSockets: s.userSockets, liveOwners: s.liveOwners, liveGuests: s.liveGuests },
    generatedAt: new Date(now).toISOString(),
  }
}
