import type { Task } from '../../db/schema'
import type { Db } from '../../env'
import { completeTask, failTask, reportProgress } from '../../jobs/generation'
import { downloadResult, resultHosts, type ResultSource } from '../../jobs/providers/download'
import type { GeneratedImage } from '../../jobs/providers/types'
import { maxImageBytes } from '../../lib/config'
import { badRequest } from '../../lib/errors'
import { fromBase64 } from '../../lib/ids'

/** A result image in a callback: a URL string, `{url}`, or `{base64}` / `{data}` (data URL allowed). */
export type ResultItem = string | { url?: string; base64?: string; data?: string }

/**
 * Fetches or decodes result images right away (provider URLs expire). URLs must be on the
 * provider's host allowlist (see `resultHosts`); downloads are size-capped while streaming.
 */
export async function collectResults(env: Env, source: ResultSource, items: ResultItem[]): Promise<GeneratedImage[]> {
  const limit = maxImageBytes(env)
  const allowedHosts = resultHosts(env, source)
  return Promise.all(
    items.map(async (item) => {
      const url = typeof item === 'string' ? item : item.url
      if (url && /^https?:\/\//i.test(url)) return { bytes: await downloadResult(url, { maxBytes: limit, allowedHosts }) }
      const inline = typeof item === 'string' ? item : (item.base64 ?? item.data)
      if (!inline) throw badRequest('Each result needs a url or base64 data')
      const payload = inline.replace(/^data:[^,]*;base64,/, '')
      if (payload.length > Math.ceil((limit * 4) / 3) + 4) throw badRequest('Result image too large')
      try {
        return { bytes: fromBase64(payload) }
      } catch {
        throw badRequest('Result image is not valid base64')
      }
    }),
  )
}

export type CallbackEffect = 'progress' | 'completed' | 'failed' | 'ignored'

/** Applies a provider's report to a task; finished tasks are left alone. */
export async function applyReport(
  env: Env,
  db: Db,
  source: ResultSource,
  task: Task | undefined,
  report: { status: 'running' | 'succeeded' | 'failed'; progress?: number; results?: ResultItem[]; error?: string },
): Promise<CallbackEffect> {
  if (!task || (task.status !== 'queued' && task.status !== 'running')) return 'ignored'
  if (task.status === 'queued') {
    // A callback can beat the queue consumer's own bookkeeping; it proves the job started.
    await env.DB.prepare(`UPDATE tasks SET status = 'running', started_at = COALESCE(started_at, ?2), updated_at = ?2 WHERE id = ?1 AND status = 'queued'`)
      .bind(task.id, Date.now())
      .run()
    task = { ...task, status: 'running' }
  }
  if (report.status === 'running') {
    if (report.progress !== undefined) await reportProgress(env, task, report.progress)
    return 'progress'
  }
  if (report.status === 'failed') {
    await failTask(env, task, report.error?.slice(0, 500) || 'The generation service reported a failure')
    return 'failed'
  }
  const results = report.results ?? []
  if (results.length > task.batchSize) {
    throw badRequest(`The task asked for ${task.batchSize} image(s); the callback carries ${results.length}`, [{ field: 'images', message: `At most ${task.batchSize}` }])
  }
  if (results.length === 0) {
    await failTask(env, task, 'The generation service finished without images')
    return 'failed'
  }
  const images = await collectResults(env, source, results)
  return (await completeTask(env, db, task, images)) ? 'completed' : 'ignored'
}
