import { conflict, forbidden, notFound } from '../../lib/errors'
import { paginate } from '../../lib/openapi'
import { auditStatement } from '../audit/service'
import { accountStateStatement } from '../auth/account-state'
import { revokeAllSessionsIfDisabledStatement, revokeAllSessionsIfEnabledStatement } from '../auth/sessions'
import { adminCreditStatements, publishBalance } from '../credits/service'
import { closeSessionSockets } from '../../realtime/revoke'
import type { AdminUserChanges, AdminUserDto } from './schemas'

interface UserRow {
  id: string
  username: string
  email: string | null
  role: 'user' | 'admin'
  credits: number
  wechat_open_id: string | null
  disabled_at: number | null
  disabled_reason: string | null
  created_at: number
  last_login_at: number | null
}

const COLUMNS = 'id, username, email, role, credits, wechat_open_id, disabled_at, disabled_reason, created_at, last_login_at'
const isoOrNull = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString())

function toAdminUser(row: UserRow): AdminUserDto {
  return {
    id: row.id,
    username: row.username,
    email: row.email,
    role: row.role,
    status: row.disabled_at === null ? 'active' : 'disabled',
    isActive: row.disabled_at === null,
    credits: row.credits,
    wechat: row.wechat_open_id !== null,
    disabledAt: isoOrNull(row.disabled_at),
    disabledReason: row.disabled_reason,
    createdAt: new Date(row.created_at).toISOString(),
    lastLoginAt: isoOrNull(row.last_login_at),
  }
}

/** `%`, `_` and `\` in a search term match themselves. */
const likePattern = (term: string) => `%${term.toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`)}%`

export interface UserFilter {
  search?: string | undefined
  role?: 'user' | 'admin' | undefined
  status?: 'active' | 'disabled' | undefined
  page: number
  limit: number
}

/** A page of accounts, newest first, with the count, in one D1 batch. */
export async function listUsers(env: Env, filter: UserFilter) {
  const where: string[] = []
  const params: unknown[] = []
  if (filter.search !== undefined) {
    const n = params.push(likePattern(filter.search))
    where.push(`(lower(username) LIKE ?${n} ESCAPE '\\' OR lower(email) LIKE ?${n} ESCAPE '\\')`)
  }
  if (filter.role !== undefined) where.push(`role = ?${params.push(filter.role)}`)
  if (filter.status !== undefined) where.push(filter.status === 'active' ? 'disabled_at IS NULL' : 'disabled_at IS NOT NULL')
  const clause = where.length ? `WHERE ${where.join(' AND ')}` : ''
  const n = params.length
  const [page, total] = await env.DB.batch<unknown>([
    env.DB.prepare(`SELECT ${COLUMNS} FROM users ${clause} ORDER BY created_at DESC, id DESC LIMIT ?${n + 1} OFFSET ?${n + 2}`)
      .bind(...params, filter.limit, (filter.page - 1) * filter.limit),
    env.DB.prepare(`SELECT COUNT(*) AS n FROM users ${clause}`).bind(...params),
  ])
  const items = ((page?.results ?? []) as UserRow[]).map(toAdminUser)
  return paginate(items, (total?.results[0] as { n: number } | undefined)?.n ?? 0, filter.page, filter.limit)
}

async function readUser(env: Env, userId: string): Promise<UserRow | null> {
  return env.DB.prepare(`SELECT ${COLUMNS} FROM users WHERE id = ?1`).bind(userId).first<UserRow>()
}

/**
 * A statement that makes the whole batch fail (and roll back) unless the statement right before it
 * changed rows: `abs()` of the smallest integer is an overflow error. Used when one request both
 * changes the account and moves credits, so neither half can land without the other.
 */
function abortUnlessPreviousChanged(env: Env): D1PreparedStatement {
  // The argument depends on changes(), so it can never be folded into a constant and evaluated early.
  return env.DB.prepare('SELECT abs((-9223372036854775807 - 1) + (changes() != 0)) AS ok')
}

const LAST_ADMIN = 'The last active admin cannot be demoted or disabled: make another admin first'

/**
 * An admin's change of an account: role, disabled/enabled, credits (`admin_adjust` with the
 * reason as its note). One D1 batch holds every change and its audit row (`users.update`,
 * `credits.adjust`), the account change guarded by the state read just before (compare-and-set:
 * of two concurrent edits one wins, the other answers 409) and by "another active admin remains"
 * inside the same UPDATE, so two parallel demotions can never leave no admin. Disabling revokes
 * every session in that batch and then closes the user's sockets.
 */
export async function updateUser(env: Env, actorId: string, userId: string, changes: AdminUserChanges): Promise<AdminUserDto> {
  const before = await readUser(env, userId)
  if (!before) throw notFound('User')
  const wasActive = before.disabled_at === null
  const role = changes.role ?? before.role
  const active = changes.isActive ?? wasActive
  const accountChanges = role !== before.role || active !== wasActive
  if (userId === actorId && accountChanges) {
    throw forbidden(active ? 'You cannot change your own role: ask another admin' : 'You cannot disable your own account')
  }
  const delta = changes.creditsDelta
  if (delta !== undefined && before.credits + delta < 0) {
    throw conflict(`Credits cannot go below 0: the balance is ${before.credits}`, { balance: before.credits, creditsDelta: delta })
  }
  if (!accountChanges && delta === undefined) return toAdminUser(before)

  const now = Date.now()
  const statements: D1PreparedStatement[] = []
  const both = accountChanges && delta !== undefined
  const removesAdmin = accountChanges && before.role === 'admin' && wasActive && (role !== 'admin' || !active)
  if (accountChanges) {
    statements.push(
      accountStateStatement(env, {
        userId, role, now,
        disabledAt: active ? null : wasActive ? now : before.disabled_at,
        disabledReason: active ? null : (changes.reason ?? before.disabled_reason),
        expected: { role: before.role, active: wasActive },
        keepAnotherAdmin: removesAdmin,
        actorId,
      }),
    )
    if (both) statements.push(abortUnlessPreviousChanged(env))
    statements.push(
      auditStatement(env, {
        actorId, action: 'users.update', targetType: 'user', targetId: userId,
        before: { role: before.role, isActive: wasActive },
        after: { role, isActive: active, ...(changes.reason !== undefined && !active ? { reason: changes.reason } : {}) },
      }, { onlyIfPreviousChanged: true }),
    )
    if (!active && wasActive) statements.push(revokeAllSessionsIfDisabledStatement(env, userId, 'account_disabled', now))
    // A sign-in that raced the disabling may have left a session behind: it must not come back to life.
    if (active && !wasActive) statements.push(revokeAllSessionsIfEnabledStatement(env, userId, 'account_enabled', now))
  }
  if (delta !== undefined) {
    const [ledger, balance] = adminCreditStatements(env, { userId, amount: delta, reason: 'admin_adjust', note: changes.reason, now })
    statements.push(ledger)
    if (both) statements.push(abortUnlessPreviousChanged(env))
    statements.push(
      auditStatement(env, {
        actorId, action: 'credits.adjust', targetType: 'user', targetId: userId,
        before: { credits: before.credits }, after: { creditsDelta: delta, reason: changes.reason ?? null },
      }, { onlyIfPreviousChanged: true }),
      balance,
    )
  }

  let results: D1Result[]
  try {
    results = await env.DB.batch(statements)
  } catch (error) {
    // Only the deliberate abort (see abortUnlessPreviousChanged) means a lost guard.
    if (!both || !/integer overflow/i.test(`${String(error)} ${String((error as Error).cause ?? '')}`)) throw error
    throw await explainLoss(env, actorId, userId, before, removesAdmin, delta !== undefined)
  }
  if ((results[0]?.meta.changes ?? 0) === 0) throw await explainLoss(env, actorId, userId, before, removesAdmin, delta !== undefined)

  if (!active && wasActive) await closeSessionSockets(env, userId, 'all', 'account_disabled')
  if (delta !== undefined) await publishBalance(env, userId)
  const after = await readUser(env, userId)
  if (!after) throw notFound('User')
  return toAdminUser(after)
}

/**
 * Why a guarded change did not apply: the user is gone, someone changed the account first, it
 * would have removed the last active admin, or the balance would have gone below 0.
 */
async function explainLoss(env: Env, actorId: string, userId: string, before: UserRow, removesAdmin: boolean, movesCredits: boolean) {
  const actor = await readUser(env, actorId)
  if (!actor || actor.role !== 'admin' || actor.disabled_at !== null) return forbidden('You are no longer an active admin')
  const now = await readUser(env, userId)
  if (!now) return notFound('User')
  if (now.role !== before.role || (now.disabled_at === null) !== (before.disabled_at === null)) {
    return conflict('The account changed while you were editing it: reload and try again', { current: toAdminUser(now) })
  }
  if (removesAdmin) {
    const other = await env.DB.prepare("SELECT 1 AS x FROM users WHERE role = 'admin' AND disabled_at IS NULL AND id != ?1 LIMIT 1").bind(userId).first()
    if (!other) return conflict(LAST_ADMIN)
  }
  if (!movesCredits) return conflict('The account changed while you were editing it: reload and try again', { current: toAdminUser(now) })
  return conflict(`Credits cannot go below 0: the balance is ${now.credits}`, { balance: now.credits })
}
