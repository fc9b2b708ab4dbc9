import { and, count, eq, gte, sql } from 'drizzle-orm'
import { tasks, TASK_STATUSES } from '../../db/schema'
import type { Db } from '../../env'
import { IsolateCache } from '../../lib/isolate-cache'
import type { TaskCounts } from './schemas'

/** Per isolate, 5 s: the server-wide part once, each caller's own counts under their id. */
const queueStatsCache = new IsolateCache<{ queue: TaskCounts; averageDurationSeconds: number | null }>(5_000, 1)
const myStatsCache = new IsolateCache<TaskCounts>(5_000)

function counts(rows: Array<{ status: string; n: number }>) {
  const out = Object.fromEntries(TASK_STATUSES.map((s) => [s, 0])) as TaskCounts
  for (const r of rows) if (r.status in out) out[r.status as keyof typeof out] = r.n
  return out
}

/** Tasks by status, server-wide and the caller's, and the average duration of recent successes. */
export async function queueStats(db: Db, userId: string) {
  const [global, mine] = await Promise.all([
    queueStatsCache.get('queue', async () => {
      const since = new Date(Date.now() - 86_400_000)
      const all = await db.select({ status: tasks.status, n: count() }).from(tasks).groupBy(tasks.status)
      // Durations of recent successes, in seconds.
      const [avgRow] = await db
        .select({ avg: sql<number | null>`AVG((${tasks.finishedAt} - ${tasks.startedAt}) / 1000.0)` })
        .from(tasks)
        .where(and(eq(tasks.status, 'succeeded'), gte(tasks.finishedAt, since)))
      const average = avgRow?.avg ?? null
      return { queue: counts(all), averageDurationSeconds: average === null ? null : Math.round(average * 10) / 10 }
    }),
    myStatsCache.get(userId, async () =>
      counts(await db.select({ status: tasks.status, n: count() }).from(tasks).where(eq(tasks.userId, userId)).groupBy(tasks.status)),
    ),
  ])
  return { queue: global.queue, mine, averageDurationSeconds: global.averageDurationSeconds }
}
