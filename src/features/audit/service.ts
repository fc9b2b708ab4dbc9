import { newId } from '../../lib/ids'
import { paginate } from '../../lib/openapi'
import type { AuditEntry, AuditEntryDto } from './schemas'

/**
 * The audit log (`audit_log`) is written only here and never changed: rows are inserted, listed,
 * and nothing else. A feature that changes state puts `auditStatement` into its own D1 batch, so
 * the change and its record land together or not at all.
 */

const json = (value: unknown) => (value === undefined ? null : JSON.stringify(value))

/**
 * The INSERT of one audit row, for the caller's own `env.DB.batch([...])`. With
 * `onlyIfPreviousChanged`, put it right after a guarded UPDATE: the row is written only when that
 * statement changed a row (SQLite's `changes()`, which ignores trigger writes), so a lost race
 * that answers 409 leaves no record of a change that did not happen.
 */
export function auditStatement(env: Env, entry: AuditEntry, options: { onlyIfPreviousChanged?: boolean } = {}): D1PreparedStatement {
  return env.DB.prepare(
    `INSERT INTO audit_log (id, actor_id, action, target_type, target_id, before, after, created_at)
     SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8 ${options.onlyIfPreviousChanged ? 'WHERE changes() > 0' : ''}`,
  ).bind(newId('aud'), entry.actorId, entry.action, entry.targetType, entry.targetId, json(entry.before), json(entry.after), Date.now())
}

/** A drizzle query as a prepared D1 statement, to share an `env.DB.batch([...])` with `auditStatement`. */
export function d1Statement(env: Env, query: { toSQL(): { sql: string; params: unknown[] } }): D1PreparedStatement {
  const { sql: text, params } = query.toSQL()
  return env.DB.prepare(text).bind(...params)
}

/** Records one change on its own (when it cannot share the change's batch). */
export async function recordAudit(env: Env, entry: AuditEntry): Promise<void> {
  await auditStatement(env, entry).run()
}

export interface AuditFilter {
  actor?: string
  action?: string
  targetType?: string
  targetId?: string
  from?: string
  to?: string
  page: number
  limit: number
}

interface AuditRow {
  id: string
  actor_id: string | null
  username: string | null
  action: string
  target_type: string
  target_id: string
  before: string | null
  after: string | null
  created_at: number
}

const parse = (text: string | null): unknown => (text === null ? null : JSON.parse(text))

/** A page of the audit log, newest first, filtered; page and count in one D1 batch. */
export async function listAudit(env: Env, filter: AuditFilter) {
  const where: string[] = []
  const params: unknown[] = []
  const add = (sql: string, value: unknown) => where.push(sql.replace('?', `?${params.push(value)}`))
  if (filter.actor !== undefined) add('a.actor_id = ?', filter.actor)
  if (filter.action !== undefined) add('a.action = ?', filter.action)
  if (filter.targetType !== undefined) add('a.target_type = ?', filter.targetType)
  if (filter.targetId !== undefined) add('a.target_id = ?', filter.targetId)
  if (filter.from !== undefined) add('a.created_at >= ?', Date.parse(filter.from))
  if (filter.to !== undefined) add('a.created_at < ?', Date.parse(filter.to))
  const clause = where.length ? `WHERE ${where.join(' AND ')}` : ''
  const n = params.length
  const [page, count] = await env.DB.batch<unknown>([
    env.DB.prepare(
      `SELECT a.id, a.actor_id, u.username, a.action, a.target_type, a.target_id, a.before, a.after, a.created_at
         FROM audit_log a LEFT JOIN users u ON u.id = a.actor_id
         ${clause} ORDER BY a.created_at DESC, a.id DESC LIMIT ?${n + 1} OFFSET ?${n + 2}`,
    ).bind(...params, filter.limit, (filter.page - 1) * filter.limit),
    env.DB.prepare(`SELECT COUNT(*) AS n FROM audit_log a ${clause}`).bind(...params),
  ])
  const items: AuditEntryDto[] = ((page?.results ?? []) as AuditRow[]).map((row) => ({
    id: row.id,
    actorId: row.actor_id,
    actorUsername: row.username,
    action: row.action,
    targetType: row.target_type,
    targetId: row.target_id,
    before: parse(row.before),
    after: parse(row.after),
    createdAt: new Date(row.created_at).toISOString(),
  }))
  return paginate(items, (count?.results[0] as { n: number } | undefined)?.n ?? 0, filter.page, filter.limit)
}
