import { paginate } from '../../lib/openapi'
import type { AdminTaskDto } from './schemas'

export interface TaskFilter {
  status?: AdminTaskDto['status'] | undefined
  userId?: string | undefined
  provider?: string | undefined
  from?: string | undefined
  to?: string | undefined
  page: number
  limit: number
}

interface TaskRow {
  id: string
  user_id: string
  username: string | null
  status: AdminTaskDto['status']
  provider: string
  model: string
  cost: number
  attempts: number
  error: string | null
  error_code: AdminTaskDto['errorCode']
  created_at: number
  started_at: number | null
  finished_at: number | null
}

const isoOrNull = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString())

/** Every user's tasks, newest first, filtered, with the owner's username; page and count in one D1 batch. */
export async function listTasks(env: Env, filter: TaskFilter) {
  const where: string[] = []
  const params: unknown[] = []
  const add = (sql: string, value: unknown) => where.push(sql.replace('?', `?${params.push(value)}`))
  if (filter.status !== undefined) add('t.status = ?', filter.status)
  if (filter.userId !== undefined) add('t.user_id = ?', filter.userId)
  if (filter.provider !== undefined) add('t.provider = ?', filter.provider)
  if (filter.from !== undefined) add('t.created_at >= ?', Date.parse(filter.from))
  if (filter.to !== undefined) add('t.created_at < ?', Date.parse(filter.to))
  const clause = where.length ? `WHERE ${where.join(' AND ')}` : ''
  const n = params.length
  const [page, total] = await env.DB.batch<unknown>([
    env.DB.prepare(
      `SELECT t.id, t.user_id, u.username, t.status, t.provider, t.model, t.cost, t.attempts, t.error, t.error_code,
              t.created_at, t.started_at, t.finished_at
         FROM tasks t LEFT JOIN users u ON u.id = t.user_id
         ${clause} ORDER BY t.created_at DESC, t.id DESC LIMIT ?${n + 1} OFFSET ?${n + 2}`,
    ).bind(...params, filter.limit, (filter.page - 1) * filter.limit),
    env.DB.prepare(`SELECT COUNT(*) AS n FROM tasks t ${clause}`).bind(...params),
  ])
  const items: AdminTaskDto[] = ((page?.results ?? []) as TaskRow[]).map((r) => ({
    id: r.id,
    userId: r.user_id,
    username: r.username,
    status: r.status,
    provider: r.provider,
    model: r.model,
    cost: r.cost,
    attempts: r.attempts,
    error: r.error,
    errorCode: r.status === 'failed' ? (r.error_code ?? 'GENERATION_FAILED') : null,
    createdAt: new Date(r.created_at).toISOString(),
    startedAt: isoOrNull(r.started_at),
    finishedAt: isoOrNull(r.finished_at),
  }))
  return paginate(items, (total?.results[0] as { n: number } | undefined)?.n ?? 0, filter.page, filter.limit)
}
