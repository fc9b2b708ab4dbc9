import type { Db } from '../../env'
import { countHits, RATE_LIMITS } from '../../lib/rate-limit'
import { getTask } from './service'

const FIRST_POLL_MS = 100
const MAX_POLL_MS = 1_000

/** Resolves after `ms`, or at once when `signal` aborts. */
function pause(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms)
    function done() {
      clearTimeout(timer)
      signal?.removeEventListener('abort', done)
      resolve()
    }
    signal?.addEventListener('abort', done, { once: true })
  })
}

/**
 * `POST /api/tasks?wait=`: polls the task's status in D1 (one indexed primary-key read, every
 * 100 ms at first, backing off ×1.5 to once a second) until it ends or `waitMs` runs out.
 * Answers the finished task as `GET /api/tasks/{id}` shows it, or null (still queued or running,
 * or the client went away: `signal` aborted).
 */
export async function waitForTaskEnd(env: Env, db: Db, userId: string, taskId: string, waitMs: number, signal?: AbortSignal) {
  const deadline = Date.now() + waitMs
  let delay = FIRST_POLL_MS
  for (;;) {
    const row = await env.DB.prepare('SELECT status FROM tasks WHERE id = ?1').bind(taskId).first<{ status: string }>()
    if (row && row.status !== 'queued' && row.status !== 'running') return getTask(env, db, userId, taskId)
    const left = deadline - Date.now()
    if (left <= 0 || signal?.aborted) return null
    await pause(Math.min(delay, left), signal)
    if (signal?.aborted) return null
    delay = Math.min(MAX_POLL_MS, Math.round(delay * 1.5))
  }
}

/**
 * Counts one `?wait=` hold for `userId` (RATE_LIMITS.taskWaitsPerUserMinute) and answers whether
 * it may wait. Never throws a 429: the task already exists, so over the limit the request is
 * answered at once, as with `wait=0`.
 */
export async function mayWait(env: Env, userId: string, now = Date.now()): Promise<boolean> {
  const [hit] = await countHits(env.DB, [[`task-wait:user:${userId}`, RATE_LIMITS.taskWaitsPerUserMinute]], now)
  return hit ? !hit.over : true
}
